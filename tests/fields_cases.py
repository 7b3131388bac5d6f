"""Where every field of the record model belongs in each format: the expectations the field tests
(test_fields.py) check the exporters and importers against.

Written here from the formats' own definitions (docs/formats.md and docs/record-format.md, the
BibTeX and biblatex manuals, the CSL-JSON schema in tests/data/realworld/csl-schema/), never
read from bibkit's mapping tables: a test that took its expectation from the exporter's table
would pass whatever the table said. ``CASES`` has at least one case for every field in
``bibkit.fields.FIELDS``; test_fields.py fails for a field that has none.

A case is one record that holds the field (and whatever the field needs beside it: a class needs
an eprint), and what each format holds for it: the ``.bib`` fields with their values as written
between the braces, and the CSL-JSON item's keys (``custom.x`` for a key of ``custom``). Every
record also has the key ``fieldcase``, its type and the title ``Base title``; the formats hold
that too, and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bibkit.model import ArxivId, Date, Doi, Person, Provenance, Record

from conftest import REALWORLD

KEY = "fieldcase"
TITLE = "Base title"
# The variables an item may have, after the CSL-JSON schema (additionalProperties is false).
CSL_VARIABLES = frozenset(json.loads((REALWORLD / "csl-schema" / "csl-data.json").read_text(encoding="utf-8"))
                          ["items"]["properties"])

# CSL type -> (BibTeX entry type, BibLaTeX entry type), as docs/formats.md gives them.
ENTRY_TYPES = {
    "document": ("misc", "misc"), "article-journal": ("article", "article"),
    "paper-conference": ("inproceedings", "inproceedings"), "chapter": ("incollection", "incollection"),
    "book": ("book", "book"), "thesis": ("phdthesis", "thesis"), "report": ("techreport", "report"),
    "article": ("misc", "online"), "webpage": ("misc", "online"), "dataset": ("misc", "dataset"),
    "software": ("misc", "software"),
}


@dataclass(frozen=True)
class Case:
    field: str  # the field of bibkit.fields this case is about
    record: Record
    bibtex: Mapping[str, str]  # .bib field (lower case) -> value between the braces (a month macro: bare)
    biblatex: Mapping[str, str]
    csl: Mapping[str, Any]  # item key (custom's keys as "custom.KEY") -> JSON value
    entry_types: tuple[str, str] | None = None  # (BibTeX, BibLaTeX); default: from the CSL type
    copies: tuple[str, ...] = ()  # BibTeX: the keys of copies of the entry (former keys)
    # Formats an import of which gives the field back some other way than the record has it
    # (BibTeX's copies under former keys are entries of their own): the import test does not
    # read those back.
    one_way: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        return f"{self.field}:{self.record.type}" if self.record.type != "document" else self.field

    def types(self) -> tuple[str, str]:
        return self.entry_types or ENTRY_TYPES[self.record.type]

    def bib(self, dialect: str) -> Mapping[str, str]:
        return self.bibtex if dialect == "bibtex" else self.biblatex


def record(type: str = "document", **values: Any) -> Record:
    return Record(key=values.pop("key", KEY), type=type, title=values.pop("title", TITLE), **values)


def words(name: str) -> str:
    """A value nobody else has: the field's name in words (no character LaTeX treats specially)."""
    return name.replace("_", " ") + " value"


def csl_place(name: str) -> str:
    return name if name in CSL_VARIABLES else f"custom.{name}"


def text(name: str, bib: str | None = None, blx: str | None = None, type: str = "document", value: str = "",
         csl: str | None = None, **others: str) -> Case:
    """A text field: BibTeX and BibLaTeX name (the field's own name, lower case, unless given),
    CSL-JSON the field itself when the schema has that variable, else ``custom``."""
    value = value or words(name)
    bib = bib or name.lower()
    texts = {name: value, **{k.replace("_", "-"): v for k, v in others.items()}}
    return Case(name, record(type, text=texts), {bib: value}, {blx or bib: value}, {csl or csl_place(name): value})


def person(role: str) -> Person:
    return Person(family=role.replace("-", "").capitalize() + "son", given="Ann")


def names(role: str, bib: str | None = None) -> Case:
    p = person(role)
    rec = record(**({role: (p,)} if role in ("author", "editor") else {"names": {role: (p,)}}))
    written = f"{p.family}, Ann"
    return Case(role, rec, {bib or role: written}, {bib or role: written},
                {csl_place(role): [{"family": p.family, "given": "Ann"}]})


