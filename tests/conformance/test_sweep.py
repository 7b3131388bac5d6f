"""The sweep (sweep.py), held to its record (sweep-results.json): numbers may only get better.

The test suite sweeps a fixed sample of styles (the common ones, then a fixed spread of the
rest) against citeproc-js and pandoc, which ``make test`` installs; a missing reference fails
the run, it is never skipped. References are cached by style, items and processor version
(tests/conformance/.sweep-cache, gitignored), so only the first run renders them.

The full sweep is one command, too slow for every test run:
``.venv/bin/python tests/conformance/sweep.py --record`` (docs/citeproc.md has its numbers).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sweep as sw

pytestmark = pytest.mark.slow  # citeproc-js (node) and pandoc as references

RECORD = sw.load_record()
# The widest run recorded (the full run, else a fixed spread of styles wider than the sample)
# may not fall below these shares, measured (docs/citeproc.md); raise them as fixes land.
# The bar for the full run is 97% of entries and 90% of styles whole.
WIDE_AGREEING = 0.9999  # the full run of 2026-11-29 (second): 706,036 of 706,049 entries
WIDE_WHOLE = 0.998  # 2,752 of 2,756 styles


@pytest.fixture(scope="module")
def sample() -> sw.Sweep:
    styles = sw.pick(sw.all_styles(), sample=sw.SAMPLE)
    try:
        return sw.run(styles, sw.corpus())
    except sw.ReferenceMissing as exc:
        pytest.fail(str(exc))


def test_the_corpus_is_varied() -> None:
    records = sw.corpus()
    types = {r.type for r in records}
    assert len(records) >= 150
    # (datasets: the model reads @dataset and CSL "dataset" as "document" for now)
    assert {"article-journal", "paper-conference", "book", "chapter", "thesis", "report", "webpage",
            "software", "document"} <= types
    assert any(r.editor and not r.author for r in records)  # editors only
    assert any(any(p.literal for p in r.author) for r in records)  # an organisation as author
    assert any(r.issued is None for r in records)  # no date
    assert any(not (r.get("language") or "en").startswith("en") for r in records)  # not English


def test_the_sample_is_fixed_and_recorded() -> None:
    picked = sw.pick(sw.all_styles(), sample=sw.SAMPLE)
    assert len(picked) == sw.SAMPLE
    assert {"apa", "ieee", "modern-language-association", "chicago-author-date", "nature"} <= set(picked)
    assert set(picked) == set(RECORD["sample"])


def test_every_sampled_style_is_compared_with_a_reference(sample: sw.Sweep) -> None:
    assert [r.name for r in sample.results if not r.comparable] == []
    assert all(isinstance(r.js, list) and len(r.js) == r.entries for r in sample.results)


def test_no_sampled_style_disagrees_more_than_recorded(sample: sw.Sweep) -> None:
    worse = {r.name: r.disagreements()[:2] for r in sample.compared
             if r.entries - r.agreeing > RECORD["sample"].get(r.name, 0)}
    assert worse == {}


# Styles whose lists an engine change once altered where the sweep's sample did not look: a
# level with nothing of its own left out of the output tree around a level with a number inside
# (editions, volumes, issues: "2nd edition", "2 vols", "13-14(5-1)") or ending in a suffix with
# two spaces (aquitania's names). Whole against citeproc-js, each entry.
WATCHED = ("aquitania", "freshwater-science", "harvard-kings-college-london",
           "international-brazilian-journal-of-urology", "journal-of-forensic-sciences",
           "society-for-american-archaeology", "the-coleopterists-bulletin",
           "united-nations-framework-convention-on-climate-change")


def test_the_watched_styles_agree_with_citeproc_js_on_every_entry() -> None:
    styles = {name: path for name, path in sw.all_styles().items() if name in WATCHED}
    assert sorted(styles) == sorted(WATCHED)
    try:
        swept = sw.run(styles, sw.corpus(), use_pandoc=False)
    except sw.ReferenceMissing as exc:
        pytest.fail(str(exc))
    assert {r.name: r.disagreements()[:1] for r in swept.compared if not r.whole} == {}
    assert len(swept.compared) == len(WATCHED)


def test_the_recorded_wide_run_does_not_fall() -> None:
    wide = RECORD.get("full") or RECORD["spread"]
    assert wide["styles"] > 5 * sw.SAMPLE
    assert wide["agreeing"] / wide["entries"] >= WIDE_AGREEING
    assert wide["whole"] / wide["styles"] >= WIDE_WHOLE


def test_a_disagreement_is_counted() -> None:
    result = sw.StyleResult("x", "numeric", "en-US", ["[1] A.", "[2] B"], js=["[1] A.", "[2] B."],
                            pandoc=["[1] A", "[2] B."])
    assert result.entries == 2 and result.agreeing == 1 and not result.whole
    assert result.disagreements() == [(1, "[2] B", "[2] B.")]


def test_a_lab_can_sweep_its_own_records(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``--records``: a collection's own items (the shipped records here) in the styles named,
    against citeproc-js; the report counts those items, not the corpus's."""
    from conftest import RECORDS

    monkeypatch.setenv("BIBKIT_SWEEP_CACHE", str(tmp_path))
    assert sw.main(["--no-pandoc", "--records", str(RECORDS), "--styles", "apa", "ieee"]) == 0
    captured = capsys.readouterr()
    shipped = len(list(RECORDS.glob("*.yaml")))
    assert f"2 styles x {shipped} items" in captured.err
    assert f"entries agreeing: {2 * shipped}/{2 * shipped}" in captured.out
    # the record is the corpus's: another collection's numbers never go into it
    assert sw.main(["--no-pandoc", "--records", str(RECORDS), "--record"]) == 2
