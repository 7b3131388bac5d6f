"""BibTeX/BibLaTeX -> Records, through pybtex (``@string`` macros, ``#`` concatenation).

Field text is turned from LaTeX into Unicode (``latex.unescape``): accents decoded, case braces
removed. One table maps entry types and one maps fields; a field the model has no place for is
kept in ``extra`` and exported again, so an import loses nothing a user wrote.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bibkit import keys
from bibkit.diagnostics import BibkitError
from bibkit.fields import CSL_TYPES
from bibkit.imports import Imported, KeyBook
from bibkit.latex import unescape
from bibkit.model import ArxivId, Date, Doi, Person, Record, check_url

ENTRY_TYPE = {
    "article": "article-journal", "inproceedings": "paper-conference",
    "conference": "paper-conference", "incollection": "chapter", "inbook": "chapter",
    "book": "book", "proceedings": "book", "manual": "report", "phdthesis": "thesis",
    "mastersthesis": "thesis", "thesis": "thesis", "techreport": "report", "report": "report",
    "online": "webpage", "electronic": "webpage", "www": "webpage", "dataset": "dataset",
    "software": "software", "unpublished": "manuscript", "misc": "document", "preprint": "article",
    "patent": "patent", "periodical": "periodical", "standard": "standard",
}
GENRE = {"phdthesis": "PhD thesis", "mastersthesis": "Master's thesis"}

# BibTeX/BibLaTeX field -> CSL text variable.
TEXT = {
    "journal": "container-title", "journaltitle": "container-title", "booktitle": "container-title",
    "series": "collection-title", "eventtitle": "event-title", "publisher": "publisher",
    "institution": "publisher", "school": "publisher", "organization": "publisher",
    "volume": "volume", "pages": "page", "note": "note", "abstract": "abstract",
    "language": "language", "type": "genre",
}
# Read for the model's own values below, so never kept in `extra`.
USED = frozenset({"title", "year", "month", "date", "doi", "url", "eprint", "archiveprefix",
                  "eprinttype", "primaryclass", "eprintclass", "number", "issue", "keywords",
                  "howpublished", "author", "editor", "ids"}) | frozenset(TEXT)
MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_ARXIV_IN_TEXT = re.compile(r"arXiv(?: preprint)?:?\s*(\S+)", re.I)
_ARXIV_DOI = re.compile(r"10\.48550/arXiv\.(\S+)", re.I)
_ARXIV_URL = re.compile(r"^https?://arxiv\.org/abs/(\S+?)/?$", re.I)


def _person(p: Any) -> Person | None:
    """A pybtex Person; None for "others"."""
    last = " ".join(p.last_names)
    if not p.first_names and not p.middle_names and not p.prelast_names and not p.lineage_names:
        if last == "others":
            return None
        # A name that is one braced group, {BigScience Workshop} or {IAAF}, is not to be split:
        # an organisation, which CSL calls a literal name.
        if re.fullmatch(r"\{[^{}]*\}", last):
            return Person(literal=unescape(last))
    given = unescape(" ".join(p.first_names + p.middle_names)) or None
    return Person(
        family=unescape(last) or None,
        given=given,
        non_dropping_particle=unescape(" ".join(p.prelast_names)) or None,
        suffix=unescape(" ".join(p.lineage_names)) or None,
    )


def _names(people: list[Any]) -> tuple[tuple[Person, ...], bool]:
    out = [_person(p) for p in people]
    return tuple(p for p in out if p is not None), any(p is None for p in out)


def _date(fields: dict[str, str]) -> Date | None:
    if "date" in fields:
        return Date.parse(fields["date"][:10])
    if "year" not in fields:
        return None
    year = fields["year"].strip()
    month_text = fields.get("month", "").strip().lower()
    month = MONTHS.get(month_text) or next((n for m, n in MONTHS.items() if m.startswith(month_text[:3])
                                            and len(month_text) >= 3), None)
    if month is None and month_text.isdigit():
        month = int(month_text)
    return Date.parse(year if month is None else f"{year}-{month:02d}")


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


def _entry(key: str, entry: Any, book: KeyBook, result: Imported) -> None:
    fields = {k.lower(): v for k, v in entry.fields.items()}
    text_fields = {k: unescape(v).strip() for k, v in fields.items() if k not in ("url", "doi", "eprint")}
    if "pages" in fields:  # "--" is a range here, not a dash to decode
        text_fields["pages"] = re.sub(r"-+|–", "-", fields["pages"].replace("{", "").replace("}", "")).strip()
    title = text_fields.get("title", "")
    if not title:
        result.skipped.append((key, "no title"))
        return
    values: dict[str, Any] = {"title": title}
    extra: dict[str, str] = {}

    original = {k.lower(): k for k in entry.fields}  # extra fields keep the case they were written in

    def keep(name: str, why: str) -> None:
        extra[original[name]] = text_fields.get(name, fields[name])
        result.notes.append((key, f"{name} kept in 'extra': {why}"))

    bib_type = entry.type.lower()
    csl_type = ENTRY_TYPE.get(bib_type, "document")
    if csl_type not in CSL_TYPES:
        csl_type = "document"
    try:
        arxiv = _arxiv(fields, text_fields)
    except ValueError as exc:
        arxiv = None
        keep("eprint", str(exc))
    if arxiv is not None:
        values["arxiv"] = ArxivId(arxiv.base)  # a record names the paper, not one version
        if cls := fields.get("primaryclass") or fields.get("eprintclass"):
            values["arxiv_class"] = cls
        if bib_type in ("misc", "online", "preprint", "unpublished") or \
                _ARXIV_IN_TEXT.search(text_fields.get("journal", "")):
            csl_type = "article"  # an arXiv preprint, not a journal article
    values["type"] = csl_type
    for role in ("author", "editor"):
        if role in entry.persons:
            people, truncated = _names(entry.persons[role])
            values[role] = people
            if role == "author":
                values["author_truncated"] = truncated
    try:
        values["issued"] = _date(fields)
    except ValueError as exc:
        for name in ("year", "month", "date"):
            if name in fields:
                keep(name, str(exc))
    if "doi" in fields and not _ARXIV_DOI.search(fields["doi"]):  # arXiv's DOI follows from the id
        doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", fields["doi"].strip(), flags=re.I)
        try:
            values["doi"] = Doi.parse(doi)
        except ValueError as exc:
            keep("doi", str(exc))
    url = fields.get("url", "").strip().replace("\\%", "%")
    if url and not (csl_type == "article" and arxiv and _ARXIV_URL.match(url)):  # the abs page follows too
        try:
            values["url"] = check_url(url)
        except ValueError as exc:
            keep("url", str(exc))
    text: dict[str, str] = {}
    for name, csl in TEXT.items():
        if text_fields.get(name) and csl not in text:
            if csl == "container-title" and csl_type == "article" and _ARXIV_IN_TEXT.search(text_fields[name]):
                continue  # "arXiv preprint arXiv:..." is the identifier, not a journal
            text[csl] = text_fields[name]
    issue = text_fields.get("number") or text_fields.get("issue")
    if issue:
        text["issue" if csl_type in ("article-journal", "periodical") else "number"] = issue
    if bib_type in GENRE and "genre" not in text:
        text["genre"] = GENRE[bib_type]
    how = text_fields.get("howpublished")
    if how and not (arxiv and _ARXIV_IN_TEXT.search(how)):
        if csl_type == "article":
            text.setdefault("publisher", how)  # bibkit writes a preprint's publisher here
        else:
            extra["howpublished"] = how
    values["text"] = text
    if fields.get("ids"):  # biblatex's former keys
        former = tuple(k.strip() for k in fields["ids"].split(",") if k.strip())
        if all(keys.is_valid_key(k) for k in former):
            values["ids"] = former
        else:
            keep("ids", "holds a key BibTeX or biber would reject")
    if text_fields.get("keywords"):
        values["tags"] = tuple(t.strip() for t in re.split(r"[,;]", text_fields["keywords"]) if t.strip())
    for name in sorted(fields):
        if name not in USED and name not in extra:
            extra[original[name]] = text_fields.get(name, fields[name])
    values["extra"] = {k: v for k, v in extra.items() if v.strip()}
    draft = Record(key=key, **values)
    new_key = book.claim(key, draft, result.notes)
    result.records.append(Record(key=new_key, **values))


def read(path: Path, book: KeyBook) -> Imported:
    from pybtex import errors
    from pybtex.database import parse_bytes
    from pybtex.scanner import PybtexSyntaxError

    result = Imported()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BibkitError(f"{path}: {exc.strerror or exc}") from None
    # pybtex reports recoverable problems (a repeated key, a bad name) through a module-level
    # switch; capture them as values instead of letting it raise or print.
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Old .bib files are often Latin-1; every byte means something there, so nothing is lost.
        text = data.decode("latin-1")
        result.notes.append(("(file)", f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                             "read as Latin-1"))
    with errors.capture() as problems:
        try:
            bib = parse_bytes(text.encode("utf-8"), "bibtex")
        except PybtexSyntaxError as exc:
            raise BibkitError(f"{path}: not BibTeX: {exc}") from None
    for problem in problems:
        result.skipped.append(("(file)", str(problem)))
    for key, entry in bib.entries.items():
        try:
            _entry(key, entry, book, result)
        except Exception as exc:  # one bad entry must not stop the others
            result.skipped.append((key, f"{type(exc).__name__}: {exc}"))
    return result
