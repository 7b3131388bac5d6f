"""Validation rules: one function per rule, one line in ``RULES``.

Per-file problems of syntax and types are found while loading (``load.py``); the rules here
look at whole records and across records. Each rule yields Diagnostics and never prints.
"""

from __future__ import annotations

import difflib
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from bibkit import keys
from bibkit.diagnostics import Diagnostic, Severity
from bibkit.fields import REQUIRED_BY_TYPE
from bibkit.folding import title_key
from bibkit.load import Library, Loaded

Rule = Callable[[Library, date], Iterator[Diagnostic]]

_KEY_RULE = ("is not accepted by BibTeX and biber: a key is printable ASCII without white space or any of "
             "\" # ' ( ) , = { } % ~ \\")

# Titles at least this similar (difflib ratio of normalised text) are reported as near-duplicates.
NEAR_DUPLICATE_RATIO = 0.9
_WINDOW = 8


def required_fields(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK012: type and title, and what the type needs in BibTeX's and biblatex's data models
    (an editor stands for an author; a `crossref` parent may give what a child lacks)."""
    for lo in library.loaded:
        rec = lo.record
        if rec is None:
            continue
        inherits = "crossref" in lo.spans or "xdata" in lo.spans
        by_type = REQUIRED_BY_TYPE.get(rec.type, ())
        for name in ("type", *by_type):
            if name in lo.spans or (name == "author" and "editor" in lo.spans) or (inherits and name != "type"):
                continue
            why = f" for type {rec.type!r}" if name in by_type else ""
            yield lo.diag("", "BK012", f"missing required field {name!r}{why}")
        # Present-but-invalid identifiers were reported by the loader; do not report them twice.
        if rec.type == "article" and not any(f in lo.spans for f in ("arxiv", "DOI", "URL")):
            yield lo.diag("type", "BK012", "a preprint needs one of 'arxiv', 'DOI' or 'URL'")


def key_and_file_name(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK030/BK031: the key is a valid citation key and the file is named after it."""
    for lo in library.loaded:
        rec = lo.record
        if rec is None:
            continue
        where = "id" if "id" in lo.spans else ""
        for former in rec.ids:
            if not keys.is_valid_key(former):
                yield lo.diag("ids", "BK031", f"former key {former!r} {_KEY_RULE}")
        if not keys.is_valid_key(rec.key):
            yield lo.diag(where, "BK031", f"citation key {rec.key!r} {_KEY_RULE}")
            continue
        stem = lo.path.name.removesuffix(keys.SUFFIX)
        expected = keys.file_stem_for(rec.key)
        if stem not in keys.stems_for(rec.key):
            yield lo.diag(where, "BK030", f"file name {lo.path.name!r} does not match the citation "
                          f"key {rec.key!r}: expected {expected + keys.SUFFIX!r}")


def entry_type(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK032: an `entrytype` is a name BibTeX and biber read after `@`."""
    for lo in library.loaded:
        kind = lo.record.get("entrytype") if lo.record else None
        if kind is not None and not keys.is_entry_type(kind):
            yield lo.diag("entrytype", "BK032", f"entry type {kind!r} is not one BibTeX and biber read: a letter, "
                          "then letters, digits, '-' or '_'")


def dates(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK023/BK024: not in the future; a preprint not before its arXiv submission month (a
    published version may be older than its arXiv copy: authors post papers after publication)."""
    for lo in library.loaded:
        rec = lo.record
        if rec is None or rec.issued is None:
            continue
        if rec.issued.is_after(today):
            yield lo.diag("issued", "BK023", f"date {rec.issued} is in the future")
        if rec.arxiv is not None and rec.type == "article":
            year, month = rec.arxiv.year_month
            issued = (rec.issued.year, rec.issued.month or 12)
            if issued < (year, month if rec.issued.month else 1):
                yield lo.diag("arxiv", "BK024", f"arXiv identifier {rec.arxiv} was assigned in "
                              f"{year}-{month:02d}, after the record's date {rec.issued}")


def arxiv_version(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK027: records name the paper, not one of its versions."""
    for lo in library.loaded:
        rec = lo.record
        if rec is not None and rec.arxiv is not None and rec.arxiv.version is not None:
            yield lo.diag("arxiv", "BK027", f"write the arXiv identifier without its version: "
                          f"{rec.arxiv.base!r}", Severity.WARNING)


def duplicate_keys(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK040: BibTeX and citeproc-py compare keys case-insensitively; a former key (``ids``)
    is a key too: a paper that cites it must find one record."""
    seen: dict[str, Loaded] = {}
    for lo in library.loaded:
        if lo.record is None:
            continue
        rec = lo.record
        for name, former in ((rec.key, False), *((old, True) for old in rec.ids)):
            first = seen.setdefault(name.casefold(), lo)
            if first is lo and not (former and name.casefold() == rec.key.casefold()):
                continue
            what = f"former key {name!r}" if former else f"citation key {name!r}"
            where = "ids" if former else "id" if "id" in lo.spans else ""
            yield lo.diag(where, "BK040", f"{what} is also used by {first.path}" if first is not lo
                          else f"{what} is the record's own key")


def duplicate_ids(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK041/BK042: two records must not share an arXiv identifier or a DOI."""
    arxiv: dict[str, Loaded] = {}
    doi: dict[str, Loaded] = {}
    for lo in library.loaded:
        rec = lo.record
        if rec is None:
            continue
        if rec.arxiv is not None and (first := arxiv.setdefault(rec.arxiv.base, lo)) is not lo:
            yield lo.diag("arxiv", "BK041", f"arXiv identifier {rec.arxiv.base} is also in {first.path}")
        if rec.doi is not None and (first := doi.setdefault(rec.doi.value.lower(), lo)) is not lo:
            yield lo.diag("DOI", "BK042", f"DOI {rec.doi} is also in {first.path}")


def near_duplicate_titles(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK043: the same paper twice under slightly different titles.

    Comparing every pair is quadratic, so candidates come from a sorted neighbourhood: each title
    is compared with the next ``_WINDOW`` titles in alphabetical order and in the order of the
    reversed titles (a near-duplicate differs somewhere, rarely at both ends). Word overlap and
    length filter out most candidates before difflib measures the rest.
    """
    items = [(lo, title_key(lo.record.title)) for lo in library.loaded
             if lo.record is not None and lo.record.title]
    words = [frozenset(norm.split()) for _, norm in items]
    candidates: set[tuple[int, int]] = set()
    for key in (lambda i: items[i][1], lambda i: items[i][1][::-1]):
        order = sorted(range(len(items)), key=key)
        for pos, i in enumerate(order):
            for j in order[pos + 1:pos + 1 + _WINDOW]:
                candidates.add((min(i, j), max(i, j)))
    for i, j in sorted(candidates):
        (lo_i, ti), (lo_j, tj) = items[i], items[j]
        if min(len(ti), len(tj)) < NEAR_DUPLICATE_RATIO * max(len(ti), len(tj)):
            continue  # difflib's ratio cannot reach the threshold
        if len(words[i] & words[j]) < 0.5 * max(len(words[i]), len(words[j])):
            continue
        matcher = difflib.SequenceMatcher(None, ti, tj, autojunk=False)
        if matcher.quick_ratio() >= NEAR_DUPLICATE_RATIO and matcher.ratio() >= NEAR_DUPLICATE_RATIO:
            first, second = (lo_i, lo_j) if str(lo_i.path) <= str(lo_j.path) else (lo_j, lo_i)
            assert first.record is not None
            yield second.diag("title", "BK043", f"title is nearly the same as in {first.path}: "
                              f"{first.record.title!r}", Severity.WARNING)


def case_protection(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK060: a word a style would lowercase although it is a name (docs/validation.md)."""
    from bibkit.latex import lowercased_names

    for lo in library.loaded:
        rec = lo.record
        if rec is None or not rec.title:
            continue
        words = lowercased_names(rec.title)
        if words:
            marked = ", ".join(f'<span class="nocase">{w}</span>' for w in words)
            yield lo.diag("title", "BK060", f"a style that lowercases titles would print {', '.join(words)!r} in "
                          f"lower case; if it is a name, mark it: {marked}", Severity.WARNING)


def arxiv_or_reason(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK050: a paper without an arXiv identifier says why (``provenance.no-arxiv``)."""
    for lo in library.loaded:
        rec = lo.record
        if rec is not None and "arxiv" not in lo.spans and rec.provenance.no_arxiv is None:
            yield lo.diag("", "BK050", "no 'arxiv' identifier and no 'provenance.no-arxiv' reason",
                          Severity.WARNING)


RULES: tuple[Rule, ...] = (
    required_fields,
    key_and_file_name,
    entry_type,
    dates,
    duplicate_keys,
    duplicate_ids,
    near_duplicate_titles,
)
# A collection's own policies, off unless its bibkit.toml lists them (`rules = ["BK050"]`).
OPT_IN: dict[str, Rule] = {
    "BK027": arxiv_version,
    "BK050": arxiv_or_reason,
    "BK060": case_protection,  # a suggestion from the title's shape: helpful to curate, noisy on imports
}


def validate(library: Library, today: date | None = None, enable: Iterable[str] = ()) -> list[Diagnostic]:
    """Every finding for the library: load problems first, then the rules (and the opt-in rules
    named in ``enable``), sorted by place."""
    today = today or date.today()
    found = [d for lo in library.loaded for d in lo.diagnostics]
    for rule in (*RULES, *(OPT_IN[code] for code in sorted(set(enable)))):
        found.extend(rule(library, today))
    return sorted(found, key=Diagnostic.sort_key)


def blocks_export(library: Library, found: Iterable[Diagnostic], strict: bool = False) -> bool:
    """Whether ``found`` stops an export: a record that cannot be read at all always does (there
    is nothing to write), and so does a citation of ``--aux`` that no record answers (the
    paper's .bib would lack it); with ``strict`` (CI), any error does. Otherwise the findings are
    reported and every record is written as completely as it allows, as biber does."""
    if any(lo.record is None for lo in library.loaded):
        return True
    from bibkit.aux import CITATION_CODES

    errors = [d for d in found if d.severity is Severity.ERROR]
    return any(d.code in CITATION_CODES for d in errors) or (strict and bool(errors))


# What the loader says of a file it cannot make a record of (docs/validation.md).
UNREADABLE_CODES = frozenset({"BK000", "BK001", "BK002", "BK003", "BK004", "BK005", "BK006", "BK007"})


def why_blocked(found: Iterable[Diagnostic]) -> str:
    """What ``blocks_export`` stopped on, as an error message says it (from the findings alone:
    a cached answer has no library)."""
    from bibkit.aux import CITATION_CODES

    errors = [d for d in found if d.severity is Severity.ERROR]
    if any(d.code in UNREADABLE_CODES for d in errors):
        return "a record cannot be read"
    if any(d.code in CITATION_CODES for d in errors):
        return "the paper cites keys no record has"
    return "the records have errors (strict)"


class _CallableModule(types.ModuleType):
    """``bibkit.validate(...)`` is the API function (bibkit.api.validate) even once this module, of the
    same name, has been imported and so stands as ``bibkit.validate``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from bibkit import api

        return api.validate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