def date(name: str, bib: str | None = None) -> Case:
    return Case(name, record(dates={name: Date(2001, 2, 3)}), {bib or name: "2001-02-03"}, {bib or name: "2001-02-03"},
                {name: {"date-parts": [[2001, 2, 3]]}})


# Formats that do not carry a field (curation data, the publication page's links).
NOT_BIB = frozenset({"bibtex", "biblatex"})
NOWHERE = frozenset({"bibtex", "biblatex", "csl-json"})
ARXIV = ArxivId("2303.08112")
ARXIV_DERIVED = {"number": "arXiv:2303.08112", "DOI": "10.48550/arXiv.2303.08112",
                 "URL": "https://arxiv.org/abs/2303.08112", "custom.derived": ["DOI", "URL", "number"]}

CASES: list[Case] = [
    # The record's key, type and title.
    Case("id", record(key="DBLP:conf/fc/Id09"), {}, {}, {}),
    Case("type", record("paper-conference"), {}, {}, {}),
    Case("title", record(title="Field title with <i>markup</i>"), {"title": r"Field title with \textit{markup}"},
         {"title": r"Field title with \textit{markup}"}, {"title": "Field title with <i>markup</i>"}),
    # Names: an incomplete list ends in "others" (BibTeX) or says so in custom (CSL-JSON).
    Case("author", record(author=(Person("Authorson", "Ann"), Person(literal="Lab Org")), author_truncated=True),
         {"author": "Authorson, Ann and {Lab Org} and others"}, {"author": "Authorson, Ann and {Lab Org} and others"},
         {"author": [{"family": "Authorson", "given": "Ann"}, {"literal": "Lab Org"}],
          "custom.author-incomplete": True}),
    # A dropping particle: biblatex's extended name format says so; BibTeX has one von part.
    Case("author", record(author=(Person("Heuvel", "Charles", dropping_particle="van den"),)),
         {"author": "van den Heuvel, Charles"},
         {"author": "family={Heuvel}, given={Charles}, prefix={van den}, useprefix=false"},
         {"author": [{"family": "Heuvel", "given": "Charles", "dropping-particle": "van den"}]},
         one_way=frozenset({"bibtex"})),
    names("editor"),
    names("translator"),
    names("container-author", bib="bookauthor"),
    *(names(role) for role in (
        "collection-editor", "chair", "compiler", "composer", "contributor", "curator", "director",
        "editorial-director", "executive-producer", "guest", "host", "illustrator", "interviewer", "narrator",
        "organizer", "original-author", "performer", "producer", "recipient", "reviewed-author", "script-writer",
        "series-creator", "editora", "editorb", "editorc", "annotator", "commentator", "introduction", "foreword",
        "afterword", "holder")),
    # Dates: BibTeX year, month (a macro) and day; BibLaTeX an ISO date.
    Case("issued", record(issued=Date(2020, 5, 17)), {"year": "2020", "month": "may", "day": "17"},
         {"date": "2020-05-17"}, {"issued": {"date-parts": [[2020, 5, 17]]}}),
    # A range: BibTeX's year holds one of years only; within a year, BibTeX keeps its start month.
    Case("issued", record("paper-conference", issued=Date(2019, 6, 3, end=Date(2019, 6, 7))),
         {"year": "2019", "month": "jun"}, {"date": "2019-06-03/2019-06-07"},
         {"issued": {"date-parts": [[2019, 6, 3], [2019, 6, 7]]}}, one_way=frozenset({"bibtex"})),
    Case("issued", record("book", issued=Date(1990, end=Date(1992))), {"year": "1990--1992"}, {"date": "1990/1992"},
         {"issued": {"date-parts": [[1990], [1992]]}}),
    date("accessed", bib="urldate"),
    date("event-date", bib="eventdate"),
    date("original-date", bib="origdate"),
    date("submitted"),
    date("available-date"),
    # Where the container is: journal (BibLaTeX journaltitle) or booktitle, by entry type.
    text("container-title", "journal", "journaltitle", type="article-journal"),
    text("container-title", "booktitle", type="paper-conference"),
    text("container-title", "booktitle", type="chapter"),
    text("collection-title", "series"),
    text("event-title", "eventtitle"),
    text("publisher", type="book"),
    text("volume"),
    # A journal's issue is its number; with an article number beside it, each keeps its own name.
    text("issue", "number", type="article-journal"),
    text("number", type="report"),
    Case("number", record("article-journal", text={"issue": "issue value", "number": "number value"}),
         {"number": "number value", "issue": "issue value"}, {"number": "number value", "issue": "issue value"},
         {"issue": "issue value", "number": "number value"}),
    Case("page", record(text={"page": "12-34"}), {"pages": "12--34"}, {"pages": "12--34"}, {"page": "12-34"}),
    text("genre", "type", type="report"),
    text("language"),
    text("abstract"),
    text("note"),
    Case("DOI", record(doi=Doi("10.1234/fc.5_6")), {"doi": "10.1234/fc.5_6"}, {"doi": "10.1234/fc.5_6"},
         {"DOI": "10.1234/fc.5_6"}),
    Case("URL", record(url="https://example.org/a_b?c=1&d=%7E#e"), {"url": "https://example.org/a_b?c=1&d=%7E#e"},
         {"url": "https://example.org/a_b?c=1&d=%7E#e"}, {"URL": "https://example.org/a_b?c=1&d=%7E#e"}),
    text("title-short", "shorttitle"),
    text("original-title", "origtitle"),
    text("volume-title", "issuetitle"),
    text("container-title-short", "shortjournal"),
    text("event-place", "venue"),
    text("publisher-place", "address", "location"),
    text("original-publisher", "origpublisher"),
    text("original-publisher-place", "origlocation"),
    text("edition"),
    text("chapter-number", "chapter"),
    text("number-of-pages", "pagetotal"),
    text("number-of-volumes", "volumes"),
    text("version"),
    text("status", "pubstate"),
    text("call-number", "library"),
    text("annote"),
    # The schema's names of CSL 1.0.2's part-number, printing-number, supplement-number.
    text("part-number", "part", csl="part"),
    text("printing-number", csl="printing"),
    text("supplement-number", csl="supplement"),
    # CSL variables BibTeX and biblatex have no field for: under their own names.
    *(text(name) for name in (
        "part-title", "reviewed-title", "collection-number", "authority", "section", "medium", "ISBN", "ISSN",
        "PMID", "PMCID", "archive", "archive_collection", "archive_location", "archive-place", "keyword",
        "references", "source", "dimensions", "scale", "jurisdiction", "license", "division", "event",
        "reviewed-genre", "citation-label")),
    # BibTeX's and biblatex's own fields, under their names (CSL-JSON: custom).
    text("crossref", value="parent-key"),
    text("xdata", value="xdata-a,xdata-b"),
    text("xref", value="related-key"),
    text("howpublished"),
    Case("institution", record("report", text={"institution": "institution value"}),
         {"institution": "institution value"}, {"institution": "institution value"},
         {"custom.institution": "institution value", "publisher": "institution value",
          "custom.derived": ["publisher"]}),
    Case("institution", record("thesis", text={"institution": "institution value", "genre": "PhD thesis"}),
         {"school": "institution value", "type": "PhD thesis"},
         {"institution": "institution value", "type": "PhD thesis"},
         {"custom.institution": "institution value", "genre": "PhD thesis", "publisher": "institution value",
          "custom.derived": ["publisher"]}),
    # A thesis whose genre says Master's is BibTeX's @mastersthesis (docs/formats.md).
    Case("genre", record("thesis", text={"institution": "institution value", "genre": "Master's thesis"}),
         {"school": "institution value", "type": "Master's thesis"},
         {"institution": "institution value", "type": "Master's thesis"},
         {"custom.institution": "institution value", "genre": "Master's thesis", "publisher": "institution value",
          "custom.derived": ["publisher"]}, entry_types=("mastersthesis", "thesis")),
    text("institution"),
    text("organization"),
    *(text(name) for name in ("subtitle", "titleaddon", "maintitle", "booktitleaddon", "addendum", "eid",
                              "entrysubtype")),
    text("langid", value="english"),
    text("key", value="sortkey"),
    text("eprint", value="31415926"),
    Case("eprinttype", record(text={"eprint": "31415926", "eprinttype": "pubmed"}),
         {"eprint": "31415926", "eprinttype": "pubmed"}, {"eprint": "31415926", "eprinttype": "pubmed"},
         {"custom.eprint": "31415926", "custom.eprinttype": "pubmed"}),
    Case("eprintclass", record(text={"eprint": "31415926", "eprinttype": "pubmed", "eprintclass": "class value"}),
         {"eprint": "31415926", "eprinttype": "pubmed", "primaryclass": "class value"},
         {"eprint": "31415926", "eprinttype": "pubmed", "eprintclass": "class value"},
         {"custom.eprint": "31415926", "custom.eprinttype": "pubmed", "custom.eprintclass": "class value"}),
    Case("entrytype", record("book", text={"entrytype": "proceedings"}), {}, {}, {"custom.entrytype": "proceedings"},
         entry_types=("proceedings", "proceedings")),
    # arXiv: eprint with archivePrefix and primaryClass (BibTeX), eprinttype and eprintclass
    # (BibLaTeX); a preprint is @misc with howpublished (BibTeX), @online (BibLaTeX), and in CSL-JSON
    # has a number, DOI and URL derived from its identifier, as Zotero and pandoc write them.
    Case("arxiv", record("article", arxiv=ARXIV),
         {"eprint": "2303.08112", "archiveprefix": "arXiv", "howpublished": "arXiv:2303.08112"},
         {"eprint": "2303.08112", "eprinttype": "arxiv"}, {**ARXIV_DERIVED, "custom.arxiv": "2303.08112"}),
    Case("arxiv", record("article-journal", arxiv=ArxivId("2303.08112", 2)),
         {"eprint": "2303.08112v2", "archiveprefix": "arXiv"}, {"eprint": "2303.08112v2", "eprinttype": "arxiv"},
         {"custom.arxiv": "2303.08112v2"}),
    Case("arxiv-class", record("article", arxiv=ARXIV, arxiv_class="cs.CL"),
         {"eprint": "2303.08112", "archiveprefix": "arXiv", "primaryclass": "cs.CL",
          "howpublished": "arXiv:2303.08112"},
         {"eprint": "2303.08112", "eprinttype": "arxiv", "eprintclass": "cs.CL"},
         {**ARXIV_DERIVED, "custom.arxiv": "2303.08112", "custom.arxiv-class": "cs.CL"}),
    # Curation data and the publication page's links: only CSL-JSON's custom carries them.
    Case("journal-ref", record(journal_ref="J. Things 3 (2023) 1-2"), {}, {}, {}, one_way=NOWHERE),
    Case("venues", record(venues=("ICML", "arXiv")), {}, {}, {"custom.venues": ["ICML", "arXiv"]}, one_way=NOT_BIB),
    Case("provenance", record(provenance=Provenance(pages=("p.txt",), verified=("https://example.org",),
                                                    no_arxiv="none", note="n")), {}, {}, {}, one_way=NOWHERE),
    Case("code", record(code="https://github.com/example/code"), {}, {},
         {"custom.code": "https://github.com/example/code"}, one_way=NOT_BIB),
    Case("project-page", record(project_page="https://example.org/project"), {}, {},
         {"custom.project-page": "https://example.org/project"}, one_way=NOT_BIB),
    # Tags are keywords: a comma list.
    Case("tags", record(tags=("nlp", "large models")), {"keywords": "nlp, large models"},
         {"keywords": "nlp, large models"}, {"custom.tags": ["nlp", "large models"]}),
    # Former keys: biblatex's ids; BibTeX has no aliases: a copy of the entry under each.
    Case("ids", record(ids=("oldkey2020", "older:key")), {}, {"ids": "oldkey2020,older:key"},
         {"custom.ids": ["oldkey2020", "older:key"]}, copies=("oldkey2020", "older:key"),
         one_way=frozenset({"bibtex"})),
    # Imported fields with no place in the model: text back under its name, as written; any
    # other data to CSL-JSON only.
    Case("extra", record(extra={"customfield": r"kept {as} \emph{is}"}), {"customfield": r"kept {as} \emph{is}"},
         {"customfield": r"kept {as} \emph{is}"}, {"custom.extra": {"customfield": r"kept {as} \emph{is}"}}),
    Case("extra", record(extra={"indexed": {"date-parts": [[2021, 1, 1]]}, "categories": ["a", "b"]}), {}, {},
         {"custom.extra": {"indexed": {"date-parts": [[2021, 1, 1]]}}, "categories": ["a", "b"]},
         one_way=NOT_BIB),
]
