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
    TEXT_MAP = "text-map"  # field name -> text
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
    FieldSpec("title", Kind.TEXT, "The paper's own title, with its own capitalisation."),
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
    FieldSpec("arxiv", Kind.ARXIV, "arXiv identifier without version: `2303.08112` or `hep-th/9901001`.",
              csl=False),
    FieldSpec("arxiv-class", Kind.TEXT, "arXiv primary category, e.g. `cs.CL`.", csl=False),
    FieldSpec("journal-ref", Kind.TEXT, "The journal reference the authors gave arXiv (filled by "
              "`bibkit enrich`); curation data, not exported.", csl=False),
    FieldSpec("venues", Kind.TEXT_LIST, "Every venue label the source pages list the paper under.",
              csl=False),
    FieldSpec("tags", Kind.TEXT_LIST, "Free-form tags for selection (`bibkit export --tag`).", csl=False),
    FieldSpec("provenance", Kind.PROVENANCE, "Where the record came from and where it was verified.",
              csl=False),
    FieldSpec("extra", Kind.TEXT_MAP, "Fields bibkit has no use for, kept from an import and exported "
              "again: a mapping of BibTeX (or CSL) field name to text.", csl=False),
    FieldSpec("ids", Kind.TEXT_LIST, "Former citation keys, still citable: BibLaTeX writes them as `ids`, "
              "BibTeX as a copy of the entry under each; `export --aux` finds a record by them.", csl=False),
    FieldSpec("code", Kind.URL, "The paper's code (a repository URL), linked from the publication page.",
              csl=False),
    FieldSpec("project-page", Kind.URL, "The paper's project page, linked from the publication page.",
              csl=False),
)

FIELD_BY_NAME: dict[str, FieldSpec] = {f.name: f for f in FIELDS}

# Text variables kept in Record.text, in this order.
TEXT_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind is Kind.TEXT and f.csl and f.name != "title")

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

# What each type needs beyond type, title, author and issued.
REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "paper-conference": ("container-title",),
    "article-journal": ("container-title",),
    "chapter": ("container-title",),
}

# The marker that closes an author list known to be incomplete (BibTeX's "and others").
OTHERS = "others"
