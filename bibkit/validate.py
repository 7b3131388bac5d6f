"""Validation rules: one function per rule, one line in ``RULES``.

Per-file problems of syntax and types are found while loading (``load.py``); the rules here
look at whole records (``PER_RECORD``) and across records (``across.py``, on compact keys).
Each rule yields Diagnostics and never prints.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from bibkit import across, keys
from bibkit.across import Facts
from bibkit.diagnostics import Diagnostic, Severity
from bibkit.fields import REQUIRED_BY_TYPE
from bibkit.load import Library

Rule = Callable[[Library, date], Iterator[Diagnostic]]


def required_fields(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK012: type, title, author (or editor), issued, and what the type needs."""
    for lo in library.loaded:
        rec = lo.record
        if rec is None:
            continue
        wanted = ["type", "title", "issued"] + (["author"] if not rec.editor else [])
        by_type = REQUIRED_BY_TYPE.get(rec.type, ())
        for name in (*wanted, *by_type):
            if name not in lo.spans:
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
        if not keys.is_valid_key(rec.key):
            yield lo.diag(where, "BK031", f"citation key {rec.key!r} is not accepted by BibTeX and "
                          "biber: it must start with a letter or digit and contain no white space "
                          "or any of \" # ' ( ) , = { } % ~ \\")
            continue
        stem = lo.path.name.removesuffix(keys.SUFFIX)
        expected = keys.file_stem_for(rec.key)
        if stem != expected:
            yield lo.diag(where, "BK030", f"file name {lo.path.name!r} does not match the citation "
                          f"key {rec.key!r}: expected {expected + keys.SUFFIX!r}")


def dates(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK023/BK024: not in the future; not before the arXiv submission month."""
    for lo in library.loaded:
        rec = lo.record
        if rec is None or rec.issued is None:
            continue
        if rec.issued.is_after(today):
            yield lo.diag("issued", "BK023", f"date {rec.issued} is in the future")
        if rec.arxiv is not None:
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


def across_records(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK040-BK043: keys, arXiv ids and DOIs repeated, near-duplicate titles (``bibkit.across``)."""
    return iter(across.findings([f for lo in library.loaded if (f := Facts.of(lo)) is not None]))


def arxiv_or_reason(library: Library, today: date) -> Iterator[Diagnostic]:
    """BK050: a paper without an arXiv identifier says why (``provenance.no-arxiv``)."""
    for lo in library.loaded:
        rec = lo.record
        if rec is not None and "arxiv" not in lo.spans and rec.provenance.no_arxiv is None:
            yield lo.diag("", "BK050", "no 'arxiv' identifier and no 'provenance.no-arxiv' reason",
                          Severity.WARNING)


# Rules that look at one record at a time: a cache may keep their findings per file.
PER_RECORD: tuple[Rule, ...] = (
    required_fields,
    key_and_file_name,
    dates,
    arxiv_version,
    arxiv_or_reason,
)
RULES: tuple[Rule, ...] = (*PER_RECORD, across_records)


def validate(library: Library, today: date | None = None) -> list[Diagnostic]:
    """Every finding for the library: load problems first, then the rules, sorted by place."""
    today = today or date.today()
    found = [d for lo in library.loaded for d in lo.diagnostics]
    for rule in RULES:
        found.extend(rule(library, today))
    return sorted(found, key=Diagnostic.sort_key)


class _CallableModule(types.ModuleType):
    """``bibkit.validate(...)`` is the API function (bibkit.api.validate) even once this module, of the
    same name, has been imported and so stands as ``bibkit.validate``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from bibkit import api

        return api.validate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
