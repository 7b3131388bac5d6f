"""BibTeX and BibLaTeX: one table of entry types and one table of fields per dialect.

The rules, documented in docs/record-format.md:
- CSL type -> entry type by ``ENTRY_TYPE``; a preprint (CSL ``article``) is ``@misc`` for BibTeX
  (what arXiv's own export writes) and ``@online`` for BibLaTeX.
- arXiv identifiers go to ``eprint`` + ``archivePrefix``/``primaryClass`` (BibTeX) or
  ``eprinttype``/``eprintclass`` (BibLaTeX), never with an ``arXiv:`` prefix.
- ``doi``, ``url`` and ``eprint`` are written verbatim; every other text is escaped.
- Titles brace only the words a style must not lowercase (``latex.protect_title``).
- A record's former keys (``ids``) are biblatex's ``ids`` field; BibTeX has no aliases, so it
  gets a copy of the entry under each former key.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bibkit.latex import escape, protect_title, to_ascii
from bibkit.model import Person, Record

_UNSAFE_VERBATIM = re.compile(r"[\s{}\\]")
_AND = re.compile(r"(^|\s)and(\s|$)", re.I)  # BibTeX splits names at a word "and"
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

Getter = Callable[[Record], str | None]


@dataclass(frozen=True)
class Dialect:
    name: str
    entry_type: dict[str, str]
    default_type: str
    fields: tuple[tuple[str, Getter], ...]
    # Written as given: identifiers and URLs that LaTeX's url/doi packages typeset themselves.
    verbatim: frozenset[str]
    # Written without braces: month macros.
    bare: frozenset[str] = frozenset()
    # A record's former keys (``ids``) as copies of its entry: BibTeX has no aliases.
    copies_for_ids: bool = False


def _names(people: Sequence[Person], truncated: bool = False) -> str | None:
    if not people:
        return None
    out = [_name(p) for p in people]
    if truncated:
        out.append("others")
    return " and ".join(out)


def _name(p: Person) -> str:
    if p.literal is not None:
        return "{" + escape(p.literal) + "}"  # a corporate name: never split, never abbreviated
    # "von Last, Jr, First": the comma form leaves BibTeX nothing to guess about the parts.
    parts = [_name_part(p.family_with_particle or "")]
    if p.suffix:
        parts.append(_name_part(p.suffix))
    if p.given:
        parts.append(_name_part(p.given))
    elif p.suffix:
        parts.append("")
    elif " " in parts[0]:
        parts.append("")  # "BI Intelligence, ": the comma keeps both words in the family name
    return ", ".join(parts)


def _name_part(text: str) -> str:
    """A name part BibTeX will not split: a comma or a word "and" inside it is braced."""
    escaped = escape(text)
    if "," in text or _AND.search(text):
        return "{" + escaped + "}"
    return escaped


def _pages(r: Record) -> str | None:
    page = r.get("page")
    return page.replace("–", "--").replace("-", "--").replace("----", "--") if page else None


def _month(r: Record) -> str | None:
    return MONTHS[r.issued.month - 1] if r.issued and r.issued.month else None


def _year(r: Record) -> str | None:
    return str(r.issued.year) if r.issued else None


def _container(*csl_types: str) -> Getter:
    """container-title, for the entry types whose field this is (journal, booktitle, ...)."""
    return lambda r: r.get("container-title") if r.type in csl_types else None


def _howpublished(r: Record) -> str | None:
    # Classic styles print neither eprint nor archivePrefix, so a preprint names itself here.
    if r.type != "article":
        return None
    return f"arXiv:{r.arxiv.base}" if r.arxiv else r.get("publisher")


def _eprint(r: Record) -> str | None:
    return r.arxiv.base if r.arxiv else None


def _arxiv(value: str) -> Getter:
    return lambda r: value if r.arxiv else None


def _date(r: Record) -> str | None:
    return str(r.issued) if r.issued else None


def _publisher(r: Record) -> str | None:
    return None if r.type == "article" else r.get("publisher")


def _doi(r: Record) -> str | None:
    return r.doi.value if r.doi else None


def _keywords(r: Record) -> str | None:
    return ", ".join(r.tags) if r.tags else None


def _genre(r: Record) -> str | None:
    """BibTeX's ``type`` field: what kind of thesis, report or chapter, when the record says."""
    return r.get("genre")


def _is_masters(r: Record) -> bool:
    return r.type == "thesis" and "master" in (r.get("genre") or "").lower()


