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

from bibkit.exporters.crossref import crossref_order
from bibkit.keys import is_entry_type, is_valid_key
from bibkit.latex import escape, latex_to_rich, rich_to_latex, to_ascii
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
    # A record's former keys (``ids``) as copies of its entry: BibTeX has no aliases.
    copies_for_ids: bool = False


def _names(people: Sequence[Person], truncated: bool = False, name: Callable[[Person], str] | None = None) -> str:
    out = [(name or _name)(p) for p in people]
    if truncated:
        out.append("others")
    return " and ".join(out)


def _name(p: Person) -> str:
    if p.literal is not None:
        return "{" + escape(p.literal) + "}"  # a corporate name: never split, never abbreviated
    particle = (p.non_dropping_particle or p.dropping_particle or "").split()
    family = (p.family or "").split()
    if not p.given and not p.suffix:
        # No comma form: "Family," with nothing after the comma makes bibtex complain. The
        # words are written as they are when BibTeX splits them back into these parts ("van der
        # Wal", "et al."); otherwise they are braced, so that BibTeX keeps them together (they
        # read back as a literal name).
        text = " ".join((*particle, *family))
        if _first_von_last([*particle, *family]) == ([], particle, family) and not _splits(text):
            return escape(text)
        # A family name BibTeX would split at a comma or an "and" is braced on its own after a
        # von part it finds as one (Mendeley's "et al. {H. Taennler, A. Wicki}").
        if particle and _reads_as_von(particle) and not _splits(" ".join(particle)):
            return escape(" ".join(particle)) + " {" + escape(" ".join(family)) + "}"
        return "{" + escape(text) + "}"
    # "von Last, Jr, First": the comma form leaves BibTeX nothing to guess about the parts, but
    # for the von part, which runs to the last lower-case word: a family name with a lower-case
    # word of its own (Vázques de Parga) is braced.
    last = " ".join(family)
    last = "{" + escape(last) + "}" if any(w[:1].islower() for w in family) else _name_part(last)
    parts = [" ".join(_name_part(w) for w in particle) + (" " if particle else "") + last]
    if p.suffix:
        parts.append(_name_part(p.suffix))
    parts.append(_name_part(p.given or ""))
    return ", ".join(parts)


def _first_von_last(words: list[str]) -> tuple[list[str], list[str], list[str]]:
    """How BibTeX splits a name without commas: von runs from the first to the last lower-case
    word before the last word; First is what comes before it, Last what comes after."""
    if len(words) <= 1:
        return [], [], words
    lower = [i for i, w in enumerate(words[:-1]) if w[:1].islower()]
    if not lower:
        return words[:-1], [], words[-1:]
    return words[:lower[0]], words[lower[0]:lower[-1] + 1], words[lower[-1] + 1:]


def _reads_as_von(words: list[str]) -> bool:
    """Whether BibTeX takes ``words``, before a last name, as the von part, all of them."""
    return _first_von_last([*words, "Last"]) == ([], words, ["Last"])


def _biblatex_name(p: Person) -> str:
    """As ``_name``, but a dropping particle (biblatex: a prefix with ``useprefix=false``) is
    written in biblatex's extended name format, which says so; a non-dropping one is BibTeX's
    von part, as in a BibTeX file."""
    if p.literal is not None or not p.dropping_particle:
        return _name(p)
    parts = (("family", p.family_with_particle), ("given", p.given), ("prefix", p.dropping_particle),
             ("suffix", p.suffix))
    return ", ".join(f"{k}={{{escape(v)}}}" for k, v in parts if v) + ", useprefix=false"


def _splits(text: str) -> bool:
    """Whether BibTeX would split a name at ``text``'s comma or word "and"."""
    return "," in text or bool(_AND.search(text))


def _name_part(text: str) -> str:
    """A name part BibTeX will not split: a comma or a word "and" inside it is braced."""
    escaped = escape(text)
    return "{" + escaped + "}" if _splits(text) else escaped


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


# The getters made for one field each are small callable values rather than closures: the tables
# are built when the module is imported, and a value's method runs (and can be tested, mutants
# included) each time an entry is written.

@dataclass(frozen=True)
class _Container:
    """container-title, for the entry types whose field this is: booktitle for parts of books
    and proceedings (``in_book``), journal for everything else (a @misc keeps its container that
    way)."""

    in_book: bool

    def __call__(self, r: Record) -> str | None:
        return r.get("container-title") if (r.type in _IN_BOOK) == self.in_book else None


