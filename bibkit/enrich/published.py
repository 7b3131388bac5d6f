"""``bibkit published``: preprints whose arXiv entry now names the published version, upgraded.

A record is a preprint when its type is ``article`` (CSL's type for preprints); any other type is
a published version and is never edited. A preprint is looked up by its arXiv identifier, never
by title, and upgraded only when

- the arXiv entry is the record's paper: titles at least ``TITLE_AGREEMENT`` similar (case,
  accents and punctuation folded) and at least half the family names of the shorter author
  list in common, so that a mistyped identifier cannot rewrite a record with another paper;
- arXiv's journal reference reads as a venue with a type (journal or proceedings) and a year
  (``journalref.parse``); a DOI alone says that, not where;
- the record states nothing the published version contradicts (another DOI, venue, volume).

The upgrade sets ``type``, ``container-title``, the date of the published version and what the
reference gives (volume, issue, pages, series, workshop), the journal DOI, ``journal-ref``;
``publisher: arXiv`` goes (or becomes the venue's publisher), and so does a ``URL`` that is the
paper's arXiv page. ``arxiv`` stays: the exports keep ``eprint``, as arXiv asks. Every other line
of the file is left as it is (``writeback.set_fields``). Nothing here prints or writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bibkit import keys
from bibkit.diagnostics import Severity
from bibkit.dump import dump_record
from bibkit.enrich import journalref, match
from bibkit.enrich.client import ArxivSettings, ArxivUnavailable, Paper
from bibkit.enrich.run import Change, Source, journal_doi
from bibkit.enrich.writeback import set_fields
from bibkit.folding import title_key
from bibkit.library import Library, Loaded
from bibkit.loader import load_text
from bibkit.model import Date, Record

PREPRINT = "article"
PREPRINT_PUBLISHERS = frozenset({"arxiv", "arxiv.org", "arxiv preprint"})
TITLE_AGREEMENT = 0.8
# The fields a journal reference can fill; a preprint that already states one differently is a
# conflict for a person to settle.
_VENUE_FIELDS = ("container-title", "event-title", "collection-title", "volume", "issue", "page")
_KIND = {journalref.JOURNAL: "a journal article", journalref.CONFERENCE: "a paper in proceedings"}


def _quiet(message: str) -> None:
    pass


@dataclass
class PublishedReport:
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one line per record looked at closely
    upgraded: int = 0
    by_hand: int = 0  # arXiv knows a published version, but not enough of it, or it conflicts
    preprints: int = 0  # arXiv names no published version
    published: int = 0  # records that are published versions already: never edited
    failures: int = 0
    requests: int = 0

    def summary(self) -> str:
        return (f"{self.upgraded} upgraded, {self.by_hand} to settle by hand, {self.preprints} still "
                f"preprints on arXiv, {self.published} published already (left alone), {self.failures} "
                f"failures ({self.requests} request(s) to arXiv)")


def _family(name: str) -> str:
    words = title_key(name).split()
    return words[-1] if words else ""


def mismatch(record: Record, paper: Paper) -> str | None:
    """Why ``paper`` does not look like the record's paper, or None when it does."""
    if match.similarity(record.title, paper.title) < TITLE_AGREEMENT:
        return f"arXiv's title is {paper.title!r}"
    ours = {_family(p.family) for p in record.author if p.family}
    theirs = {_family(a) for a in paper.authors} - {""}
    if ours and theirs and len(ours & theirs) * 2 < min(len(ours), len(theirs)):
        return f"arXiv's authors are {', '.join(paper.authors[:3])}{' et al.' if len(paper.authors) > 3 else ''}"
    return None


def _is_own_arxiv_page(record: Record) -> bool:
    page = re.fullmatch(r"https?://(?:www\.)?arxiv\.org/abs/(.+?)(?:v\d+)?/?", record.url or "")
    return page is not None and record.arxiv is not None and page[1] == record.arxiv.base


