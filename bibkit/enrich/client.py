"""The arXiv API, through the ``arxiv`` package, with the manners arXiv asks for.

arxiv.py's ``Client`` fetches and parses; this wrapper owns what it lacks: a per-request timeout,
retries with exponential backoff that honour ``Retry-After`` (arxiv.py retries only at its fixed
delay), a configurable endpoint, batching that survives a malformed id (one bad id makes arXiv
answer HTTP 400 for the whole batch), and mapping results back to the ids asked for (arXiv does
not keep the order, and answers a versionless id with the latest version). It never prints:
progress goes to the injected ``log``.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

from bibkit.diagnostics import BibkitError
from bibkit.model import ArxivId, Date

DEFAULT_ENDPOINT = "https://export.arxiv.org/api/query"
BATCH = 100  # ids per request: arXiv's page size and the size the API handles reliably
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _quiet(message: str) -> None:
    pass


@dataclass(frozen=True)
class ArxivSettings:
    endpoint: str = DEFAULT_ENDPOINT
    delay_seconds: float = 3.0  # arXiv's terms: at most one request every three seconds
    timeout: float = 30.0
    retries: int = 4
    cache_dir: Path | None = None  # None: no cache
    refresh: bool = False  # ignore cached entries (still writes new ones)
    offline: bool = False  # answer from the cache only

    @classmethod
    def from_environment(cls, endpoint: str | None = None, delay: float | None = None,
                         cache_dir: Path | None = None, **kwargs: Any) -> ArxivSettings:
        """Options win over ``BIBKIT_ARXIV_URL``, ``BIBKIT_ARXIV_DELAY`` and ``BIBKIT_CACHE_DIR``."""
        env_delay = os.environ.get("BIBKIT_ARXIV_DELAY")
        try:
            resolved_delay = delay if delay is not None else float(env_delay) if env_delay else 3.0
        except ValueError:
            raise BibkitError(f"BIBKIT_ARXIV_DELAY must be a number of seconds, not {env_delay!r}") from None
        if resolved_delay < 0:
            raise BibkitError("the arXiv delay cannot be negative")
        from bibkit.libcache import cache_root

        return cls(
            endpoint=endpoint or os.environ.get("BIBKIT_ARXIV_URL") or DEFAULT_ENDPOINT,
            delay_seconds=resolved_delay,
            cache_dir=cache_dir or cache_root(),
            **kwargs,
        )


@dataclass(frozen=True)
class Paper:
    """What arXiv says about one paper: the values enrichment may copy into a record."""

    arxiv: ArxivId  # with the version arXiv returned
    title: str
    authors: tuple[str, ...]
    published: Date  # v1 submission date
    primary_class: str | None = None
    doi: str | None = None  # the author-supplied journal DOI, not arXiv's own
    journal_ref: str | None = None
    fetched: str = ""  # when it was fetched (UTC, ISO 8601)

    def to_json(self) -> dict[str, Any]:
        return {"arxiv": str(self.arxiv), "title": self.title, "authors": list(self.authors),
                "published": str(self.published), "primary_class": self.primary_class, "doi": self.doi,
                "journal_ref": self.journal_ref, "fetched": self.fetched}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Paper:
        return cls(ArxivId.parse(data["arxiv"]), str(data["title"]), tuple(map(str, data["authors"])),
                   Date.parse(data["published"]), data.get("primary_class"), data.get("doi"),
                   data.get("journal_ref"), str(data.get("fetched", "")))


@dataclass
class FetchResult:
    found: dict[str, Paper] = field(default_factory=dict)  # by base id
    missing: list[str] = field(default_factory=list)  # arXiv answered, but not with this id
    failed: dict[str, str] = field(default_factory=dict)  # id -> why (unreachable, refused)
    requests: int = 0


class ArxivUnavailable(BibkitError):
    """arXiv did not answer usefully after every retry; ``status``: the HTTP status it refused
    the request with, if it did."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class MalformedFeed(Exception):
    """An HTTP 200 whose body is not well-formed XML."""