_COMMON_HEAD: tuple[tuple[str, Getter], ...] = (
    ("author", lambda r: _names(r.author, r.author_truncated)),
    ("editor", lambda r: _names(r.editor)),
    ("title", lambda r: r.title or None),
)
_COMMON_TAIL: tuple[tuple[str, Getter], ...] = (
    ("volume", lambda r: r.get("volume")),
    ("pages", _pages),
    ("publisher", _publisher),
    ("doi", _doi),
    ("url", lambda r: r.url),
    ("eprint", _eprint),
    ("keywords", _keywords),
)

BIBTEX = Dialect(
    name="bibtex",
    entry_type={"article-journal": "article", "paper-conference": "inproceedings", "book": "book",
                "chapter": "incollection", "thesis": "phdthesis", "report": "techreport",
                "article": "misc"},
    default_type="misc",
    fields=_COMMON_HEAD + (
        ("journal", _container("article-journal")),
        ("booktitle", _container("paper-conference", "chapter")),
        ("series", lambda r: r.get("collection-title")),
        ("howpublished", _howpublished),
        ("year", _year),
        ("month", _month),
        ("number", lambda r: r.get("issue") or r.get("number")),
        ("type", _genre),
    ) + _COMMON_TAIL + (
        ("archivePrefix", _arxiv("arXiv")),
        ("primaryClass", lambda r: r.arxiv_class if r.arxiv else None),
        ("note", lambda r: r.get("note")),
    ),
    verbatim=frozenset({"doi", "url", "eprint"}),
    bare=frozenset({"month"}),
    copies_for_ids=True,
)

BIBLATEX = Dialect(
    name="biblatex",
    entry_type={"article-journal": "article", "paper-conference": "inproceedings", "book": "book",
                "chapter": "incollection", "thesis": "thesis", "report": "report",
                "article": "online", "webpage": "online", "dataset": "dataset",
                "software": "software"},
    default_type="misc",
    fields=_COMMON_HEAD + (
        ("journaltitle", _container("article-journal")),
        ("booktitle", _container("paper-conference", "chapter")),
        ("series", lambda r: r.get("collection-title")),
        ("eventtitle", lambda r: r.get("event-title")),
        ("date", _date),
        ("number", lambda r: r.get("issue") or r.get("number")),
        ("type", _genre),
    ) + _COMMON_TAIL + (
        ("eprinttype", _arxiv("arxiv")),
        ("eprintclass", lambda r: r.arxiv_class if r.arxiv else None),
        ("organization", lambda r: r.get("publisher") if r.type == "article" else None),
        ("note", lambda r: r.get("note")),
        ("ids", lambda r: ",".join(r.ids) or None),
    ),
    verbatim=frozenset({"doi", "url", "eprint", "ids"}),
)


def _value(dialect: Dialect, name: str, value: str) -> str:
    if name in dialect.bare:
        return value
    if name in dialect.verbatim and not _UNSAFE_VERBATIM.search(value):
        # DOIs, URLs and arXiv ids as the model admits them hold no brace, backslash or white
        # space, so they are written as they are, which is how \url and \doi want them; a value
        # that slipped past the model is escaped like any text instead.
        return "{" + value + "}"
    if name == "title":
        return "{" + protect_title(value) + "}"
    if name in ("author", "editor"):
        return "{" + value + "}"  # names are escaped part by part in _name
    if name == "pages":
        return "{" + escape(value, ligatures=True) + "}"
    return "{" + escape(value) + "}"


def render_entry(dialect: Dialect, record: Record, ascii: bool = False) -> str:
    kind = dialect.entry_type.get(record.type, dialect.default_type)
    if kind == "phdthesis" and _is_masters(record):
        kind = "mastersthesis"
    lines = [f"@{kind}{{{record.key},"]
    written: set[str] = set()
    fields = [(name, get(record)) for name, get in dialect.fields]
    # Imported fields bibkit has no use for come back after its own, unless it wrote them.
    fields += sorted(record.extra.items())
    for name, value in fields:
        if value and name.lower() not in written:
            written.add(name.lower())
            text = _value(dialect, name, value)
            lines.append(f"  {name} = {to_ascii(text) if ascii else text},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dialect: Dialect, records: Sequence[Record], ascii: bool = False) -> bytes:
    """The entries in the order given, separated by blank lines, as UTF-8; in BibTeX, each
    record's entry is followed by a copy under each of its former keys, so that they stay citable."""
    entries = []
    for r in records:
        entries.append(render_entry(dialect, r, ascii))
        if dialect.copies_for_ids:
            entries.extend(render_entry(dialect, dataclasses.replace(r, key=old, ids=()), ascii) for old in r.ids)
    return "\n".join(entries).encode("utf-8")
