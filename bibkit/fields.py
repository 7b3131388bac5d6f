"""The record fields: one table that the loader, the JSON Schema and the docs all read.

Names follow CSL-JSON where CSL has the concept (``container-title``, ``DOI``, ``URL``), so
that CSL-JSON export is a near-identity; the project's own fields cover what CSL lacks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(enum.Enum):
    TEXT = "text"  # one line of text
    CSL_TYPE = "csl-type"
    NAMES = "names"  # list of "Given Family" strings or CSL name mappings
    DATE = "date"  # YYYY, YYYY-MM or YYYY-MM-DD
    ARXIV = "arxiv"
    DOI = "doi"
    URL = "url"
    KEY = "key"
    TEXT_LIST = "text-list"
    EXTRA = "extra"  # field name -> text, or any plain data from CSL-JSON
    PROVENANCE = "provenance"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: Kind
    doc: str
    csl: bool = True  # a CSL-JSON variable of the same name and meaning


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", Kind.KEY, "Citation key. Optional: by default the file name (without "
              "`.yaml`) is the key; state it here when the key is not a safe file name.", csl=True),
    FieldSpec("type", Kind.CSL_TYPE, "CSL item type: `article` (preprint), `paper-conference`, "
              "`article-journal`, `book`, `chapter`, `report`, `thesis`, ..."),
    FieldSpec("title", Kind.TEXT, "The paper's own title, with its own capitalisation. CSL rich text: "
              "`<i>`, `<b>`, `<sc>`, `<sup>`, `<sub>` and `<span class=\"nocase\">` for what must keep "
              "its case (see docs/record-format.md)."),
    FieldSpec("author", Kind.NAMES, "Authors in order. Each is `Given Family`, `Family, Given`, or "
              "a mapping with `given`, `family`, `non-dropping-particle`, `dropping-particle`, "
              "`suffix` or `literal`. A final `others` marks a list known to be incomplete."),
    FieldSpec("editor", Kind.NAMES, "Editors, written like `author`."),
    FieldSpec("issued", Kind.DATE, "Date of the version described: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`."),
    FieldSpec("container-title", Kind.TEXT, "Proceedings or journal title."),
    FieldSpec("collection-title", Kind.TEXT, "Series, e.g. `Proceedings of Machine Learning Research`."),
    FieldSpec("event-title", Kind.TEXT, "Name of the conference or workshop."),
    FieldSpec("publisher", Kind.TEXT, "Publisher; `arXiv` or `bioRxiv` for preprints."),
    FieldSpec("volume", Kind.TEXT, "Volume."),
    FieldSpec("issue", Kind.TEXT, "Issue (BibTeX `number` of a journal)."),
    FieldSpec("page", Kind.TEXT, "Page range `first-last`, or an article number."),
    FieldSpec("number", Kind.TEXT, "Report or article number."),
    FieldSpec("genre", Kind.TEXT, "Kind of work beyond `type`, e.g. `PhD thesis`."),
    FieldSpec("language", Kind.TEXT, "Language of the work (BCP 47, e.g. `en`)."),
    FieldSpec("abstract", Kind.TEXT, "Abstract."),
    FieldSpec("note", Kind.TEXT, "A note to print with the reference."),
    FieldSpec("DOI", Kind.DOI, "The DOI registered for this version, bare: `10.1101/2022.11.20.517210`. "
              "Not arXiv's own `10.48550/...`, which is derived from `arxiv`."),
    FieldSpec("URL", Kind.URL, "The venue's page for the paper (http or https)."),
    # The rest of CSL 1.0.2's variables, each under its CSL name. The CSL-JSON schema
    # (additionalProperties: false) has no `license`: CSL-JSON keeps it in `custom`.
    *(FieldSpec(name, Kind.TEXT, doc, csl=name != "license") for name, doc in (
        ("title-short", "Short title."),
        ("original-title", "Title of the original (of a translation or reprint)."),
        ("part-title", "Title of the part of a multi-part work."),
        ("volume-title", "Title of the volume (of a multi-volume work or a journal issue)."),
        ("reviewed-title", "Title of the reviewed work."),
        ("container-title-short", "Short journal or proceedings title."),
        ("collection-number", "Number within the series."),
        ("event-place", "Where the event took place."),
        ("publisher-place", "Where the publisher is (BibTeX `address`, BibLaTeX `location`)."),
        ("original-publisher", "Publisher of the original."),
        ("original-publisher-place", "Place of the original's publisher."),
        ("authority", "Issuing or judicial authority."),
        ("edition", "Edition."),
        ("chapter-number", "Chapter number."),
        ("part-number", "Part number."),
        ("number-of-pages", "Total pages."),
        ("number-of-volumes", "Total volumes."),
        ("printing-number", "Printing."),
        ("supplement-number", "Supplement."),
        ("section", "Section of a newspaper or a code."),
        ("version", "Version (of software, a dataset, a preprint)."),
        ("medium", "Medium or format."),
        ("status", "Publication status, e.g. `in press` (BibLaTeX `pubstate`)."),
        ("ISBN", "ISBN."),
        ("ISSN", "ISSN."),
        ("PMID", "PubMed identifier."),
        ("PMCID", "PubMed Central identifier."),
        ("archive", "Archive holding the item."),
        ("archive_collection", "Collection within the archive."),
        ("archive_location", "Location within the archive."),
        ("archive-place", "Place of the archive."),
        ("call-number", "Call number (library)."),
        ("annote", "Annotation (BibTeX `annote`, BibLaTeX `annotation`)."),
        ("keyword", "Keywords as CSL text (bibkit's own `tags` are a list)."),
        ("references", "References the item cites, as text."),
        ("source", "Where the metadata came from (a database)."),
        ("dimensions", "Physical size or duration."),
        ("scale", "Scale of a map."),
        ("jurisdiction", "Jurisdiction of a legal item."),
        ("license", "Licence or rights."),
        ("division", "Division of an organisation."),
        ("event", "Deprecated CSL 1.0 name of `event-title`."),
        ("reviewed-genre", "Genre of the reviewed work."),
        ("citation-label", "A label a style may print in place of a number."),
    )),
    *(FieldSpec(name, Kind.DATE, doc) for name, doc in (
        ("accessed", "When a web page was read (BibLaTeX `urldate`)."),
        ("event-date", "When the event took place."),
        ("original-date", "Date of the original."),
        ("submitted", "When the item was submitted."),
        ("available-date", "When the item first became available (online first)."),
    )),
    *(FieldSpec(name, Kind.NAMES, doc) for name, doc in (
        ("translator", "Translators."), ("container-author", "Author of the container (BibLaTeX "
         "`bookauthor`)."), ("collection-editor", "Editors of the series."), ("chair", "Chairs."),
        ("compiler", "Compilers."), ("composer", "Composers."), ("contributor", "Contributors."),
        ("curator", "Curators."), ("director", "Directors."), ("editorial-director", "Editorial directors."),
        ("executive-producer", "Executive producers."), ("guest", "Guests."), ("host", "Hosts."),
        ("illustrator", "Illustrators."), ("interviewer", "Interviewers."), ("narrator", "Narrators."),
        ("organizer", "Organizers."), ("original-author", "Authors of the original."),
        ("performer", "Performers."), ("producer", "Producers."), ("recipient", "Recipients."),
        ("reviewed-author", "Authors of the reviewed work."), ("script-writer", "Script writers."),
        ("series-creator", "Series creators."),
    )),
    # BibTeX's and BibLaTeX's standard fields that CSL has no variable for: kept under their own
    # names, exported to BibTeX/BibLaTeX as they are and to CSL-JSON in `custom`.
    *(FieldSpec(name, Kind.TEXT, doc, csl=False) for name, doc in (
        ("crossref", "Key of the parent entry whose fields this one inherits (BibTeX/BibLaTeX "
         "`crossref`); exported as it is, so bibtex and biber resolve it."),
        ("xdata", "Keys of BibLaTeX `@xdata` entries this one inherits from, comma-separated."),
        ("xref", "Key of a parent entry referred to without inheriting (BibLaTeX `xref`)."),
        ("howpublished", "How an unusual work was published (BibTeX `howpublished`)."),
        ("institution", "University of a thesis or institution of a report (BibTeX `school`, "
         "`institution`); CSL-JSON export uses it as `publisher` when there is none."),
        ("organization", "Organisation that sponsored a conference or published a manual."),
        ("subtitle", "Subtitle (BibLaTeX)."),
        ("titleaddon", "Addition to the title (BibLaTeX)."),
        ("maintitle", "Title of a multi-volume work (BibLaTeX)."),
        ("booktitleaddon", "Addition to the book title (BibLaTeX)."),
        ("addendum", "Text printed at the end of the entry (BibLaTeX)."),
        ("eid", "Electronic identifier of an article (BibLaTeX)."),
        ("eprint", "Identifier in an online archive other than arXiv (arXiv's is `arxiv`)."),
        ("eprinttype", "The archive of `eprint`, e.g. `pubmed`, `jstor`, `hdl`."),
        ("eprintclass", "Class of `eprint` in its archive."),
        ("entrysubtype", "Subtype of the entry type (BibLaTeX)."),
        ("langid", "Language for hyphenation (BibLaTeX `langid`)."),
        ("key", "Sort key used when an entry has no author (BibTeX `key`)."),
        ("entrytype", "The BibTeX/BibLaTeX entry type, when `type` does not say it (`@proceedings`, "
         "`@booklet`, `@inbook`, a type of a tool's own): exported as it is."),
    )),
    *(FieldSpec(name, Kind.NAMES, doc, csl=False) for name, doc in (
        ("editora", "Secondary editor (BibLaTeX)."), ("editorb", "Secondary editor (BibLaTeX)."),
        ("editorc", "Secondary editor (BibLaTeX)."), ("annotator", "Annotators (BibLaTeX)."),
        ("commentator", "Commentators (BibLaTeX)."), ("introduction", "Authors of an introduction (BibLaTeX)."),
        ("foreword", "Authors of a foreword (BibLaTeX)."), ("afterword", "Authors of an afterword (BibLaTeX)."),
        ("holder", "Holders of a patent (BibLaTeX)."),
    )),
    FieldSpec("arxiv", Kind.ARXIV, "arXiv identifier without version: `2303.08112` or `hep-th/9901001`.",
              csl=False),
    FieldSpec("arxiv-class", Kind.TEXT, "arXiv primary category, e.g. `cs.CL`.", csl=False),
    FieldSpec("journal-ref", Kind.TEXT, "The journal reference the authors gave arXiv (filled by "
              "`bibkit enrich`); curation data, not exported.", csl=False),
    FieldSpec("venues", Kind.TEXT_LIST, "Every venue label the source pages list the paper under.",
              csl=False),
    FieldSpec("tags", Kind.TEXT_LIST, "Free-form tags for selection (`bibkit export --tag`); BibTeX "
              "`keywords`.", csl=False),
    FieldSpec("provenance", Kind.PROVENANCE, "Where the record came from and where it was verified.",
              csl=False),
    FieldSpec("extra", Kind.EXTRA, "Fields that have no home above, kept from an import and exported "
              "again: a mapping of field name to text (exported to BibTeX and CSL-JSON `custom`) or "
              "to other data (a CSL-JSON value that is not text; exported to CSL-JSON `custom` only).",
              csl=False),
    FieldSpec("ids", Kind.TEXT_LIST, "Former citation keys, still citable: BibLaTeX writes them as `ids`, "
              "BibTeX as a copy of the entry under each; `export --aux` finds a record by them.", csl=False),
    FieldSpec("code", Kind.URL, "The paper's code (a repository URL), linked from the publication page.",
              csl=False),
    FieldSpec("project-page", Kind.URL, "The paper's project page, linked from the publication page.",
              csl=False),
)

FIELD_BY_NAME: dict[str, FieldSpec] = {f.name: f for f in FIELDS}

# Text fields kept in Record.text, in this order (journal-ref and arxiv-class have their own slots).
TEXT_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind is Kind.TEXT and f.name not in
                                     ("title", "arxiv-class", "journal-ref"))
CSL_TEXT_FIELDS: frozenset[str] = frozenset(n for n in TEXT_FIELDS if FIELD_BY_NAME[n].csl)
# Name lists beyond author and editor, kept in Record.names; dates beyond issued, in Record.dates.
NAME_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind is Kind.NAMES
                                     and f.name not in ("author", "editor"))
DATE_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind is Kind.DATE and f.name != "issued")

# CSL-JSON variables the schema has that the model keeps in `extra` as they came (with the model's
# CSL variables, a CSL-JSON export writes these at the top level of the item, not in `custom`).
# The schema's other names of model variables (journalAbbreviation, shortTitle, part, printing,
# supplement) are among them: read as the model's variable, they are kept here only when the item
# gives both names different values.
CSL_EXTRA_VARIABLES: frozenset[str] = frozenset({
    "categories", "citation-key", "page-first", "volume-title-short", "journalAbbreviation", "shortTitle", "part",
    "printing", "supplement"})

# CSL 1.0.2 variables the CSL-JSON schema has under another name (its only name for them): the
# CSL-JSON export writes that name, and the import reads both.
CSL_JSON_NAMES: dict[str, str] = {"part-number": "part", "printing-number": "printing",
                                  "supplement-number": "supplement"}

NAME_PARTS: dict[str, str] = {
    "family": "Family name, without particle.",
    "given": "Given names.",
    "non-dropping-particle": "Particle kept with the family name (`van der`, `de la`).",
    "dropping-particle": "Particle dropped when only the family name is shown.",
    "suffix": "`Jr.`, `III`.",
    "literal": "An organisation or a name that must not be split.",
}

PROVENANCE_FIELDS: dict[str, tuple[Kind, str]] = {
    "pages": (Kind.TEXT_LIST, "The source pages that list the paper."),
    "page-titles": (Kind.TEXT_LIST, "Titles a page gives that differ from the real title."),
    "verified": (Kind.TEXT_LIST, "Where the metadata was verified (URLs)."),
    "no-arxiv": (Kind.TEXT, "Why the paper has no arXiv identifier."),
    "note": (Kind.TEXT, "What could not be verified, and anything else a curator should know."),
}

# The CSL 1.0.2 item types (csl-data.json).
CSL_TYPES: frozenset[str] = frozenset(
    "article article-journal article-magazine article-newspaper bill book broadcast chapter "
    "classic collection dataset document entry entry-dictionary entry-encyclopedia event figure "
    "graphic hearing interview legal_case legislation manuscript map motion_picture musical_score "
    "pamphlet paper-conference patent performance periodical personal_communication post "
    "post-weblog regulation report review review-book software song speech standard thesis "
    "treaty webpage".split()
)

# What each type needs beyond type and title, after BibTeX's standard styles (plain.bst: the
# fields whose absence makes bibtex warn) and biblatex's data model (its "mandatory" fields):
# "author" is met by `editor` too, and "issued" is what both call year or date. Only what both
# consumers ask for is required, so an entry that bibtex and biber accept validates.
REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "article-journal": ("title", "author", "issued", "container-title"),
    "paper-conference": ("title", "author", "issued", "container-title"),
    "chapter": ("title", "author", "issued", "container-title"),
    "book": ("title", "author", "issued"),
    "report": ("title", "author", "issued"),
    "thesis": ("title", "author", "issued"),
    "article": ("title", "author", "issued"),
    "manuscript": ("title", "author"),
}

# The marker that closes an author list known to be incomplete (BibTeX's "and others").
OTHERS = "others"