def _paper(result: Any, fetched: str) -> Paper:
    published = result.published
    return Paper(
        arxiv=ArxivId.parse(result.get_short_id()),
        title=" ".join(result.title.split()),
        authors=tuple(" ".join(a.name.split()) for a in result.authors),
        published=Date(published.year, published.month, published.day),
        primary_class=result.primary_category or None,
        doi=(result.doi or "").strip() or None,
        journal_ref=" ".join((result.journal_ref or "").split()) or None,
        fetched=fetched,
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what lies under it: requests wraps urllib3's error, which wraps the socket's."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        under = (current.__cause__, current.__context__, getattr(current, "reason", None), *current.args)
        todo.extend(u for u in under if isinstance(u, BaseException))


def _describe(exc: BaseException, causes: list[BaseException]) -> str:
    """The request's failure with its cause: ``ConnectionError (Connection refused)``."""
    reasons = [c.strerror for c in causes if isinstance(c, OSError) and c.strerror]
    if isinstance(exc, TimeoutError) or any(isinstance(c, TimeoutError) for c in causes):
        reasons = reasons or ["timed out"]
    return f"{type(exc).__name__} ({reasons[-1]})" if reasons else type(exc).__name__


class Client:
    """One arXiv session: spaced requests, retried with backoff, each with a timeout."""

    def __init__(self, settings: ArxivSettings, log: Callable[[str], None] = _quiet,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        import arxiv
        import requests

        self.settings, self.log, self.sleep, self.clock = settings, log, sleep, clock
        self.requests = 0
        self._last: float | None = None
        wrapper = self

        class _Session(requests.Session):
            # arxiv.py calls session.get(url, headers=...) without a timeout; add ours, and keep
            # the response so that a 429's Retry-After can be honoured.
            def get(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
                wrapper._space()
                kwargs.setdefault("timeout", settings.timeout)
                wrapper.requests += 1
                try:
                    response = super().get(url, **kwargs)
                finally:
                    wrapper._last = wrapper.clock()
                wrapper.last_response = response
                if response.status_code == 200:
                    # arxiv.py's parser recovers from broken XML and reports a truncated feed as
                    # a short one; a feed that does not parse is a failed request, to retry.
                    try:
                        ElementTree.fromstring(response.content)
                    except ElementTree.ParseError as exc:
                        raise MalformedFeed(f"malformed XML from arXiv: {exc}") from None
                return response

        self.last_response: Any = None
        self._arxiv = arxiv
        self._requests = requests
        # arxiv.py's own spacing and retries are off: this class does both, with backoff.
        self._client = arxiv.Client(page_size=BATCH, delay_seconds=0, num_retries=0)
        self._client.query_url_format = settings.endpoint + "?{}"
        self._client._session = _Session()

    def _space(self) -> None:
        if self._last is not None:
            wait = self.settings.delay_seconds - (self.clock() - self._last)
            if wait > 0:
                self.sleep(wait)

    def _retry_after(self) -> float:
        header = getattr(self.last_response, "headers", {}).get("Retry-After", "")
        try:
            return min(float(header), 300.0)
        except ValueError:
            return 0.0

    def _with_retries(self, what: str, call: Callable[[], list[Any]]) -> list[Any]:
        arxiv, requests = self._arxiv, self._requests
        for attempt in range(self.settings.retries + 1):
            self.last_response = None
            try:
                return call()
            except arxiv.HTTPError as exc:
                if exc.status not in RETRY_STATUSES:
                    raise ArxivUnavailable(f"arXiv refused {what}: HTTP {exc.status}", exc.status) from None
                problem = f"HTTP {exc.status}"
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                causes = list(_causes(exc))
                if any(isinstance(c, socket.gaierror) for c in causes):
                    # A name that does not resolve (no network, a typo in --arxiv-url) will not
                    # resolve in a minute either: say so now instead of after five tries.
                    host = urlsplit(self.settings.endpoint).hostname
                    raise ArxivUnavailable(f"arXiv at {self.settings.endpoint} cannot be reached: {host} does not "
                                           "resolve (offline? check the network or --arxiv-url)") from None
                problem = _describe(exc, causes)
            except arxiv.UnexpectedEmptyPageError:
                problem = "an empty page"
            except MalformedFeed:
                problem = "malformed XML"
            if attempt == self.settings.retries:
                raise ArxivUnavailable(f"arXiv at {self.settings.endpoint} did not answer {what} "
                                       f"after {attempt + 1} tries (last: {problem})")
            backoff = max(self._retry_after(), self.settings.delay_seconds * 2 ** attempt, 0.1 * 2 ** attempt)
            self.log(f"arXiv: {problem} for {what}; retrying in {backoff:.1f} s")
            self.sleep(backoff)
        raise AssertionError("unreachable")

    def _query(self, search: Any) -> list[Any]:
        return list(self._client.results(search))

    def fetch(self, ids: Sequence[ArxivId]) -> FetchResult:
        """Metadata for ``ids``, ``BATCH`` per request."""
        out = FetchResult()
        fetched = datetime.now(UTC).isoformat(timespec="seconds")
        wanted = list(dict.fromkeys(i.base for i in ids))
        for start in range(0, len(wanted), BATCH):
            self._fetch_batch(wanted[start:start + BATCH], out, fetched)
        out.requests = self.requests
        return out

    def _fetch_batch(self, batch: list[str], out: FetchResult, fetched: str) -> None:
        search = self._arxiv.Search(id_list=batch, max_results=len(batch))
        what = f"{len(batch)} id(s) from {batch[0]}"
        try:
            results = self._with_retries(what, lambda: self._query(search))
        except ArxivUnavailable as exc:
            # One malformed id fails a whole batch with HTTP 400: halve it to find the culprit.
            if exc.status == 400 and len(batch) > 1:
                half = len(batch) // 2
                self._fetch_batch(batch[:half], out, fetched)
                self._fetch_batch(batch[half:], out, fetched)
                return
            for base in batch:
                out.failed[base] = str(exc)
            return
        for result in results:
            try:
                paper = _paper(result, fetched)
            except (ValueError, AttributeError, TypeError):
                continue  # an error pseudo-entry or an id we cannot read
            if paper.arxiv.base in batch:
                out.found[paper.arxiv.base] = paper
        out.missing.extend(b for b in batch if b not in out.found)

    def search_title(self, title: str, author: str | None = None, limit: int = 5) -> list[Paper]:
        """Papers whose title matches; the caller decides whether one is the same paper."""
        words = " ".join(w for w in title.replace('"', " ").split() if w.isalnum() or len(w) > 2)
        query = f'ti:"{words}"' + (f' AND au:"{author}"' if author else "")
        search = self._arxiv.Search(query=query, max_results=limit)
        fetched = datetime.now(UTC).isoformat(timespec="seconds")
        results = self._with_retries(f"the title search {title[:40]!r}", lambda: self._query(search))
        papers = []
        for r in results:
            try:
                papers.append(_paper(r, fetched))
            except (ValueError, AttributeError, TypeError):
                continue
        return papers

