"""``bibkit enrich`` and ``bibkit add``: which records need what from arXiv, and the new texts.

Curated values are never overwritten: enrichment fills fields a record lacks, and reports where
arXiv disagrees with a value the record has (title, number of authors); ``accept_arxiv`` takes
arXiv's value instead. Nothing here prints or writes: the caller shows the report and writes the
changed texts (each file atomically, so an interrupted run leaves every record old or new, and a
rerun, answered from the cache, continues where it stopped).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bibkit.dump import name_value
from bibkit.enrich import match
from bibkit.enrich.cache import Cache
from bibkit.enrich.client import ArxivSettings, ArxivUnavailable, Client, Paper
from bibkit.enrich.writeback import set_fields
from bibkit.folding import title_key
from bibkit.keygen import DEFAULT_PATTERN, generate_key
from bibkit.library import Library, Loaded
from bibkit.model import ArxivId, Doi, Person, Provenance, Record


def _quiet(message: str) -> None:
    pass


@dataclass
class Change:
    path: Path
    old: str
    new: str
    fields: list[str]


@dataclass
class Report:
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    filled: int = 0  # records that gained fields
    matched: int = 0  # records that gained an arXiv id by title search
    ambiguous: int = 0
    conflicts: int = 0
    failures: int = 0
    requests: int = 0
    published: int = 0  # preprints arXiv names a published version of (for `bibkit published`)

    def summary(self) -> str:
        return (f"{self.filled} filled, {self.matched} matched by title, {self.ambiguous} ambiguous, "
                f"{self.conflicts} conflicts, {self.failures} failures ({self.requests} request(s) to arXiv)"
                + (f"; {self.published} preprint(s) now published: see `bibkit published`" if self.published else ""))


class Source:
    """Papers by id and title, from the cache or, unless offline, from arXiv."""

    def __init__(self, settings: ArxivSettings, log: Callable[[str], None] = _quiet,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.settings, self.log = settings, log
        self.cache = Cache(settings.cache_dir)
        self._client: Client | None = None
        self._sleep = sleep

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(self.settings, self.log, self._sleep or time.sleep)
        return self._client

    @property
    def requests(self) -> int:
        return 0 if self._client is None else self._client.requests

    def papers(self, ids: Sequence[ArxivId]) -> tuple[dict[str, Paper], dict[str, str]]:
        """(papers by base id, why for each id without one)."""
        found: dict[str, Paper] = {}
        todo = []
        for aid in dict.fromkeys(i.base for i in ids):
            cached = None if self.settings.refresh else self.cache.paper(aid)
            if cached is not None:
                found[aid] = cached
            else:
                todo.append(ArxivId(aid))
        failed: dict[str, str] = {}
        if todo and self.settings.offline:
            return found, {a.base: "not in the cache (--offline)" for a in todo}
        if todo:
            result = self.client.fetch(todo)
            for paper in result.found.values():
                self.cache.put_paper(paper)
            found.update(result.found)
            failed.update(result.failed)
            failed.update({m: "arXiv has no paper with this identifier" for m in result.missing})
        return found, failed

    def search(self, title: str, family: str | None) -> list[Paper]:
        query = f"{title}\n{family or ''}"
        cached = None if self.settings.refresh else self.cache.search(query)
        if cached is not None:
            return cached
        if self.settings.offline:
            raise ArxivUnavailable("not in the cache (--offline)")
        papers = self.client.search_title(title, family)
        self.cache.put_search(query, papers, datetime.now(UTC).isoformat(timespec="seconds"))
        for p in papers:
            self.cache.put_paper(p)
        return papers


def _names(paper: Paper) -> list[Any]:
    return [name_value(Person.parse(a)) for a in paper.authors]


def journal_doi(paper: Paper) -> str | None:
    """The DOI of the published version the authors gave arXiv (never arXiv's own ``10.48550``)."""
    try:
        doi = Doi.parse(paper.doi).value if paper.doi else None
    except ValueError:
        return None
    return None if doi is None or doi.lower().startswith("10.48550/") else doi


def _fill(lo: Loaded, rec: Record, paper: Paper, accept: bool, report: Report) -> dict[str, Any]:
    """The fields to set in ``rec`` from ``paper``."""
    out: dict[str, Any] = {}
    where = f"{lo.path}"
    if "title" not in lo.spans:
        out["title"] = paper.title
    elif title_key(rec.title) != title_key(paper.title):
        report.conflicts += 1
        report.warnings.append(f"{where}: title differs from arXiv {paper.arxiv}: record {rec.title!r}, "
                               f"arXiv {paper.title!r}" + ("; taking arXiv's" if accept else ""))
        if accept:
            out["title"] = paper.title
    if "author" not in lo.spans:
        out["author"] = _names(paper)
    elif len(rec.author) != len(paper.authors) and not rec.author_truncated:
        report.conflicts += 1
        report.warnings.append(f"{where}: {len(rec.author)} author(s), arXiv {paper.arxiv} lists "
                               f"{len(paper.authors)}" + ("; taking arXiv's" if accept else ""))
        if accept:
            out["author"] = _names(paper)
    if "issued" not in lo.spans:
        out["issued"] = str(paper.published)
    if "arxiv-class" not in lo.spans and paper.primary_class:
        out["arxiv-class"] = paper.primary_class
    doi = journal_doi(paper)
    if rec.type == "article" and (doi or paper.journal_ref):
        # A preprint's DOI is its own; the published version's comes with its venue.
        report.published += 1
        report.warnings.append(f"{where}: arXiv {paper.arxiv.base} names a published version "
                               f"({'DOI ' + doi if doi else repr(paper.journal_ref)}): see `bibkit published`")
    elif "DOI" not in lo.spans and doi:
        out["DOI"] = doi
    if "journal-ref" not in lo.spans and paper.journal_ref:
        out["journal-ref"] = paper.journal_ref
    return out


def enrich(library: Library, settings: ArxivSettings, *, accept_arxiv: bool = False, search: bool = True,
           log: Callable[[str], None] = _quiet, progress: Callable[[int, int], None] | None = None,
           source: Source | None = None) -> Report:
    report = Report()
    source = source or Source(settings, log)
    # A file with problems is left alone: its findings say why (``bibkit validate`` shows all).
    usable = []
    for lo in library.loaded:
        if lo.record is None or lo.diagnostics:
            report.failures += 1
            report.warnings.extend(f"skipped: {d}" for d in lo.diagnostics)
        else:
            usable.append((lo, lo.record))
    try:
        papers, failed = source.papers([rec.arxiv for _, rec in usable if rec.arxiv is not None])
    except ArxivUnavailable as exc:
        papers, failed = {}, {rec.arxiv.base: str(exc) for _, rec in usable if rec.arxiv is not None}
    for n, (lo, rec) in enumerate(usable, 1):
        if progress:
            progress(n, len(usable))
        values: dict[str, Any] = {}
        if rec.arxiv is not None:
            paper = papers.get(rec.arxiv.base)
            if paper is None:
                report.failures += 1
                report.warnings.append(f"{lo.path}: arXiv {rec.arxiv}: {failed.get(rec.arxiv.base, 'no answer')}")
                continue
        elif search and rec.title and rec.provenance.no_arxiv is None:
            family = rec.author[0].family if rec.author and rec.author[0].family else None
            try:
                found = match.choose(rec.title, family, source.search(rec.title, family))
            except ArxivUnavailable as exc:
                report.failures += 1
                report.warnings.append(f"{lo.path}: title search failed: {exc}")
                continue
            if found.paper is None:
                if found.ambiguous:
                    report.ambiguous += 1
                    options = "; ".join(f"{p.arxiv.base} {p.title!r} ({s:.2f})" for s, p in found.scored[:3])
                    report.warnings.append(f"{lo.path}: ambiguous title match, left alone: {options}")
                continue
            paper = found.paper
            report.matched += 1
            values["arxiv"] = paper.arxiv.base
        else:
            continue
        values.update(_fill(lo, rec, paper, accept_arxiv, report))
        if not values:
            continue
        old = lo.path.read_text(encoding="utf-8-sig")
        new = set_fields(old, values)
        if new != old:
            report.filled += 1
            report.changes.append(Change(lo.path, old, new, list(values)))
    report.requests = source.requests
    return report


def new_records(ids: Sequence[ArxivId], existing: Sequence[Record], settings: ArxivSettings,
                pattern: str = DEFAULT_PATTERN, log: Callable[[str], None] = _quiet,
                source: Source | None = None) -> tuple[list[Record], list[str]]:
    """Records for ``ids`` from arXiv metadata, and why each id that got none did not.

    A paper whose arXiv entry names its published version (a journal reference that reads as a
    venue) gets a record of that version (``published.published_version``); otherwise a
    preprint record, whose note keeps the journal DOI arXiv gives, if any.
    """
    from bibkit.enrich.published import published_version

    problems: list[str] = []
    by_arxiv = {r.arxiv.base: r for r in existing if r.arxiv}
    by_doi = {r.doi.value.lower(): r for r in existing if r.doi}
    wanted: list[ArxivId] = []
    for aid in ids:
        if aid.base in by_arxiv:
            problems.append(f"arXiv {aid.base} is already in record {by_arxiv[aid.base].key!r}")
        elif aid.base not in (w.base for w in wanted):
            wanted.append(aid)
    source = source or Source(settings, log)
    papers, failed = source.papers(wanted)
    taken = {r.key.casefold() for r in existing}
    out = []
    for aid in wanted:
        paper = papers.get(aid.base)
        if paper is None:
            problems.append(f"arXiv {aid.base}: {failed.get(aid.base, 'no answer')}")
            continue
        doi = journal_doi(paper)
        if doi and doi.lower() in by_doi:
            problems.append(f"arXiv {aid.base}: its DOI {doi} is already in record {by_doi[doi.lower()].key!r}")
            continue
        note = f"Filled from the arXiv API on {paper.fetched[:10]}."
        draft = Record(
            key="", type="article", title=paper.title, author=tuple(Person.parse(a) for a in paper.authors),
            issued=paper.published, arxiv=ArxivId(aid.base), arxiv_class=paper.primary_class,
            journal_ref=paper.journal_ref, text={"publisher": "arXiv"},
            provenance=Provenance(verified=(ArxivId(aid.base).url,), note=note),
        )
        draft = dataclasses.replace(draft, key=generate_key(draft, taken, pattern))
        made = published_version(draft, paper)
        if made is None and doi:
            made = dataclasses.replace(draft, provenance=dataclasses.replace(
                draft.provenance, note=f"{note} arXiv gives the DOI {doi} of a published version, whose "
                                       "venue it does not name."))
        out.append(made or draft)
    return out, problems