def upgrade(lo: Loaded, record: Record, paper: Paper) -> tuple[dict[str, Any] | None, str]:
    """The fields to set (None as a value: remove the field), and a line saying what and why;
    no fields when the record must be left to a person."""
    where = f"{lo.path}: arXiv {paper.arxiv.base}"
    doi = journal_doi(paper)
    if not paper.journal_ref:
        return None, (f"{where}: arXiv gives the DOI {doi} but no journal reference, so not the venue; "
                      f"left as a preprint (see https://doi.org/{doi})")
    venue = journalref.parse(paper.journal_ref)
    if not venue.complete or venue.type is None or venue.container is None or venue.year is None:
        return None, (f"{where}: journal reference {paper.journal_ref!r}: could not read "
                      f"{'; '.join(venue.unread)}; left as a preprint")
    issued = Date(venue.year, venue.month)
    values: dict[str, Any] = {"type": venue.type}
    given = (venue.container, venue.event, venue.collection, venue.volume, venue.issue, venue.page)
    conflicts = []
    for name, value in zip(_VENUE_FIELDS, given, strict=True):
        have = record.get(name)
        if value is None:
            continue
        if have is None:
            values[name] = value
        elif title_key(have) != title_key(value):
            conflicts.append(f"{name} {have!r} (arXiv: {value!r})")
    if doi and record.doi and record.doi.value.lower() != doi.lower():
        conflicts.append(f"DOI {record.doi} (arXiv: {doi})")
    if conflicts:
        return None, f"{where}: the record states {'; '.join(conflicts)}; left as a preprint"
    if record.issued != issued:
        values["issued"] = str(issued)
    if doi and record.doi is None:
        values["DOI"] = doi
    publisher = record.get("publisher")
    if publisher is not None and publisher.casefold() in PREPRINT_PUBLISHERS:
        values["publisher"] = venue.publisher  # None: the field goes
    elif publisher is None and venue.publisher:
        values["publisher"] = venue.publisher
    if _is_own_arxiv_page(record):
        values["URL"] = None  # the arXiv link comes from `arxiv`; URL is the venue's page
    if "journal-ref" not in lo.spans:
        values["journal-ref"] = paper.journal_ref
    said = [f"{where}: published as {_KIND[venue.type]}: {venue.container}"
            + "".join(f", {v}" for v in (venue.volume, venue.page) if v) + f" ({issued})"]
    if doi:
        said.append(f"DOI {doi}")
    if venue.pending:
        said.append(f"the reference says {venue.pending!r}")
    if venue.unread:
        said.append(f"could not read {'; '.join(venue.unread)}")
    return values, "; ".join(said)


def _checked(path: Path, text: str) -> Loaded:
    """The record in ``text`` with every finding ``bibkit validate`` would report about it."""
    from bibkit.rules import validate

    loaded = load_text(path, text.encode("utf-8"))
    loaded.diagnostics = [d for d in validate(Library([loaded])) if d.severity is Severity.ERROR]
    return loaded


def published_version(record: Record, paper: Paper) -> Record | None:
    """``record`` (a preprint) as the published version ``paper`` names, or None."""
    path = Path(keys.file_stem_for(record.key) + keys.SUFFIX)
    text = dump_record(record)
    lo = load_text(path, text.encode("utf-8"))
    if lo.record is None or mismatch(record, paper) is not None:
        return None
    values, _ = upgrade(lo, lo.record, paper)
    checked = _checked(path, set_fields(text, values)) if values else None
    return checked.record if checked is not None and not checked.diagnostics else None


def published(library: Library, settings: ArxivSettings, *, log: Callable[[str], None] = _quiet,
              source: Source | None = None) -> PublishedReport:
    report = PublishedReport()
    source = source or Source(settings, log)
    candidates: list[tuple[Loaded, Record]] = []
    for lo in library.loaded:
        if lo.record is None or lo.diagnostics:
            report.failures += 1
            report.notes.extend(f"skipped: {d}" for d in lo.diagnostics)
        elif lo.record.type != PREPRINT:
            report.published += 1
        elif lo.record.arxiv is not None:
            candidates.append((lo, lo.record))
    ids = [rec.arxiv for _, rec in candidates if rec.arxiv is not None]
    try:
        papers, failed = source.papers(ids)
    except ArxivUnavailable as exc:
        papers, failed = {}, {i.base: str(exc) for i in ids}
    for lo, rec in candidates:
        assert rec.arxiv is not None
        paper = papers.get(rec.arxiv.base)
        if paper is None:
            report.failures += 1
            report.notes.append(f"{lo.path}: arXiv {rec.arxiv}: {failed.get(rec.arxiv.base, 'no answer')}")
            continue
        if not paper.journal_ref and not journal_doi(paper):
            report.preprints += 1
            continue
        why = mismatch(rec, paper)
        if why is not None:
            report.by_hand += 1
            report.notes.append(f"{lo.path}: arXiv {rec.arxiv.base} does not look like this record's paper "
                                f"({why}); check the record's arxiv identifier; left alone")
            continue
        values, said = upgrade(lo, rec, paper)
        old = lo.path.read_text(encoding="utf-8-sig")
        new = set_fields(old, values) if values else old
        checked = _checked(lo.path, new) if values else None
        if checked is not None and checked.diagnostics:
            values = None  # a safety net: an upgrade must leave a valid record
            said = f"{said}; not written: {checked.diagnostics[0]}"
        report.notes.append(said)
        if values is None or new == old:
            report.by_hand += 1
            continue
        report.upgraded += 1
        report.changes.append(Change(lo.path, old, new, list(values)))
    report.requests = source.requests
    return report
