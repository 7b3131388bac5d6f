"""The record and its value types.

Every value is parsed once, at the edge (``loader.py``), into one of these small frozen types;
exporters read only these and never look at YAML again.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date as _date
from typing import Any

# New-style ids since 2007 (YYMM.NNNN, five digits from 2015) and old-style archive/YYMMNNN.
_ARXIV = re.compile(
    r"(?P<base>(?:\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})"
    r"|(?:[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{2}(?:0[1-9]|1[0-2])\d{3}))"
    r"(?:v(?P<v>[1-9]\d*))?"
)
# Crossref's recommended pattern, loosened for older DOIs (<>;[]# and the like), and the
# shortDOI form (10/fqd6hj) that doi.org resolves too. Never %, braces or a backslash: those are
# URL-encoding or LaTeX left-overs, and would break the .bib the DOI is written to verbatim.
_DOI = re.compile(r"10\.\d{4,9}/[^\s%{}\\]+|10/[a-z0-9]+")
# Characters RFC 3986 never allows in a URL; a URL with them is a typo or an injection, and
# would break the verbatim url field of a .bib.
_URL_FORBIDDEN = re.compile(r'[\s{}\\"<>^`|]')
_DATE = re.compile(r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?")


@dataclass(frozen=True, slots=True)
class ArxivId:
    """An arXiv identifier: ``2303.08112`` or ``hep-th/9901001``, with an optional version."""

    base: str
    version: int | None = None

    @classmethod
    def parse(cls, text: str) -> ArxivId:
        cleaned = text.strip()
        for prefix in ("https://arxiv.org/abs/", "http://arxiv.org/abs/", "arXiv:", "arxiv:"):
            cleaned = cleaned.removeprefix(prefix)
        m = _ARXIV.fullmatch(cleaned)
        if m is None:
            raise ValueError(
                f"not an arXiv identifier: {text!r} (expected YYMM.NNNNN[vN] or archive/YYMMNNN)"
            )
        return cls(m["base"], int(m["v"]) if m["v"] else None)

    @property
    def year_month(self) -> tuple[int, int]:
        """The month of submission the identifier encodes."""
        digits = self.base.split("/")[-1]
        yy, mm = int(digits[:2]), int(digits[2:4])
        # Old-style ids start in 1991; new-style ones in 2007, so yy < 91 is always 20yy.
        return (1900 + yy if yy >= 91 else 2000 + yy), mm

    @property
    def url(self) -> str:
        return f"https://arxiv.org/abs/{self.base}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.base}"

    @property
    def doi(self) -> str:
        """The DataCite DOI arXiv registers for every paper (resolves for old ids too)."""
        return f"10.48550/arXiv.{self.base}"

    def __str__(self) -> str:
        return self.base if self.version is None else f"{self.base}v{self.version}"


@dataclass(frozen=True, slots=True)
class Doi:
    """A bare DOI, ``10.1101/2022.11.20.517210``; never a URL or ``doi:`` form."""

    value: str

    @classmethod
    def parse(cls, text: str) -> Doi:
        cleaned = text.strip()
        for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
            if cleaned.lower().startswith(prefix):
                raise ValueError(f"write the bare DOI {cleaned[len(prefix):]!r}, not {cleaned!r}")
        if _DOI.fullmatch(cleaned) is None:
            raise ValueError(f"not a DOI: {text!r} (expected 10.NNNN/suffix)")
        return cls(cleaned)

    @property
    def url(self) -> str:
        return f"https://doi.org/{self.value}"

    def __str__(self) -> str:
        return self.value


def check_url(text: str) -> str:
    """An http(s) URL, as written; ValueError otherwise."""
    url = text.strip()
    if not url.lower().startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {text!r}")
    bad = _URL_FORBIDDEN.search(url)
    if bad:
        raise ValueError(f"URL has {bad.group()!r}, which a URL cannot hold (percent-encode it): {text!r}")
    return url


@dataclass(frozen=True, slots=True)
class Date:
    """A calendar date with year, year-month or full precision; or a range of two such dates
    (``2019-01/2019-03``, ISO 8601's and biblatex's form), whose start is the date itself."""

    year: int
    month: int | None = None
    day: int | None = None
    end: Date | None = None  # the last day of a range

    @classmethod
    def parse(cls, text: str) -> Date:
        first, slash, last = text.strip().partition("/")
        if slash:
            start, end = cls.parse(first), cls.parse(last)
            if end.end is not None or end.sort_key < start.sort_key:
                raise ValueError(f"not a date range: {text!r} (expected START/END, END not before START)")
            return cls(start.year, start.month, start.day, end)
        m = _DATE.fullmatch(first)
        if m is None:
            raise ValueError(f"not a date: {text!r} (expected YYYY, YYYY-MM or YYYY-MM-DD, or a range "
                             "START/END of two)")
        year = int(m["y"])
        month = int(m["m"]) if m["m"] else None
        day = int(m["d"]) if m["d"] else None
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"no month {month} in {text!r}")
        if month is not None and day is not None:
            last_day = calendar.monthrange(year, month)[1]
            if not 1 <= day <= last_day:
                raise ValueError(f"no day {day} in {calendar.month_name[month]} {year}")
        return cls(year, month, day)

    @property
    def start(self) -> Date:
        return Date(self.year, self.month, self.day)

    @property
    def sort_key(self) -> tuple[int, ...]:
        return (self.year, self.month or 0, self.day or 0, *(self.end.sort_key if self.end else ()))

    def __lt__(self, other: Date) -> bool:
        return self.sort_key < other.sort_key

    def is_after(self, today: _date) -> bool:
        """True when any day this date can mean lies after ``today``... at its own precision."""
        mine = (self.year, self.month or 0, self.day or 0)
        theirs = (today.year, today.month if self.month else 0, today.day if self.day else 0)
        return mine > theirs

    @property
    def parts(self) -> list[int]:
        """The start's year, month and day, as far as known (CSL's date-parts of one date)."""
        return [p for p in (self.year, self.month, self.day) if p is not None]

    def __str__(self) -> str:
        start = "-".join(f"{p:02d}" if i else f"{p:04d}" for i, p in enumerate(self.parts))
        return start if self.end is None else f"{start}/{self.end}"


@dataclass(frozen=True, slots=True)
class Person:
    """A name in CSL's parts; ``literal`` for organisations and names that must not be split."""

    family: str | None = None
    given: str | None = None
    non_dropping_particle: str | None = None
    dropping_particle: str | None = None
    suffix: str | None = None
    literal: str | None = None

    @classmethod
    def parse(cls, text: str) -> Person:
        """``Given Family``, ``Given von Family`` or ``von Family, Given`` (BibTeX's rules)."""
        text = " ".join(text.split())
        if not text:
            raise ValueError("empty name")
        if "," in text:
            parts = [p.strip() for p in text.split(",")]
            if len(parts) > 3 or not all(parts):
                raise ValueError(f"cannot read the name {text!r}: expected 'Family, Given'")
            particle, family = _split_particle(parts[0].split())
            given = parts[-1]
            suffix = parts[1] if len(parts) == 3 else None
            return cls(family=family, given=given, non_dropping_particle=particle, suffix=suffix)
        words = text.split()
        if len(words) == 1:
            return cls(family=words[0])
        # The particle is the run of lower-case words before the family name ("van der").
        first_lower = next((i for i, w in enumerate(words[1:-1], 1) if w[0].islower()), None)
        if first_lower is None:
            return cls(family=words[-1], given=" ".join(words[:-1]))
        particle, family = _split_particle(words[first_lower:])
        return cls(family=family, given=" ".join(words[:first_lower]), non_dropping_particle=particle)

    @property
    def family_with_particle(self) -> str:
        return " ".join(p for p in (self.non_dropping_particle, self.family) if p)

    def __str__(self) -> str:
        if self.literal is not None:
            return self.literal
        return " ".join(
            p for p in (self.given, self.dropping_particle, self.family_with_particle, self.suffix) if p
        )