def _howpublished(r: Record) -> str | None:
    # Classic styles print neither eprint nor archivePrefix, so a preprint names itself here.
    if r.get("howpublished") or r.type != "article":
        return r.get("howpublished")
    return f"arXiv:{r.arxiv.base}" if r.arxiv else r.get("publisher")


def _eprint(r: Record) -> str | None:
    """arXiv's identifier, else the record's own eprint (a PubMed id, a handle)."""
    return str(r.arxiv) if r.arxiv else r.get("eprint")


@dataclass(frozen=True)
class _IfArxiv:
    """A constant, for a record with an arXiv identifier."""

    value: str

    def __call__(self, r: Record) -> str | None:
        return self.value if r.arxiv else None


def _date(r: Record) -> str | None:
    return str(r.issued) if r.issued else None


def _doi(r: Record) -> str | None:
    return r.doi.value if r.doi else None


def _keywords(r: Record) -> str | None:
    return ", ".join(r.tags) if r.tags else None


def _number(r: Record) -> str | None:
    """A journal's issue is BibTeX's number; beside a number of its own (an article or report
    number), each keeps its name, as biblatex reads them and bibkit's import reads them back."""
    if r.get("number") and r.get("issue"):
        return r.get("number")
    return r.get("issue") or r.get("number")


def _genre(r: Record) -> str | None:
    """BibTeX's ``type`` field: what kind of thesis, report or chapter, when the record says."""
    return r.get("genre")


def _is_masters(r: Record) -> bool:
    return r.type == "thesis" and "master" in (r.get("genre") or "").lower()


@dataclass(frozen=True)
class _Text:
    """A text field of the record, as it is."""

    name: str

    def __call__(self, r: Record) -> str | None:
        return r.get(self.name)


@dataclass(frozen=True)
class _Dated:
    """A date of the record beside ``issued``, in ISO form."""

    name: str

    def __call__(self, r: Record) -> str | None:
        return str(r.dates[self.name]) if self.name in r.dates else None


@dataclass(frozen=True)
class _Institution:
    """school/institution for the CSL types that have it (``kinds``): the record's institution,
    else its publisher (CSL keeps a thesis's university there)."""

    kinds: tuple[str, ...]

    def __call__(self, r: Record) -> str | None:
        return (r.get("institution") or r.get("publisher")) if r.type in self.kinds else None


def _publisher(r: Record) -> str | None:
    return r.get("publisher")


