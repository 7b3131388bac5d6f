"""Exporters: one module per format, one registry that is also the CLI's list of choices.

Every exporter reads only the model (``Record``) and returns bytes; none writes files or prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (annotations only: a run answered from the record store never imports the model)
    from bibkit.model import Record


@dataclass(frozen=True)
class Member:
    """A lab member whose name the publication page highlights, as written in the records
    (``Given Family``) and in any other form they appear in (``S. Biderman``)."""

    name: str
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class PageOptions:
    """The publication page (``html-page``): its title, grouping and highlights."""

    title: str = "Publications"
    group_by: str = "year"  # "year" or "type"
    selected_first: bool = False  # records tagged "selected" in a section of their own, first
    members: tuple[Member, ...] = ()


GROUP_BY = ("year", "type")


@dataclass(frozen=True)
class ExportOptions:
    style: str = "apa"  # CSL style name or .csl path, for the formatted lists
    locale: str = "en-US"
    ascii: bool = False  # BibTeX: non-ASCII as LaTeX commands, for 8-bit BibTeX
    page: PageOptions = PageOptions()


Exporter = Callable[[Sequence["Record"], ExportOptions], bytes]


def _bibtex(records: Sequence[Record], options: ExportOptions) -> bytes:
    from bibkit.exporters import bibtex

    return bibtex.render(bibtex.BIBTEX, records, ascii=options.ascii)


def _biblatex(records: Sequence[Record], options: ExportOptions) -> bytes:
    from bibkit.exporters import bibtex

    return bibtex.render(bibtex.BIBLATEX, records, ascii=options.ascii)


def _csljson(records: Sequence[Record], options: ExportOptions) -> bytes:
    from bibkit.exporters import csljson

    return csljson.render(records)


@dataclass(frozen=True)
class _Formatted:
    """A formatted list (text, html, markdown) in the options' style and locale."""

    fmt: str

    def __call__(self, records: Sequence[Record], options: ExportOptions) -> bytes:
        from bibkit.exporters import citeproc

        return citeproc.render(records, options.style, options.locale, self.fmt)


LISTS = ("text", "html", "markdown")  # the formatted lists, which a style renders from CSL items


def list_item(record: Record) -> str:
    """A record as the formatted lists read it: its CSL item, as compact JSON (the record store
    keeps it, made where the record is parsed)."""
    import json

    from bibkit.exporters import csljson

    return json.dumps(csljson.item(record), ensure_ascii=False, separators=(",", ":"))


def export_items(items: list[dict[str, Any]], fmt: str, options: ExportOptions) -> bytes:
    """A formatted list (``LISTS``) of CSL items, in the order ``export`` gives their records."""
    from bibkit.exporters import citeproc

    return citeproc.render_items(items, options.style, options.locale, fmt)


def _htmlpage(records: Sequence[Record], options: ExportOptions) -> bytes:
    from bibkit.exporters import htmlpage

    return htmlpage.render(records, options.style, options.locale, options.page)


EXPORTERS: dict[str, Exporter] = {
    "bibtex": _bibtex,
    "biblatex": _biblatex,
    "csl-json": _csljson,
    "text": _Formatted("text"),
    "html": _Formatted("html"),
    "markdown": _Formatted("markdown"),
    "html-page": _htmlpage,
}


@dataclass(frozen=True)
class Stream:
    """A format whose output is one entry per record, joined: ``head``, the entries (in export
    order) separated by ``separator``, ``tail``; ``empty`` when there is no entry. Such an
    export is rendered a record at a time, and an edited record renders its entry alone.
    ``crossref_last``: the export order moves crossref parents after their children
    (``crossref.crossref_order``)."""

    head: str
    separator: str
    tail: str
    empty: str
    entry: Callable[[Record, ExportOptions], str]
    crossref_last: bool = False


def _bibtex_entry(dialect: str) -> Callable[[Record, ExportOptions], str]:
    def entry(record: Record, options: ExportOptions) -> str:
        from bibkit.exporters import bibtex

        return bibtex.render_record(getattr(bibtex, dialect), record, ascii=options.ascii)

    return entry


def _csljson_item(record: Record, options: ExportOptions) -> str:
    import json

    from bibkit.exporters import csljson

    # json.dumps of the whole list indents each item by two more spaces than the item alone.
    text = json.dumps(csljson.item(record), indent=2, ensure_ascii=False)
    return "  " + text.replace("\n", "\n  ")


STREAMS: dict[str, Stream] = {
    "bibtex": Stream("", "\n", "", "", _bibtex_entry("BIBTEX"), crossref_last=True),
    "biblatex": Stream("", "\n", "", "", _bibtex_entry("BIBLATEX"), crossref_last=True),
    "csl-json": Stream("[\n", ",\n", "\n]\n", "[]\n", _csljson_item),
}


def fingerprint(fmt: str, options: ExportOptions) -> str:
    """What, besides the records, decides an export's bytes: the options, and for formatted
    lists the style file's content and the locale a dependent style sets (an edited .csl must
    not be answered from the cache), and the state of the locale files."""
    if fmt not in ("text", "html", "markdown", "html-page"):
        return repr(options)
    import hashlib

    from bibkit.exporters.citeproc import locales_state, resolve

    style = resolve(options.style)
    content = hashlib.blake2b(style.path.read_bytes(), digest_size=16).hexdigest()
    locales = hashlib.blake2b(locales_state().encode(), digest_size=16).hexdigest()
    return f"{options!r}:{style.locale}:{content}:{locales}"


def sort_records(records: Sequence[Record]) -> list[Record]:
    """The defined export order: by citation key, case-insensitively, then exactly."""
    return sorted(records, key=lambda r: (r.key.casefold(), r.key))


def export(records: Sequence[Record], fmt: str, options: ExportOptions | None = None) -> bytes:
    """``records`` in format ``fmt``, sorted by key (formatted lists: as their style sorts)."""
    return EXPORTERS[fmt](sort_records(records), options or ExportOptions())