def _split_particle(words: list[str]) -> tuple[str | None, str]:
    n = 0
    while n < len(words) - 1 and words[n][0].islower():
        n += 1
    return (" ".join(words[:n]) or None), " ".join(words[n:])


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a record came from and where its facts were checked."""

    pages: tuple[str, ...] = ()
    page_titles: tuple[str, ...] = ()
    verified: tuple[str, ...] = ()
    no_arxiv: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """One paper. Field names follow CSL where CSL has the concept."""

    key: str
    type: str
    title: str
    author: tuple[Person, ...] = ()
    # The author list ends in "others": the rest could not be listed.
    author_truncated: bool = False
    editor: tuple[Person, ...] = ()
    issued: Date | None = None
    arxiv: ArxivId | None = None
    arxiv_class: str | None = None
    journal_ref: str | None = None
    doi: Doi | None = None
    url: str | None = None
    # Text fields (container-title, volume, page, publisher, ... and BibLaTeX's own such as
    # crossref), by their names in bibkit.fields.
    text: Mapping[str, str] = field(default_factory=dict)
    # Name lists beyond author and editor (translator, container-author, ...), and dates beyond
    # issued (accessed, event-date, ...), by their names in bibkit.fields.
    names: Mapping[str, tuple[Person, ...]] = field(default_factory=dict)
    dates: Mapping[str, Date] = field(default_factory=dict)
    venues: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    provenance: Provenance = field(default_factory=Provenance)
    # Imported fields with no place in the model, exported again as they came: text, or (from
    # CSL-JSON) other plain data, which only CSL-JSON can carry.
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Former citation keys, still citable (biblatex's ``ids``).
    ids: tuple[str, ...] = ()
    # Where the paper's code and its project page are.
    code: str | None = None
    project_page: str | None = None

    def get(self, name: str) -> str | None:
        """A text field, or None."""
        return self.text.get(name)

    def people(self, role: str) -> tuple[Person, ...]:
        """The names in ``role``: author, editor, translator, ..."""
        if role == "author":
            return self.author
        if role == "editor":
            return self.editor
        return self.names.get(role, ())
