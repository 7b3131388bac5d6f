"""Property tests over generated, often malformed, records: load -> validate -> export never
raises; it gives output or diagnostics. ``BIBKIT_FUZZ_EXAMPLES`` raises the number of examples
(docs/testing.md); CI runs a bounded number."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bibkit.diagnostics import Severity
from bibkit.export import EXPORTERS, export
from bibkit.load import Library, load_text
from bibkit.validate import validate

pytestmark = pytest.mark.slow  # fuzzing

EXAMPLES = int(os.environ.get("BIBKIT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

FIELD_NAMES = ["type", "title", "author", "editor", "issued", "container-title", "volume", "page", "DOI",
               "URL", "arxiv", "arxiv-class", "venues", "tags", "provenance", "extra", "note", "titel", "id"]
SCALARS = st.one_of(st.text(max_size=40), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                    st.sampled_from(["2023", "2023-02-30", "2303.08112", "hep-th/9901001", "10.1234/x",
                                     "article", "paper-conference", "https://x.org", "others", "2999-01-01"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["family", "given", "literal", "pages", "note", "x"]), inner, max_size=3)),
    max_leaves=8)


def _run(text: bytes) -> None:
    loaded = load_text(Path("fuzz2023.yaml"), text)
    found = validate(Library([loaded]))
    assert all(re.fullmatch(r"BK\d{3}", d.code) and d.line >= 1 and d.col >= 1 for d in found)
    if loaded.record is not None and not any(d.severity is Severity.ERROR for d in found):
        for fmt in EXPORTERS:
            if fmt in ("text", "html", "markdown") and not loaded.record.author:
                continue
            assert export([loaded.record], fmt)


@FUZZ
@given(st.dictionaries(st.sampled_from(FIELD_NAMES), VALUES, max_size=10))
def test_structured_records_never_raise(data: dict[str, Any]) -> None:
    _run(yaml.safe_dump(data, allow_unicode=True).encode("utf-8"))


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    _run(data)


GOOD = (Path(__file__).parent.parent / "records" / "biderman2023pythia.yaml").read_bytes()


@FUZZ
@given(st.integers(0, len(GOOD) - 1), st.integers(1, 40), st.binary(max_size=8))
def test_mangled_real_record_never_raises(at: int, cut: int, junk: bytes) -> None:
    _run(GOOD[:at] + junk + GOOD[at + cut:])


@FUZZ
@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60),
       st.lists(st.text(min_size=1, max_size=15), min_size=1, max_size=3))
def test_any_title_and_names_export_to_balanced_bibtex(title: str, names: list[str]) -> None:
    from pybtex.database import parse_bytes

    record = yaml.safe_dump({"type": "article", "title": title, "author": names, "issued": "2023-03",
                             "arxiv": "2303.08112"}, allow_unicode=True).encode()
    loaded = load_text(Path("fuzz2023.yaml"), record)
    if loaded.record is None or loaded.diagnostics:
        return  # an empty or unreadable name: a finding, which the tests above cover
    for fmt in ("bibtex", "biblatex"):
        out = export([loaded.record], fmt)
        entry = parse_bytes(out, "bibtex").entries["fuzz2023"]  # pybtex checks the braces balance
        assert entry.fields["title"]
