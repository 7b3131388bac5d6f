"""Property tests over generated, often malformed, records.

Whatever a record file holds, load -> validate -> export never raises; and where the file gives
a record (most examples: each test asserts how many), every export holds it: one entry under its
key, read back by an independent parser, with its title as the record has it. Text that means
something to LaTeX or BibTeX survives: a title and names of any characters come back equal from
the BibTeX and BibLaTeX exports, read by pybtex and decoded by pylatexenc (not by bibkit).

``BIBKIT_FUZZ_EXAMPLES`` raises the number of examples (docs/testing.md); CI runs a bounded number.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bibtexparser
import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bibkit import keys
from bibkit.diagnostics import Severity
from bibkit.exporters import EXPORTERS, export
from bibkit.fields import CSL_TYPES, FIELDS, Kind
from bibkit.loader import Library, load_text
from bibkit.model import Record
from bibkit.rules import validate

from conftest import REALWORLD

pytestmark = pytest.mark.slow  # fuzzing

EXAMPLES = int(os.environ.get("BIBKIT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
CSL_SCHEMA = json.loads((REALWORLD / "csl-schema" / "csl-data.json").read_text(encoding="utf-8"))
PATH = Path("fuzz2023.yaml")


def _exports_hold(record: Record) -> None:
    """Every format holds the record: one entry (and BibTeX's copies under former keys), under
    its key, with its title, as an independent reader sees it."""
    for fmt in ("bibtex", "biblatex"):
        library = bibtexparser.parse_string(export([record], fmt).decode("utf-8"))
        assert not library.failed_blocks, fmt
        # BibTeX's copies: one per former key a reader takes (BK031), once without case, never the key.
        seen, copies = {record.key.casefold()}, []
        for former in record.ids if fmt == "bibtex" else ():
            if keys.is_valid_key(former) and former.casefold() not in seen:
                seen.add(former.casefold())
                copies.append(former)
        assert [e.key for e in library.entries] == [record.key, *copies], fmt
        assert ("title" in library.entries[0].fields_dict) == bool(record.title), fmt
    items = json.loads(export([record], "csl-json"))
    jsonschema.Draft7Validator(CSL_SCHEMA).validate(items)
    assert [(i["id"], i.get("citation-key", i["id"]), i["title"]) for i in items] == \
        [(record.extra.get("id", record.key), record.key, record.title)]
    if not record.author:
        return  # the CSL layer over citeproc-py raises on some types without authors (the new engine does not)
    assert export([record], "html-page")
    # APA (the default style) cites an interview or a personal communication that no reader can
    # get to in the text only (APA 8.9): its bibliography's layout prints nothing for one.
    listed = items[0]["type"] not in ("interview", "personal_communication") or any(
        items[0].get(v) for v in ("archive", "archive-place", "container-title", "DOI", "number", "publisher",
                                  "references", "URL"))
    for fmt in ("text", "markdown"):
        assert bool(export([record], fmt).decode("utf-8").strip()) == listed, fmt
    assert export([record], "html").decode("utf-8").count('class="csl-entry"') == int(listed)


def _run(text: bytes) -> bool:
    """Load, validate and export ``text``; whether it gave a record (and so reached every export)."""
    loaded = load_text(PATH, text)
    found = validate(Library([loaded]))
    assert all(re.fullmatch(r"BK\d{3}", d.code) and d.line >= 1 and d.col >= 1 for d in found)
    assert set(EXPORTERS) == {"bibtex", "biblatex", "csl-json", "text", "html", "markdown", "html-page"}
    if loaded.record is None:
        # Only a file bibkit cannot read at all gives no record, and says why.
        assert any(d.severity is Severity.ERROR and d.code in ("BK001", "BK002", "BK003", "BK004", "BK005",
                                                                 "BK006", "BK007") for d in found)
        return False
    _exports_hold(loaded.record)
    return True


def _mostly_reach_export(strategy: st.SearchStrategy[Any], make: Callable[[Any], bytes], at_least: float) -> None:
    """Run the property over ``strategy``; at least this share of the examples must give a record."""
    reached: list[bool] = []

    @FUZZ
    @given(strategy)
    def check(example: Any) -> None:
        reached.append(_run(make(example)))

    check()
    assert sum(reached) >= at_least * len(reached), f"{sum(reached)} of {len(reached)} examples reached the exports"


# Values of each kind of field, mostly right, sometimes of another kind.

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
_WORD = st.text(st.characters(min_codepoint=0x41, max_codepoint=0x24F, blacklist_categories=("Cs", "Zs")),
                min_size=1, max_size=12)
_NAME = st.one_of(
    st.builds(lambda g, f: f"{g} {f}", _WORD, _WORD),
    st.fixed_dictionaries({"given": _TEXT, "family": _TEXT}),
    st.fixed_dictionaries({"literal": _TEXT}))
_DATE = st.builds(lambda y, m, d: f"{y:04d}" + (f"-{m:02d}" if m else "") + (f"-{d:02d}" if m and d else ""),
                  st.integers(1900, 2025), st.integers(0, 12), st.integers(0, 28))
_RIGHT: dict[Kind, st.SearchStrategy[Any]] = {
    Kind.TEXT: _TEXT, Kind.KEY: st.from_regex(r"[A-Za-z][A-Za-z0-9:_./-]{0,20}", fullmatch=True),
    Kind.CSL_TYPE: st.sampled_from(sorted(CSL_TYPES)), Kind.NAMES: st.lists(_NAME, min_size=1, max_size=4),
    Kind.DATE: _DATE, Kind.ARXIV: st.sampled_from(["2303.08112", "hep-th/9901001", "2101.00001v2"]),
    Kind.DOI: st.sampled_from(["10.1234/x.y", "10.1000/182", "10/abc"]),
    Kind.URL: st.sampled_from(["https://example.org/a_b?c=1&d=%7E#e", "http://x.org"]),
    Kind.TEXT_LIST: st.lists(_TEXT, min_size=1, max_size=3),
    Kind.EXTRA: st.dictionaries(st.sampled_from(["customfield", "mendeley-tags", "indexed"]), _TEXT, min_size=1),
    Kind.PROVENANCE: st.fixed_dictionaries({"note": _TEXT}),
}
_SCALARS = st.one_of(st.text(max_size=40), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                     st.sampled_from(["2023-02-30", "others", "2999-01-01", "article"]))
_ANY = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["family", "given", "literal", "pages", "note", "x"]), inner, max_size=3)),
    max_leaves=8)
_KINDS = {f.name: f.kind for f in FIELDS}


@st.composite
def _structured(draw: st.DrawFn) -> dict[str, Any]:
    """A record: a type and a title, and fields of every kind with values of their kind; about one
    value in eight is of another kind, and one field in twenty is unknown."""
    names = draw(st.lists(st.sampled_from(sorted(_KINDS)), max_size=10, unique=True))
    data: dict[str, Any] = {"type": draw(_RIGHT[Kind.CSL_TYPE]), "title": draw(_TEXT)}
    for name in names:
        data[name] = draw(_ANY) if draw(st.integers(0, 7)) == 0 else draw(_RIGHT[_KINDS[name]])
    if draw(st.integers(0, 19)) == 0:
        data["titel"] = draw(_TEXT)
    return data


def test_structured_records_reach_every_export() -> None:
    _mostly_reach_export(_structured(), lambda d: yaml.safe_dump(d, allow_unicode=True).encode("utf-8"), 0.9)


GOOD = (Path(__file__).parent.parent / "records" / "biderman2023pythia.yaml").read_bytes()
# Where each value of the real record starts and ends (a line's text after "key: ").
_VALUES = [(m.start(1), m.end(1)) for m in re.finditer(rb"^[\w-]+: (.+)$|^  - (.+)$", GOOD, re.M) if m.group(1)]
_PRINTABLE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60).map(lambda t: t.encode("utf-8"))
# Mostly text (a typo, a paste), sometimes any text and bytes that are no UTF-8 (another tool's file).
_JUNK = st.one_of(_PRINTABLE, _PRINTABLE, st.text(max_size=60).map(lambda t: t.encode("utf-8")),
                  st.binary(max_size=300))


def test_arbitrary_bytes_never_raise_and_in_a_value_reach_every_export() -> None:
    """Arbitrary bytes as a whole file (never a record, never a traceback), and as a value of a
    real record, where a file that is still a record is exported whole."""
    def make(example: tuple[bytes, int]) -> bytes:
        junk, at = example
        _run(junk)
        start, end = _VALUES[at]
        return GOOD[:start] + junk + GOOD[end:]

    _mostly_reach_export(st.tuples(_JUNK, st.integers(0, len(_VALUES) - 1)), make, 0.5)


def test_mangled_real_record_reaches_every_export() -> None:
    """Text cut from and put into the values of a real record."""
    def make(example: tuple[int, int, int, bytes]) -> bytes:
        which, offset, cut, junk = example
        start, end = _VALUES[which]
        at = start + offset % max(1, end - start)
        return GOOD[:at] + junk + GOOD[min(at + cut, end):]

    # Text (a typo, a paste); bytes that are no UTF-8 are the test above's.
    _mostly_reach_export(st.tuples(st.integers(0, len(_VALUES) - 1), st.integers(0, 200), st.integers(0, 40),
                                   _PRINTABLE), make, 0.6)


# Hostile text survives: what LaTeX, BibTeX and YAML treat specially, and any other character.

def _latex_to_text() -> Callable[[str], str]:
    """pylatexenc's LaTeX -> text, told the LaTeX text commands it lacks (LaTeX's own meanings)."""
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    context = get_default_latex_context_db().filter_context(keep_categories=None)
    context.add_context_category("latex-text-commands", prepend=True, macros=[
        MacroTextSpec("textbraceleft", "{"), MacroTextSpec("textbraceright", "}"),
        MacroTextSpec("textasciicircum", "^"), MacroTextSpec("textasciitilde", "~"),
        MacroTextSpec("textbackslash", "\\")])
    converter = LatexNodes2Text(latex_context=context, math_mode="verbatim", strict_latex_spaces=True)
    return lambda latex: " ".join(converter.latex_to_text(latex).split())


DECODE = _latex_to_text()
# Any character but surrogates and what YAML cannot hold; markup-free (rich text's tags are markup).
_HOSTILE = st.text(st.one_of(st.sampled_from(list("\\{}%&$#_~^<>\"'`-,;:@=()[]! ")),
                             st.characters(blacklist_categories=("Cs", "Cc"))), min_size=1, max_size=40)


def _plain(text: str) -> bool:
    return not re.search(r"</?(?:i|b|sc|sup|sub|span)\b", text) and text.count("$") < 2


@FUZZ
@given(title=_HOSTILE, names=st.lists(st.tuples(_HOSTILE, _HOSTILE), min_size=1, max_size=3))
def test_any_title_and_names_survive_bibtex_and_biblatex(title: str, names: list[tuple[str, str]]) -> None:
    from pybtex.database import parse_bytes

    assume(_plain(title) and all(_plain(g + f) for g, f in names))
    data = {"type": "article", "title": title, "author": [{"given": g, "family": f} for g, f in names],
            "issued": "2023-03", "arxiv": "2303.08112"}
    loaded = load_text(PATH, yaml.safe_dump(data, allow_unicode=True).encode("utf-8"))
    if loaded.record is None or loaded.diagnostics:
        assume(False)  # a value of only white space: a finding, which the tests above cover
    record = loaded.record
    assert record is not None
    for fmt in ("bibtex", "biblatex"):
        entry = parse_bytes(export([record], fmt), "bibtex").entries[PATH.stem]  # pybtex checks the braces
        assert DECODE(entry.fields["title"]) == " ".join(record.title.split()), fmt
        read = [(DECODE(" ".join(p.first_names + p.middle_names)), DECODE(" ".join(p.prelast_names + p.last_names)))
                for p in entry.persons["author"]]
        assert read == [(" ".join((p.given or "").split()), " ".join((p.family or "").split()))
                        for p in record.author], fmt
    (item,) = json.loads(export([record], "csl-json"))
    assert item["title"] == record.title
    assert item["author"] == [{"family": p.family, "given": p.given} for p in record.author]
