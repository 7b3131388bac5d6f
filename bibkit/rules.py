"""Validation rules: one function per rule, one line in ``RULES``.

Per-file problems of syntax and types are found while loading (``loader.py``); the rules here
look at one record at a time (``PER_RECORD``, and the opt-in ``OPT_IN``) and across records
(``across.py``, on compact keys). Each rule yields Diagnostics and never prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date

from bibkit import across, keys
from bibkit.across import Facts
from bibkit.diagnostics import Diagnostic, Severity
from bibkit.fields import REQUIRED_BY_TYPE
from bibkit.library import Library

Rule = Callable[[Library, date], Iterator[Diagnostic]]

_KEY_RULE = ("is not accepted by BibTeX and biber: a key is printable ASCII without white space or any of "
             "\" # ' ( ) , = { } % ~ \\")


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
    """BK032: an `entrytype` is a name every reader takes after `@` (``keys.ENTRY_TYPE``)."""
    for lo in library.loaded:
        kind = lo.record.get("entrytype") if lo.record else None
        if kind is not None and not keys.is_entry_type(kind):
            yield lo.diag("entrytype", "BK032", f"entry type {kind!r} is not one every reader takes: a letter, "
                          "then letters, digits or '_'")


def dates(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK023/BK024: not in the future; a preprint not before the month before its arXiv
    identifier's (a published version may be older than its arXiv copy: authors post papers after
    publication). arXiv numbers a paper by the month of its announcement cycle, so one submitted
    in the last days of a month has the next month's identifier (the Pile: 31 December 2020,
    2101.00027)."""
    for lo in library.loaded:
        rec = lo.record
        if rec is None or rec.issued is None:
            continue
        if rec.issued.is_after(today):
            yield lo.diag("issued", "BK023", f"date {rec.issued} is in the future")
        if rec.arxiv is not None and rec.type == "article":
            year, month = rec.arxiv.year_month
            earliest = (year - 1, 12) if month == 1 else (year, month - 1)
            issued = (rec.issued.year, rec.issued.month or 12)
            if issued < earliest:
                yield lo.diag("arxiv", "BK024", f"arXiv identifier {rec.arxiv} was assigned in {year}-{month:02d}: "
                              f"the record's date {rec.issued} is before {earliest[0]}-{earliest[1]:02d}, "
                              "the earliest month a paper with it was submitted")


def arxiv_version(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK027: records name the paper, not one of its versions."""
    for lo in library.loaded:
        rec = lo.record
        if rec is not None and rec.arxiv is not None and rec.arxiv.version is not None:
            yield lo.diag("arxiv", "BK027", f"write the arXiv identifier without its version: "
                          f"{rec.arxiv.base!r}", Severity.WARNING)


def across_records(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK040-BK043: keys (former keys too), arXiv ids and DOIs repeated, near-duplicate titles
    (``bibkit.across``)."""
    return iter(across.findings([f for lo in library.loaded if (f := Facts.of(lo)) is not None]))


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


# Rules that look at one record at a time: the record store keeps their findings per file.
PER_RECORD: tuple[Rule, ...] = (
    required_fields,
    key_and_file_name,
    entry_type,
    dates,
)
RULES: tuple[Rule, ...] = (*PER_RECORD, across_records)
# A collection's own policies, off unless its bibkit.toml lists them (`rules = ["BK050"]`). Each
# looks at one record at a time.
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
    for rule in (*per_record_rules(enable), across_records):
        found.extend(rule(library, today))
    return sorted(found, key=Diagnostic.sort_key)


def per_record_rules(enable: Iterable[str] = ()) -> tuple[Rule, ...]:
    """The rules that look at one record, with the opt-in ones named in ``enable``."""
    return (*PER_RECORD, *(OPT_IN[code] for code in sorted(set(enable))))


def blocks_export(unreadable: bool, found: Iterable[Diagnostic], strict: bool = False) -> bool:
    """Whether ``found`` stops an export: a record that cannot be read at all (``unreadable``)
    always does (there is nothing to write), and so does a citation of ``--aux`` that no record
    answers (the paper's .bib would lack it); with ``strict`` (CI), any error does. Otherwise the
    findings are reported and every record is written as completely as it allows, as biber does."""
    if unreadable:
        return True
    errors = [d for d in found if d.severity is Severity.ERROR]
    return any(d.code in CITATION_CODES for d in errors) or (strict and bool(errors))


# The findings about what a paper cites (bibkit.aux; not about the records): an export stops on
# an error among them.
CITATION_CODES = frozenset({"BK070", "BK071", "BK072"})
# What the loader says of a file it cannot make a record of (docs/validation.md).
UNREADABLE_CODES = frozenset({"BK000", "BK001", "BK002", "BK003", "BK004", "BK005", "BK006", "BK007"})


def why_blocked(found: Iterable[Diagnostic]) -> str:
    """What ``blocks_export`` stopped on, as an error message says it (from the findings alone:
    a cached answer has no library)."""
    errors = [d for d in found if d.severity is Severity.ERROR]
    if any(d.code in UNREADABLE_CODES for d in errors):
        return "a record cannot be read"
    if any(d.code in CITATION_CODES for d in errors):
        return "the paper cites keys no record has"
    return "the records have errors (strict)"
