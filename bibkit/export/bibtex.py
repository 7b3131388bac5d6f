"""BibTeX and BibLaTeX: one table of entry types and one table of fields per dialect.

The rules, documented in docs/record-format.md:
- CSL type -> entry type by ``ENTRY_TYPE``; a preprint (CSL ``article``) is ``@misc`` for BibTeX
  (what arXiv's own export writes) and ``@online`` for BibLaTeX.
- arXiv identifiers go to ``eprint`` + ``archivePrefix``/``primaryClass`` (BibTeX) or
  ``eprinttype``/``eprintclass`` (BibLaTeX), never with an ``arXiv:`` prefix.
- ``doi``, ``url`` and ``eprint`` are written verbatim; every other text is escaped.
- Titles brace only the words a style must not lowercase (``latex.protect_title``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bibkit.latex import escape, rich_to_latex, to_ascii
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
    person: Callable[[Person], str]  # how one name of a name list is written
    # Written without braces: month macros.
    bare: frozenset[str] = frozenset()


def _names(people: Sequence[Person], truncated: bool = False, name: Callable[[Person], str] | None = None) -> str:
    out = [(name or _name)(p) for p in people]
    if truncated:
        out.append("others")
    return " and ".join(out)


def _name(p: Person) -> str:
    if p.literal is not None:
        return "{" + escape(p.literal) + "}"  # a corporate name: never split, never abbreviated
    if not p.given and not p.suffix:
        # No comma form: "Family," with nothing after the comma makes bibtex complain. One word,
        # or "von Last" with a lower-case particle, reads back as it is; several words without
        # a given name are braced so that BibTeX keeps them together (they read back as literal).
        family = p.family or ""
        particle = p.non_dropping_particle or p.dropping_particle
        if " " not in family and (particle is None or all(w[:1].islower() for w in particle.split())):
            return " ".join(_name_part(x) for x in (particle, family) if x)
        return "{" + escape(p.family_with_particle) + "}"
    # "von Last, Jr, First": the comma form leaves BibTeX nothing to guess about the parts.
    parts = [_name_part(p.family_with_particle or "")]
    if p.suffix:
        parts.append(_name_part(p.suffix))
    parts.append(_name_part(p.given or ""))
    return ", ".join(parts)


def _biblatex_name(p: Person) -> str:
    """As ``_name``, but a dropping particle (biblatex: a prefix with ``useprefix=false``) is
    written in biblatex's extended name format, which says so; a non-dropping one is BibTeX's
    von part, as in a BibTeX file."""
    if p.literal is not None or not p.dropping_particle:
        return _name(p)
    parts = (("family", p.family_with_particle), ("given", p.given), ("prefix", p.dropping_particle),
             ("suffix", p.suffix))
    return ", ".join(f"{k}={{{escape(v)}}}" for k, v in parts if v) + ", useprefix=false"


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
    if r.issued is None:
        return None
    end = r.issued.end
    return f"{r.issued.year:04d}" + (f"--{end.year:04d}" if end and end.year != r.issued.year else "")


_IN_BOOK = ("paper-conference", "chapter", "entry-encyclopedia", "entry-dictionary", "entry")


def _container(*csl_types: str) -> Getter:
    """container-title, for the entry types whose field this is: booktitle for parts of books
    and proceedings, journal for everything else (a @misc keeps its container that way)."""
    if csl_types == ("article-journal",):
        return lambda r: r.get("container-title") if r.type not in _IN_BOOK else None
    return lambda r: r.get("container-title") if r.type in _IN_BOOK else None


def _howpublished(r: Record) -> str | None:
    # Classic styles print neither eprint nor archivePrefix, so a preprint names itself here.
    if r.type != "article":
        return None
    return f"arXiv:{r.arxiv.base}" if r.arxiv else r.get("publisher")


def _eprint(r: Record) -> str | None:
    """arXiv's identifier, else the record's own eprint (a PubMed id, a handle)."""
    return r.arxiv.base if r.arxiv else r.get("eprint")


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


def _text(name: str) -> Getter:
    return lambda r: r.get(name)


def _dated(name: str) -> Getter:
    return lambda r: str(r.dates[name]) if name in r.dates else None


def _institution(*kinds: str) -> Getter:
    """school/institution for the entry types that have it: the record's institution, else its
    publisher (CSL keeps a thesis's university there)."""
    return lambda r: (r.get("institution") or r.get("publisher")) if r.type in kinds else None


def _publisher_for(*institutional: str) -> Getter:
    """publisher, unless it was written as school/institution already."""
    def get(r: Record) -> str | None:
        if r.type == "article" or (r.type in institutional and not r.get("institution")):
            return None
        return r.get("publisher")
    return get


def _other_institution(*kinds: str) -> Getter:
    return lambda r: r.get("institution") if r.type not in kinds else None


# BibTeX/BibLaTeX name list -> the record's role (bibkit.fields).
NAME_ROLES: tuple[tuple[str, str], ...] = (
    ("author", "author"), ("editor", "editor"), ("translator", "translator"), ("bookauthor", "container-author"),
    *((role, role) for role in ("editora", "editorb", "editorc", "annotator", "commentator", "introduction",
                                "foreword", "afterword", "holder")),
)
# Record fields BibTeX and BibLaTeX share a name for, after the dialect's own.
_SHARED: tuple[tuple[str, Getter], ...] = (
    ("volume", lambda r: r.get("volume")),
    ("pages", _pages),
    ("chapter", _text("chapter-number")),
    ("edition", _text("edition")),
    ("organization", lambda r: r.get("organization")),
    ("isbn", _text("ISBN")),
    ("issn", _text("ISSN")),
    ("doi", _doi),
    ("url", lambda r: r.url),
    ("keywords", _keywords),
    ("crossref", _text("crossref")),
    ("xdata", _text("xdata")),
    ("xref", _text("xref")),
    ("key", _text("key")),
)
# BibLaTeX's names for the rest, written in both dialects so that nothing is lost (bibtex's
# styles ignore what they do not know).
_BIBLATEX_NAMED: tuple[tuple[str, Getter], ...] = tuple(
    (bib, _text(field)) for bib, field in (
        ("subtitle", "subtitle"), ("titleaddon", "titleaddon"), ("maintitle", "maintitle"),
        ("booktitleaddon", "booktitleaddon"), ("shorttitle", "title-short"),
        ("shortjournal", "container-title-short"), ("origtitle", "original-title"),
        ("origpublisher", "original-publisher"), ("origlocation", "original-publisher-place"),
        ("issuetitle", "volume-title"), ("venue", "event-place"), ("pagetotal", "number-of-pages"),
        ("volumes", "number-of-volumes"), ("part", "part-number"), ("version", "version"),
        ("pubstate", "status"), ("library", "call-number"), ("eid", "eid"), ("entrysubtype", "entrysubtype"),
        ("langid", "langid"), ("addendum", "addendum"), ("language", "language"), ("abstract", "abstract"),
        ("annote", "annote"),
    )
) + (("urldate", _dated("accessed")), ("eventdate", _dated("event-date")), ("origdate", _dated("original-date")))

BIBTEX = Dialect(
    name="bibtex",
    entry_type={"article-journal": "article", "paper-conference": "inproceedings", "book": "book",
                "chapter": "incollection", "thesis": "phdthesis", "report": "techreport",
                "article": "misc", "manuscript": "unpublished", "pamphlet": "booklet"},
    default_type="misc",
    fields=(
        ("title", lambda r: r.title or None),
        ("journal", _container("article-journal")),
        ("booktitle", _container("paper-conference", "chapter")),
        ("series", lambda r: r.get("collection-title")),
        ("howpublished", _howpublished),
        ("year", _year),
        ("month", _month),
        ("number", lambda r: r.get("issue") or r.get("number")),
        ("type", _genre),
        ("school", _institution("thesis")),
        ("institution", _institution("report")),
        ("publisher", _publisher_for("thesis", "report")),
        ("address", _text("publisher-place")),
    ) + _SHARED + (
        ("eprint", _eprint),
        ("archivePrefix", _arxiv("arXiv")),
        ("primaryClass", lambda r: r.arxiv_class if r.arxiv else _text("eprintclass")(r)),
        ("eprinttype", lambda r: None if r.arxiv else r.get("eprinttype")),
        ("note", lambda r: r.get("note")),
        ("eventtitle", _text("event-title")),
        ("issue", lambda r: r.get("issue") if r.get("number") and r.get("issue") else None),
        ("institution", _other_institution("thesis", "report")),
    ) + _BIBLATEX_NAMED,
    verbatim=frozenset({"doi", "url", "eprint", "crossref", "xdata", "xref"}),
    person=_name,
    bare=frozenset({"month"}),
)

BIBLATEX = Dialect(
    name="biblatex",
    entry_type={"article-journal": "article", "paper-conference": "inproceedings", "book": "book",
                "chapter": "incollection", "thesis": "thesis", "report": "report",
                "article": "online", "webpage": "online", "dataset": "dataset",
                "software": "software", "manuscript": "unpublished", "patent": "patent",
                "periodical": "periodical", "standard": "standard", "pamphlet": "booklet",
                "entry-encyclopedia": "inreference", "motion_picture": "movie", "musical_score": "music",
                "personal_communication": "letter", "legislation": "legislation", "legal_case": "jurisdiction",
                "performance": "performance", "review": "review"},
    default_type="misc",
    fields=(
        ("title", lambda r: r.title or None),
        ("journaltitle", _container("article-journal")),
        ("booktitle", _container("paper-conference", "chapter")),
        ("series", lambda r: r.get("collection-title")),
        ("eventtitle", lambda r: r.get("event-title")),
        ("date", _date),
        ("number", lambda r: r.get("number") if r.get("number") and r.get("issue") else
         (r.get("issue") or r.get("number"))),
        ("issue", lambda r: r.get("issue") if r.get("number") and r.get("issue") else None),
        ("type", _genre),
        ("institution", lambda r: r.get("institution") or (r.get("publisher") if r.type in ("thesis", "report")
                                                             else None)),
        ("publisher", _publisher_for("thesis", "report")),
        ("location", _text("publisher-place")),
        ("howpublished", lambda r: r.get("howpublished") if r.type != "article" else None),
    ) + _SHARED + (
        ("eprint", _eprint),
        ("eprinttype", lambda r: "arxiv" if r.arxiv else r.get("eprinttype")),
        ("eprintclass", lambda r: r.arxiv_class if r.arxiv else r.get("eprintclass")),
        ("organization", lambda r: r.get("publisher") if r.type == "article" else None),
        ("note", lambda r: r.get("note")),
    ) + _BIBLATEX_NAMED,
    verbatim=frozenset({"doi", "url", "eprint", "crossref", "xdata", "xref"}),
    person=_biblatex_name,
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
        return "{" + rich_to_latex(value, title=True) + "}"
    if name == "pages":
        return "{" + escape(value, ligatures=True) + "}"
    return "{" + rich_to_latex(value) + "}"


# Record fields the tables above write (or derive others from); any other is written under its
# own name, so that an import of the export finds it again.
_WRITTEN_TEXT = frozenset({
    "container-title", "collection-title", "event-title", "publisher", "volume", "issue", "page", "number",
    "genre", "note", "publisher-place", "chapter-number", "edition", "organization", "ISBN", "ISSN",
    "crossref", "xdata", "xref", "key", "howpublished", "institution", "eprint", "eprinttype", "eprintclass",
    "subtitle", "titleaddon", "maintitle", "booktitleaddon", "title-short", "container-title-short",
    "original-title", "original-publisher", "original-publisher-place", "volume-title", "event-place",
    "number-of-pages", "number-of-volumes", "part-number", "version", "status", "call-number", "eid",
    "entrysubtype", "langid", "addendum", "language", "abstract", "annote", "entrytype",
})
_WRITTEN_NAMES = frozenset({"translator", "container-author", "editora", "editorb", "editorc", "annotator",
                            "commentator", "introduction", "foreword", "afterword", "holder"})
_WRITTEN_DATES = frozenset({"accessed", "event-date", "original-date"})
# What a field name may be in a .bib (BibTeX: no white space, none of " # % ' ( ) , = { }).
_FIELD_NAME = re.compile(r"[A-Za-z][^\s\"#%'(),={}]*")
# Kept from CSL-JSON for the CSL-JSON export; not fields of an entry.
_NOT_BIBTEX = frozenset({"id", "type", "citation-key", "custom"})


def _balanced(text: str) -> bool:
    depth = 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            return False
        i += 1
    return depth == 0


def render_entry(dialect: Dialect, record: Record, ascii: bool = False) -> str:
    kind = record.get("entrytype") or dialect.entry_type.get(record.type, dialect.default_type)
    if kind == "phdthesis" and _is_masters(record):
        kind = "mastersthesis"
    # (field, value as written), in the order written; the first of a name wins.
    items: list[tuple[str, str | None]] = []
    for bib, role in NAME_ROLES:
        people, truncated = record.people(role), role == "author" and record.author_truncated
        if people or truncated:
            items.append((bib, "{" + _names(people, truncated, dialect.person) + "}"))
    for name, get in dialect.fields:
        value = get(record)
        items.append((name, _value(dialect, name, value) if value else None))
    # What the tables do not write goes under its record name: nothing a record holds is dropped.
    items += [(n, _value(dialect, n, v)) for n, v in record.text.items() if n not in _WRITTEN_TEXT and v]
    items += [(n, "{" + _names(p, name=dialect.person) + "}") for n, p in record.names.items()
              if n not in _WRITTEN_NAMES and p]
    items += [(n, "{" + str(d) + "}") for n, d in record.dates.items() if n not in _WRITTEN_DATES]
    # Imported fields bibkit has no use for come back after its own, as they were written
    # (bibtex and biber never typeset a field they do not know).
    own = [(n, "{" + (v if _balanced(v) else escape(v)) + "}") for n, v in sorted(record.extra.items())
           if isinstance(v, str) and v and _FIELD_NAME.fullmatch(n) and n not in _NOT_BIBTEX]
    # A field the import kept as written because it could not read it exactly (date = {2019/..},
    # month = {Spring}) is written as it came, in the place of bibkit's reading of it.
    kept = {n.lower(): (n, text) for n, text in own}
    lines = [f"@{kind}{{{record.key},"]
    written: set[str] = set()
    for name, text in [*items, *own]:
        if text and name.lower() not in written:
            written.add(name.lower())
            name, text = kept.get(name.lower(), (name, text))
            lines.append(f"  {name} = {to_ascii(text) if ascii else text},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dialect: Dialect, records: Sequence[Record], ascii: bool = False) -> bytes:
    """The entries in the order given, separated by blank lines, as UTF-8; except that an entry
    other entries name in ``crossref`` comes after the last of them, as bibtex requires."""
    return "\n".join(render_entry(dialect, r, ascii) for r in crossref_order(records)).encode("utf-8")


def crossref_order(records: Sequence[Record]) -> list[Record]:
    """``records`` in their order, each crossref parent moved after its children (and a parent's
    parent after it). bibtex resolves a crossref only when the parent comes later in the file;
    biber reads any order, so both dialects use this one."""
    children: dict[str, list[Record]] = {}
    for r in records:
        if parent := r.get("crossref"):
            children.setdefault(parent.casefold(), []).append(r)
    depth: dict[str, int] = {}

    def depth_of(r: Record, seen: frozenset[str] = frozenset()) -> int:
        key = r.key.casefold()
        if key not in depth:
            below = [c for c in children.get(key, ()) if c.key.casefold() not in seen]  # a cycle stops here
            depth[key] = 1 + max((depth_of(c, seen | {key}) for c in below), default=-1)
        return depth[key]

    return sorted(records, key=depth_of)  # stable: the given order within each depth
