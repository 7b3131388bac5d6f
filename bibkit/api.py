"""The Python API: what the CLI does, as functions.

    import bibkit
    library = bibkit.load("records")            # a Library: .records, .loaded (with positions)
    findings = bibkit.validate(library)          # [Diagnostic], sorted by file and position
    data = bibkit.export(library.records, "bibtex")               # bytes
    html = bibkit.export(library.records, "html", style="ieee")   # formatted lists too

These three functions are the public API; the modules that do the work have names of their own
(``bibkit.loader``, ``bibkit.rules``, ``bibkit.exporters``), so ``bibkit.export`` is always this
function and ``help(bibkit.export)`` documents it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from bibkit.diagnostics import Diagnostic
from bibkit.exporters import PageOptions
from bibkit.library import Library
from bibkit.loader import load_library
from bibkit.model import Record


def load(*paths: str | Path) -> Library:
    """Record files, or directories of them (default ``records/``), parsed with positions."""
    return load_library([Path(p) for p in paths] or [Path("records")])


def validate(library: Library, today: date | None = None, enable: Iterable[str] = ()) -> list[Diagnostic]:
    """Every finding: what the loader found in each file, then the rules across files, and the
    opt-in rules named in ``enable`` (a collection's policies, e.g. ``["BK050"]``)."""
    from bibkit.rules import validate as run_rules

    return run_rules(library, today, enable)


def export(records: Sequence[Record], fmt: str, *, style: str = "apa", locale: str = "en-US",
           ascii: bool = False, page: PageOptions | None = None) -> bytes:
    """``records`` as ``fmt`` (bibtex, biblatex, csl-json, text, html, markdown, html-page);
    ``page`` sets the html-page's title, grouping, selected section and members."""
    from bibkit.diagnostics import BibkitError
    from bibkit.exporters import EXPORTERS, ExportOptions
    from bibkit.exporters import export as run_export

    if fmt not in EXPORTERS:
        raise BibkitError(f"unknown format {fmt!r}; choose from {', '.join(EXPORTERS)}")
    return run_export(records, fmt, ExportOptions(style=style, locale=locale, ascii=ascii,
                                                  page=page or PageOptions()))
