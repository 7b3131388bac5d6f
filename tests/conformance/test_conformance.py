"""bibkit's formatted lists against citeproc-js and pandoc, entry by entry (see references.py).

The references are part of the test environment (pandoc from Debian, citeproc-js from npm, both
installed by ``make test``): a missing one fails the run, it is never skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from references import STYLES, Comparison, ReferenceMissing, compare_all, datasets

pytestmark = pytest.mark.slow  # citeproc-js (node) and pandoc as references

# Entries that agree with at least one reference, as measured (docs/citeproc.md): a change that
# loses one fails here. Raise a number when a fix gains entries.
AGREEING = {
    ("apa", "records"): 39,
    ("apa", "deep-review_manual-references.json"): 36,
    ("apa", "manubot_input-bibliography.json"): 3,
    ("apa", "zotero-bbt_deterministic-ordering-1178-1400.csl.json"): 26,
    ("ieee", "records"): 39,
    ("ieee", "deep-review_manual-references.json"): 35,
    ("ieee", "manubot_input-bibliography.json"): 3,
    ("ieee", "zotero-bbt_deterministic-ordering-1178-1400.csl.json"): 26,
    ("chicago-author-date", "records"): 39,
    ("chicago-author-date", "deep-review_manual-references.json"): 36,
    ("chicago-author-date", "manubot_input-bibliography.json"): 3,
    ("chicago-author-date", "zotero-bbt_deterministic-ordering-1178-1400.csl.json"): 25,
}


@pytest.fixture(scope="module")
def comparisons(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Comparison]:
    try:
        found = compare_all(tmp_path_factory.mktemp("references"))
    except ReferenceMissing as exc:
        pytest.fail(str(exc))
    return {(c.style, c.dataset): c for c in found}


def test_every_style_and_data_set_is_compared(comparisons: dict[tuple[str, str], Comparison]) -> None:
    names = set(datasets())
    assert "records" in names and len(names) == 4
    assert set(comparisons) == {(style, name) for style in STYLES for name in names} == set(AGREEING)


@pytest.mark.parametrize(("style", "dataset"), sorted(AGREEING))
def test_agreement_does_not_drop(style: str, dataset: str, comparisons: dict[tuple[str, str], Comparison]) -> None:
    c = comparisons[(style, dataset)]
    # Both references list every item: an entry is compared with the entry at its own place.
    assert len(c.js) == len(c.pandoc) == len(c.bibkit) == len(datasets()[dataset])
    disagreeing = [c.bibkit[i] for i in range(len(c.bibkit)) if not c.agrees(i)]
    assert c.agreeing >= AGREEING[(style, dataset)], "\n".join(disagreeing)


@pytest.mark.parametrize("style", ["apa", "ieee", "chicago-author-date"])
def test_shipped_records_agree_on_every_entry(style: str, comparisons: dict[tuple[str, str], Comparison]) -> None:
    c = comparisons[(style, "records")]
    assert c.agreeing == len(c.bibkit) == 39


def test_the_known_gaps_are_closed(comparisons: dict[tuple[str, str], Comparison]) -> None:
    """The differences issue 9 named, each visible in the shipped records."""
    ieee = "\n".join(comparisons[("ieee", "records")].bibkit)
    apa = "\n".join(comparisons[("apa", "records")].bibkit)
    assert "O’Brien" in apa and "O'Brien" not in apa
    assert "(arXiv:2302.12433)" in apa and "ArXiv:" not in apa
    assert "Pairs,” in Data Centric" in ieee and "”," not in ieee
    assert "[30] C. Schuhmann" in ieee and "]C." not in ieee


def test_a_reference_that_is_missing_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import references

    monkeypatch.setattr(references.shutil, "which", lambda name: None)
    with pytest.raises(ReferenceMissing, match="make test"):
        references.pandoc(references.resolve_style("apa"), [], tmp_path)