@dataclass(frozen=True)
class _OtherInstitution:
    """The record's institution, for the CSL types ``_Institution`` does not write it for."""

    kinds: tuple[str, ...]

    def __call__(self, r: Record) -> str | None:
        return r.get("institution") if r.type not in self.kinds else None


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
    ("chapter", _Text("chapter-number")),
    ("edition", _Text("edition")),
    ("organization", lambda r: r.get("organization")),
    ("isbn", _Text("ISBN")),
    ("issn", _Text("ISSN")),
    ("doi", _doi),
    ("url", lambda r: r.url),
    ("keywords", _keywords),
    ("crossref", _Text("crossref")),
    ("xdata", _Text("xdata")),
    ("xref", _Text("xref")),
    ("key", _Text("key")),
)
# BibLaTeX's names for the rest, written in both dialects so that nothing is lost (bibtex's
# styles ignore what they do not know).
_BIBLATEX_NAMED: tuple[tuple[str, Getter], ...] = tuple(
    (bib, _Text(field)) for bib, field in (
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
) + (("urldate", _Dated("accessed")), ("eventdate", _Dated("event-date")), ("origdate", _Dated("original-date")))

BIBTEX = Dialect(
    name="bibtex",
    entry_type={"article-journal": "article", "paper-conference": "inproceedings", "book": "book",
                "chapter": "incollection", "thesis": "phdthesis", "report": "techreport",
                "article": "misc", "manuscript": "unpublished", "pamphlet": "booklet"},
    default_type="misc",
    fields=(
        ("title", lambda r: r.title or None),
        ("journal", _Container(in_book=False)),
        ("booktitle", _Container(in_book=True)),
        ("series", lambda r: r.get("collection-title")),
        ("howpublished", _howpublished),
        ("year", _year),
        ("month", _month),
        ("day", lambda r: str(r.issued.day) if r.issued and r.issued.day and not r.issued.end else None),
        ("number", _number),
        ("type", _genre),
        ("school", _Institution(("thesis",))),
        ("institution", _Institution(("report",))),
        ("publisher", _publisher),
        ("address", _Text("publisher-place")),
    ) + _SHARED + (
        ("eprint", _eprint),
        ("archivePrefix", _IfArxiv("arXiv")),
        ("primaryClass", lambda r: r.arxiv_class if r.arxiv else _Text("eprintclass")(r)),
        ("eprinttype", lambda r: None if r.arxiv else r.get("eprinttype")),
        ("note", lambda r: r.get("note")),
        ("eventtitle", _Text("event-title")),
        ("issue", lambda r: r.get("issue") if r.get("number") and r.get("issue") else None),
        ("institution", _OtherInstitution(("thesis", "report"))),
    ) + _BIBLATEX_NAMED,
    verbatim=frozenset({"doi", "url", "eprint", "crossref", "xdata", "xref"}),
    person=_name,
    bare=frozenset({"month"}),
    copies_for_ids=True,
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
        ("journaltitle", _Container(in_book=False)),
        ("booktitle", _Container(in_book=True)),
        ("series", lambda r: r.get("collection-title")),
        ("eventtitle", lambda r: r.get("event-title")),
        ("date", _date),
        ("number", _number),
        ("issue", lambda r: r.get("issue") if r.get("number") and r.get("issue") else None),
        ("type", _genre),
        ("institution", lambda r: r.get("institution") or (r.get("publisher") if r.type in ("thesis", "report")
                                                             else None)),
        ("publisher", _publisher),
        ("location", _Text("publisher-place")),
        ("howpublished", _Text("howpublished")),
    ) + _SHARED + (
        ("eprint", _eprint),
        ("eprinttype", lambda r: "arxiv" if r.arxiv else r.get("eprinttype")),
        ("eprintclass", lambda r: r.arxiv_class if r.arxiv else r.get("eprintclass")),
        ("organization", lambda r: r.get("publisher") if r.type == "article" else None),
        ("note", lambda r: r.get("note")),
        ("ids", lambda r: ",".join(k for k in r.ids if is_valid_key(k)) or None),
    ) + _BIBLATEX_NAMED,
    verbatim=frozenset({"doi", "url", "eprint", "crossref", "xdata", "xref", "ids"}),
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
    if name in ("pages", "year"):  # "--" is a range here
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
_DATE_PARTS = frozenset({"date", "year", "month", "day"})
# The dialects' other names of one field: where a source gave both with different values.
_OTHER_NAME = {"location": "address", "address": "location", "journaltitle": "journal", "journal": "journaltitle",
               "institution": "school", "school": "institution", "annote": "annotation", "annotation": "annote"}
# Kept from CSL-JSON for the CSL-JSON export; not fields of an entry.
_NOT_BIBTEX = frozenset({"id", "type", "citation-key", "custom"})


# How readers of a .bib find where a braced value ends: whether a brace after a run of n
# backslashes counts. BibTeX, biber and pybtex count every brace; LaTeX, reading the value again
# from the .bbl, skips a brace a backslash escapes; bibtexparser skips any brace after one.
_BRACE_ESCAPED: dict[str, Callable[[int], bool]] = {
    "bibtex, biber, pybtex": lambda run: False,
    "LaTeX": lambda run: run % 2 == 1,
    "bibtexparser": lambda run: run > 0,
}


def _balanced(text: str) -> bool:
    """Whether ``text`` can be written between braces as it is: every reader finds the same
    groups and the value's end (a last backslash would take the closing brace with it)."""
    return not text.endswith("\\") and all(_closes(text, escaped) for escaped in _BRACE_ESCAPED.values())


def _closes(text: str, escaped: Callable[[int], bool]) -> bool:
    depth = run = 0
    for c in text:
        if c in "{}" and not escaped(run):
            depth += 1 if c == "{" else -1
            if depth < 0:
                return False
        run = run + 1 if c == "\\" else 0
    return depth == 0


def render_entry(dialect: Dialect, record: Record, ascii: bool = False) -> str:
    # An entry type no reader takes (BK032) gives way to the type's own, so that a forced export stays readable.
    given = record.get("entrytype")
    kind = given if given and is_entry_type(given) else dialect.entry_type.get(record.type, dialect.default_type)
    if kind == "phdthesis" and _is_masters(record):
        kind = "mastersthesis"
    # (field, value as written, the record's value it was written from), in the order written.
    items: list[tuple[str, str, str | None]] = []
    for bib, role in NAME_ROLES:
        people, truncated = record.people(role), role == "author" and record.author_truncated
        if people or truncated:
            items.append((bib, "{" + _names(people, truncated, dialect.person) + "}", None))
    own_text = record.text
    for name, get in dialect.fields:
        # (a text field read straight from the record: most of the table, for every entry)
        if value := (own_text.get(get.name) if isinstance(get, _Text) else get(record)):
            items.append((name, _value(dialect, name, value), value))
    # What the tables do not write goes under its record name: nothing a record holds is dropped.
    items += [(n, _value(dialect, n, v), v) for n, v in record.text.items() if n not in _WRITTEN_TEXT and v]
    items += [(n, "{" + _names(p, name=dialect.person) + "}", None) for n, p in record.names.items()
              if n not in _WRITTEN_NAMES and p]
    items += [(n, "{" + str(d) + "}", None) for n, d in record.dates.items() if n not in _WRITTEN_DATES]
    # Imported fields bibkit has no use for come back after its own, as they were written
    # (bibtex and biber never typeset a field they do not know).
    own = {n: v for n, v in sorted(record.extra.items())
           if isinstance(v, str) and v and _FIELD_NAME.fullmatch(n) and n not in _NOT_BIBTEX}
    by_lower = {n.lower(): n for n in own}
    kept_eprint = own.get(by_lower.get("eprint", ""))
    if kept_eprint is not None and kept_eprint != next((v for n, _, v in items if n == "eprint"), kept_eprint):
        # The source's eprint is another archive's (a PubMed id beside an arXiv URL): it is written
        # as it came, so the archive and class that go with it must be the source's too, never the
        # ones bibkit writes for the record's arXiv id.
        items = [item for item in items if item[0].lower() not in _EPRINT_COMPANIONS]
    lines = [f"@{kind}{{{record.key},"]
    written: set[str] = set()

    def write(name: str, text: str) -> None:
        if name.lower() not in written:
            written.add(name.lower())
            lines.append(f"  {name} = {to_ascii(text) if ascii else text},")

    for name, text, value in items:
        if name.lower() in by_lower:
            kept = by_lower.pop(name.lower())
            if name.lower() in _DATE_PARTS or value is None or latex_to_rich(own[kept]).strip() == value:
                # The import kept this field as written (a date it could not read exactly, LaTeX
                # that rich text cannot hold): it is written as it came, in its place.
                write(kept, _as_written(own[kept]))
                continue
            # Another field of the source that means the same (address and location, journal and
            # journaltitle) with another value: both are written, as the source has them.
            write(kept, _as_written(own[kept]))
            name = _OTHER_NAME.get(name.lower(), name)
        write(name, text)
    for kept in by_lower.values():
        write(kept, _as_written(own[kept]))
    lines.append("}")
    return "\n".join(lines) + "\n"


_EPRINT_COMPANIONS = frozenset({"archiveprefix", "primaryclass", "eprinttype", "eprintclass"})


def _as_written(value: str) -> str:
    return "{" + (value if _balanced(value) else escape(value)) + "}"


def render(dialect: Dialect, records: Sequence[Record], ascii: bool = False) -> bytes:
    """The entries in the order given, separated by blank lines, as UTF-8; except that an entry
    other entries name in ``crossref`` comes after the last of them, as bibtex requires. In
    BibTeX, each record's entry is followed by a copy under each of its former keys, so that they
    stay citable."""
    return "\n".join(render_record(dialect, r, ascii) for r in crossref_order(records)).encode("utf-8")


def render_record(dialect: Dialect, record: Record, ascii: bool = False) -> str:
    """What one record puts in the file: its entry, and in BibTeX a copy under each former key."""
    entries = [render_entry(dialect, record, ascii)]
    if dialect.copies_for_ids:
        # Once per name (BibTeX compares keys without case), never the record's own (BK040 says so):
        # an export forced past that finding still has no repeated entry.
        written = {record.key.casefold()}
        for old in record.ids:
            # A former key no reader takes (BK031) gets no copy: a forced export stays readable.
            if old.casefold() not in written and is_valid_key(old):
                written.add(old.casefold())
                entries.append(render_entry(dialect, dataclasses.replace(record, key=old, ids=()), ascii))
    return "\n".join(entries)
