"""BibTeX/BibLaTeX -> Records: one table of entry types and one of fields (docs/formats.md).

The file is read by ``bibparse`` as BibTeX and biber read it; every entry becomes a record,
whatever is missing from it. Text is turned from LaTeX into bibkit's rich text
(``latex.latex_to_rich``): accents decoded, ``\\emph`` as ``<i>``, case braces as ``<span
class="nocase">``. Every standard BibTeX and BibLaTeX field has a home in the record
(``bibkit.fields``); a field that has none is kept in ``extra`` as it was written and exported
again as it is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bibkit import keys
from bibkit.diagnostics import BibkitError
from bibkit.fields import CSL_TYPES, DATE_FIELDS, NAME_FIELDS, OTHERS, TEXT_FIELDS
from bibkit.imports import Imported, KeyBook, encoding
from bibkit.imports.bibparse import RawEntry, stream
from bibkit.latex import group_end, latex_to_rich, unescape
from bibkit.model import ArxivId, Date, Doi, Person, Record, check_url

ENTRY_TYPE = {
    "article": "article-journal", "inproceedings": "paper-conference",
    "conference": "paper-conference", "incollection": "chapter", "inbook": "chapter", "bookinbook": "chapter",
    "suppbook": "chapter", "book": "book", "mvbook": "book", "collection": "book", "mvcollection": "book",
    "proceedings": "book", "mvproceedings": "book", "reference": "book", "mvreference": "book",
    "inreference": "entry-encyclopedia", "manual": "report", "phdthesis": "thesis",
    "mastersthesis": "thesis", "thesis": "thesis", "techreport": "report", "report": "report",
    "online": "webpage", "electronic": "webpage", "www": "webpage", "dataset": "dataset",
    "software": "software", "unpublished": "manuscript", "misc": "document", "preprint": "article",
    "patent": "patent", "periodical": "periodical", "suppperiodical": "article-journal",
    "standard": "standard", "booklet": "pamphlet", "letter": "personal_communication",
    "artwork": "graphic", "audio": "song", "image": "graphic", "jurisdiction": "legal_case",
    "legislation": "legislation", "legal": "legislation", "movie": "motion_picture",
    "music": "musical_score", "performance": "performance", "review": "review", "video": "motion_picture",
    "xdata": "document", "set": "document",
}
GENRE = {"phdthesis": "PhD thesis", "mastersthesis": "Master's thesis"}
# Entry types the export writes back from the CSL type alone (docs/formats.md); any other is
# kept in the record's `entrytype`.
ROUND_TRIP_TYPES = frozenset({"article", "inproceedings", "conference", "incollection", "book", "phdthesis",
                              "mastersthesis", "thesis", "techreport", "report", "misc", "online",
                              "dataset", "software"})

# BibTeX/BibLaTeX field -> record text field; the first of several aliases wins.
TEXT = {
    "journal": "container-title", "journaltitle": "container-title", "booktitle": "container-title",
    "series": "collection-title", "eventtitle": "event-title", "publisher": "publisher",
    "volume": "volume", "pages": "page", "note": "note", "abstract": "abstract", "language": "language",
    "type": "genre", "address": "publisher-place", "location": "publisher-place", "venue": "event-place",
    "edition": "edition", "chapter": "chapter-number", "isbn": "ISBN", "issn": "ISSN",
    "shorttitle": "title-short", "shortjournal": "container-title-short", "origtitle": "original-title",
    "origpublisher": "original-publisher", "origlocation": "original-publisher-place",
    "pagetotal": "number-of-pages", "volumes": "number-of-volumes", "part": "part-number",
    "version": "version", "pubstate": "status", "annote": "annote", "annotation": "annote",
    "library": "call-number", "issuetitle": "volume-title", "howpublished": "howpublished",
    "institution": "institution", "school": "institution", "organization": "organization",
    "subtitle": "subtitle", "titleaddon": "titleaddon", "maintitle": "maintitle",
    "booktitleaddon": "booktitleaddon", "addendum": "addendum", "eid": "eid",
    "entrysubtype": "entrysubtype", "langid": "langid", "key": "key", "pmid": "PMID", "pmcid": "PMCID",
}
# A field that is named as a text field of the record (source, medium, archive, section, ...: CSL
# variables BibTeX has no standard field for) is that field.
# Written as they are: keys and identifiers, never LaTeX text.
VERBATIM = {"crossref": "crossref", "xdata": "xdata", "xref": "xref"}
TEXT.update({name: name for name in TEXT_FIELDS if name.islower() and name not in TEXT.values()
             and name not in (*VERBATIM, "number", "issue", "eprint", "eprinttype", "eprintclass", "entrytype")})
NAMES = {
    "author": "author", "editor": "editor", "translator": "translator", "bookauthor": "container-author",
    "editora": "editora", "editorb": "editorb", "editorc": "editorc", "annotator": "annotator",
    "commentator": "commentator", "introduction": "introduction", "foreword": "foreword",
    "afterword": "afterword", "holder": "holder",
}
DATES = {"urldate": "accessed", "eventdate": "event-date", "origdate": "original-date"}
# CSL's other name lists and dates, which the exports write under their own names.
NAMES.update({name: name for name in NAME_FIELDS if name not in NAMES.values()})
DATES.update({name: name for name in DATE_FIELDS if name not in DATES.values()})
# The CSL types whose container BibTeX calls booktitle; for the others it is the journal.
_IN_BOOK = frozenset({"paper-conference", "chapter", "entry-encyclopedia", "entry-dictionary", "entry"})
MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_ARXIV_IN_TEXT = re.compile(r"arXiv(?: preprint)?:?\s*(\S+)", re.I)
_ARXIV_DOI = re.compile(r"10\.48550/arXiv\.(\S+)", re.I)
_ARXIV_URL = re.compile(r"^https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/(\S+?)(?:\.pdf)?/?$", re.I)
_AND = re.compile(r"\s+and\s+", re.I)
_AND_AGAIN = re.compile(r"and\s+", re.I)
_EXTENDED = re.compile(r"^\s*(?:family|given|prefix|suffix|useprefix)\s*=", re.I)


def split_names(value: str) -> list[str]:
    """A BibTeX name list split at each " and " outside braces."""
    # The separators are looked for in a copy with every braced character (braces included)
    # masked: positions stay the same, and the regular expressions skip the masked text.
    outside = _outside_braces(value) if "{" in value or "}" in value else value
    out: list[str] = []
    start = 0
    while True:
        again = _AND_AGAIN.match(outside, start) if start > 0 else None
        if again is not None:  # "X and and Y": an empty name, as bibtex reads it
            start = again.end()
            continue
        m = _AND.search(outside, start)
        if m is not None and m.start() == 0:  # a list does not start with a separator
            m = _AND.search(outside, 1)
        if m is None:
            break
        out.append(value[start:m.start()].strip())
        start = m.end()
    out.append(value[start:].strip())
    return [n for n in out if n]


_BRACES = re.compile(r"[{}]")


def _outside_braces(value: str) -> str:
    """``value`` with every character inside braces, and the braces, as NUL."""
    pieces: list[str] = []
    depth, last = 0, 0
    for m in _BRACES.finditer(value):
        pieces.append(value[last:m.start()] if depth == 0 else "\0" * (m.start() - last))
        pieces.append("\0")
        depth += 1 if m.group() == "{" else -1
        last = m.end()
    pieces.append(value[last:] if depth == 0 else "\0" * (len(value) - last))
    return "".join(pieces)


@functools.lru_cache(maxsize=65536)
def parse_name(text: str) -> Person | None:
    """One BibTeX name (``von Last, Jr, First``, ``First von Last``, ``{Organisation}`` or
    BibLaTeX's ``family=..., given=..., prefix=..., useprefix=...``); None for "others"."""
    if _EXTENDED.match(text):
        return _extended_name(text)
    from pybtex.database import Person as PybtexPerson
    from pybtex.exceptions import PybtexError

    try:
        p = PybtexPerson(text)
    except PybtexError as exc:  # "Too many commas in ...": bibtex warns and guesses
        raise ValueError(str(exc)) from None
    last = " ".join(p.last_names)
    if not p.first_names and not p.middle_names and not p.prelast_names and not p.lineage_names:
        if last == OTHERS:
            return None
        # A name that is one braced group, {BigScience Workshop} or {IAAF}, is not to be split:
        # an organisation, which CSL calls a literal name.
        if re.fullmatch(r"\{[^{}]*\}", last):
            return Person(literal=unescape(last))
    given = unescape(" ".join(p.first_names + p.middle_names)) or None
    family = unescape(last) or None
    if family is None:
        return Person(literal=unescape(text)) if text.strip() else None
    return Person(family=family, given=given,
                  non_dropping_particle=unescape(" ".join(p.prelast_names)) or None,
                  suffix=unescape(" ".join(p.lineage_names)) or None)


def _extended_name(text: str) -> Person:
    parts: dict[str, str] = {}
    for piece in _split_commas(text):
        name, _, value = piece.partition("=")
        value = value.strip()
        if value.startswith("{") and value.endswith("}"):
            value = value[1:-1]
        parts[name.strip().lower()] = value
    prefix = unescape(parts.get("prefix", "")) or None
    use = parts.get("useprefix", "false").strip().lower() == "true"
    return Person(family=unescape(parts.get("family", "")) or None, given=unescape(parts.get("given", "")) or None,
                  non_dropping_particle=prefix if use else None, dropping_particle=None if use else prefix,
                  suffix=unescape(parts.get("suffix", "")) or None)


def _split_commas(text: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += {"{": 1, "}": -1}.get(c, 0)
        if c == "," and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [p for p in out if p.strip()]


def _names(value: str) -> tuple[tuple[Person, ...], bool]:
    people = [parse_name(n) for n in split_names(value)]
    return tuple(p for p in people if p is not None), any(p is None for p in people)


def _month(text: str) -> int | None:
    t = text.strip().lower().rstrip(".")
    if t.isdigit() and 1 <= int(t) <= 12:
        return int(t)
    if len(t) >= 3:
        return next((n for m, n in MONTHS.items() if m.startswith(t)), None)
    return None


_YEAR_RANGE = re.compile(r"(\d{4})\s*(?:-{1,2}|–|/)\s*(\d{4})")


def _unbraced(value: str) -> str:
    """The value inside a brace group that is the whole value (``{2000}``, not ``{a}{b}``)."""
    value = value.strip()
    while value.startswith("{") and group_end(value, 0) == len(value) - 1:
        value = value[1:-1].strip()
    return value


def _date(fields: dict[str, str]) -> tuple[Date | None, list[str]]:
    """The date, and the names of date fields it could not read exactly (kept as written)."""
    # An empty field says nothing; a value in a brace group of its own (Web of Science's
    # ``year = {{2000}}``, as JabRef imports it) is the value inside.
    fields = {k: _unbraced(v) for k, v in fields.items() if v.strip()}
    if "date" in fields:
        text = fields["date"].strip()
        try:
            return Date.parse(text), []
        except ValueError:  # an open range, a time, an uncertain date: the first date it names
            return Date.parse(text.split("/")[0].strip()[:10]), ["date"]
    if "year" not in fields:
        return None, []
    year = fields["year"].strip()
    month = _month(fields["month"]) if fields.get("month") else None
    unread = ["month"] if fields.get("month") and month is None else []
    day = fields.get("day", "").strip()
    if m := _YEAR_RANGE.fullmatch(year):  # year = {1990--1992}
        return Date.parse(f"{m[1]}/{m[2]}"), unread + (["month"] if month else []) + (["day"] if day else [])
    text = year if month is None else f"{year}-{month:02d}" + (f"-{int(day):02d}" if day.isdigit() else "")
    return Date.parse(text), unread + (["day"] if day and not (month and day.isdigit()) else [])


def _arxiv(fields: dict[str, str], text: dict[str, str]) -> ArxivId | None:
    """The eprint field (raises when it is not an arXiv id), else an id named by arXiv's DOI,
    an arxiv.org URL, or the text (``journal = {arXiv preprint arXiv:...}``)."""
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
    if fields.get("eprint") and prefix in ("arxiv", ""):
        return ArxivId.parse(fields["eprint"])
    for name, pattern in (("doi", _ARXIV_DOI), ("url", _ARXIV_URL)):
        m = pattern.search(fields.get(name, ""))
        if m:
            return ArxivId.parse(m.group(1))
    for name in ("howpublished", "journal", "note"):
        m = _ARXIV_IN_TEXT.search(text.get(name, ""))
        if m:
            try:
                return ArxivId.parse(m.group(1).rstrip(".,;"))
            except ValueError:
                continue  # "arXiv:abs/..." in a note is text, not an identifier
    return None


def record_from_entry(raw: RawEntry, key: str, notes: list[tuple[str, str]]) -> Record:
    """The record for one entry: every field in its place; a field that has none, or that
    cannot be read, is kept in ``extra`` as it was written and exported again as it is."""
    fields = raw.fields
    label = key or f"(no key, line {raw.line})"
    rich = {k: latex_to_rich(v).strip() for k, v in fields.items() if k not in ("url", "doi", "eprint")}
    plain = {k: unescape(v) for k, v in fields.items() if k in ("howpublished", "journal", "note")}
    values: dict[str, Any] = {"title": rich.get("title", "")}
    extra: dict[str, Any] = {}
    text: dict[str, str] = {}
    used: set[str] = {"title"}  # fields whose value the record holds

    def keep(name: str, why: str) -> None:
        if not fields[name].strip():
            return  # an empty field says nothing
        extra[raw.names[name]] = fields[name]
        notes.append((label, f"line {raw.lines.get(name, raw.line)}: {name} kept in 'extra': {why}"))

    csl_type = ENTRY_TYPE.get(raw.type, "document")
    if csl_type not in CSL_TYPES:
        csl_type = "document"
    if raw.type not in ROUND_TRIP_TYPES:
        text["entrytype"] = raw.type  # the CSL type does not say it: written back as it was
    try:
        arxiv = _arxiv(fields, plain)
    except ValueError as exc:
        arxiv = None
        notes.append((label, f"eprint {fields['eprint']!r} kept as a non-arXiv eprint: {exc}"))
    if arxiv is not None:
        values["arxiv"] = arxiv  # with its version, if the entry names one
        if fields.get("eprint") and (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").lower() \
                == "arxiv":  # the eprint is this identifier (_arxiv read it first)
            used.update(n for n in ("eprint", "archiveprefix", "eprinttype") if n in fields)
        if cls := fields.get("primaryclass") or fields.get("eprintclass"):
            values["arxiv_class"] = cls
            used.add("primaryclass" if fields.get("primaryclass") else "eprintclass")
        if raw.type in ("misc", "online", "preprint", "unpublished"):
            csl_type = "article"  # an arXiv preprint (an @article whose journal says "arXiv preprint"
            # stays an @article with that journal: it is exported as the source has it)
    elif fields.get("eprint"):
        text["eprint"] = fields["eprint"]
        used.add("eprint")
        for group, target in ((("eprinttype", "archiveprefix"), "eprinttype"),
                              (("eprintclass", "primaryclass"), "eprintclass")):
            if name := next((n for n in group if fields.get(n)), None):
                text[target] = fields[name]
                used.add(name)
    values["type"] = csl_type
    names: dict[str, tuple[Person, ...]] = {}
    for bib, role in NAMES.items():
        if fields.get(bib):
            try:
                people, truncated = _names(fields[bib])
            except ValueError as exc:
                keep(bib, f"a name in it cannot be read: {exc}")
                continue
            if role in ("author", "editor"):
                values[role] = people
            else:
                names[role] = people
            if role == "author":
                values["author_truncated"] = truncated
            used.add(bib)
    values["names"] = names
    try:
        issued, unread = _date(fields)
        values["issued"] = issued
        used.update(n for n in ("year", "month", "day", "date") if n in fields)
        for name in unread:
            keep(name, f"{fields[name]!r} is not a month, day or ISO date bibkit can read exactly")
    except ValueError as exc:
        for name in ("year", "month", "day", "date"):
            if name in fields:
                keep(name, str(exc))
    dates: dict[str, Date] = {}
    for bib, name in DATES.items():
        if fields.get(bib):
            try:
                dates[name] = Date.parse(fields[bib].strip())
                used.add(bib)
            except ValueError as exc:
                keep(bib, str(exc))
    values["dates"] = dates
    if fields.get("doi"):
        doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", fields["doi"].strip(), flags=re.I)
        try:
            values["doi"] = Doi.parse(doi.replace("\\_", "_"))
            used.add("doi")
        except ValueError as exc:
            keep("doi", str(exc))
    url = fields.get("url", "").strip().replace("\\%", "%").replace("\\_", "_").replace("\\#", "#")
    if url:
        try:
            values["url"] = check_url(url)
            used.add("url")
        except ValueError as exc:
            keep("url", str(exc))
    container = ("booktitle",) if csl_type in _IN_BOOK else ("journal", "journaltitle")
    if arxiv is not None and csl_type == "article" and rich.get("howpublished") == f"arXiv:{arxiv.base}":
        used.add("howpublished")  # what bibkit's BibTeX export writes for a preprint: it writes it again
    for bib, name in TEXT.items():
        if not rich.get(bib) or (name == "container-title" and bib not in container) or bib in used:
            continue  # a booktitle of an @article, a journal of an @inproceedings: kept as written
        if name not in text:
            text[name] = rich[bib]
            used.add(bib)
            if "\\" in rich[bib]:  # a command rich text cannot hold (\today): BibTeX gets it as written
                extra[raw.names[bib]] = fields[bib]
        elif text[name] != rich[bib]:
            keep(bib, f"{name} was already given by another field")
        else:
            used.add(bib)
    for bib, name in VERBATIM.items():
        if fields.get(bib):
            text[name] = fields[bib]
            used.add(bib)
    if "page" in text:  # "--" is a range here, not a dash
        text["page"] = re.sub(r"\s*(?:-+|–)\s*", "-", text["page"])
    if rich.get("number") and rich.get("issue"):
        text["issue"], text["number"] = rich["issue"], rich["number"]
    elif issue := rich.get("number") or rich.get("issue"):
        text["issue" if csl_type in ("article-journal", "periodical") else "number"] = issue
    used.update(n for n in ("number", "issue") if rich.get(n))
    if raw.type in GENRE and "genre" not in text:
        text["genre"] = GENRE[raw.type]
    values["text"] = text
    if fields.get("ids"):  # biblatex's former keys
        former = tuple(k.strip() for k in fields["ids"].split(",") if k.strip())
        if all(keys.is_valid_key(k) for k in former):
            values["ids"] = former
            used.add("ids")
        else:
            keep("ids", "holds a key BibTeX or biber would reject")
    if rich.get("keywords"):
        # A comma-separated list, as biblatex reads it ("a; b" is one keyword there).
        values["tags"] = tuple(t.strip() for t in unescape(fields["keywords"]).split(",") if t.strip())
        used.add("keywords")
    for name, value in fields.items():
        if name not in used and name not in extra and value.strip():
            extra[raw.names[name]] = value  # as written: exported again as it is
    for name in raw.repeated:
        notes.append((label, f"field {name!r} is given twice; the first is kept, as biber does"))
    values["extra"] = extra
    return Record(key=key, **values)


def read(path: Path, book: KeyBook) -> Imported:
    result = Imported()
    result.records.extend(records(path, book, result))
    return result


def records(path: Path, book: KeyBook, result: Imported) -> Iterator[Record]:
    """The file's records one by one, its problems and notes into ``result`` as they are met."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BibkitError(f"{path}: {exc.strerror or exc}") from None
    text, note = encoding.decode(data)
    if note is not None:
        result.notes.append(("(file)", note))
    bib, entries = stream(text)
    del text, data  # the parser holds the text while it reads
    start = len(result.problems)
    for raw in entries:
        try:
            draft = record_from_entry(raw, raw.key, result.notes)
        except Exception as exc:  # a bug here must not lose the entry: it is kept as written
            result.problems.append((raw.line, f"entry {raw.key or '(no key)'}: {type(exc).__name__}: {exc}; "
                                    "every field kept in 'extra' as written"))
            draft = Record(key=raw.key, type=ENTRY_TYPE.get(raw.type, "document"), title="",
                           extra={raw.names[k]: v for k, v in raw.fields.items() if v.strip()})
        key = book.claim(raw.key, draft, result.notes, raw.line, first_wins="bibtex and biber use the first")
        if not draft.title:
            result.notes.append((key, f"line {raw.line}: no title; imported as it is"))
        yield draft if key == raw.key else _with_key(draft, key)
    # What the parser met comes first, as when the file was read whole before its entries.
    result.problems[start:start] = [(problem.line, problem.message) for problem in bib.problems]


def _with_key(record: Record, key: str) -> Record:
    import dataclasses

    return dataclasses.replace(record, key=key)
