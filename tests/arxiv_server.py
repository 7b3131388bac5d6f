"""A real HTTP server on 127.0.0.1 that answers like arXiv's API, from recorded responses and
from Atom entries made for test records, with faults injected on demand."""

from __future__ import annotations

import re
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
ET.register_namespace("", ATOM)
ET.register_namespace("arxiv", ARXIV)
ET.register_namespace("opensearch", OPENSEARCH)

_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")


@dataclass
class Fault:
    status: int = 200
    body: bytes | None = None  # None: answer normally (after `delay`)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a hung connection)


def feed(entries: list[str], total: int | None = None) -> bytes:
    total = len(entries) if total is None else total
    return (f"<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns='{ATOM}' xmlns:arxiv='{ARXIV}' "
            f"xmlns:opensearch='{OPENSEARCH}'>\n  <id>https://arxiv.org/api/test</id>\n"
            f"  <title>arXiv Query</title>\n  <updated>2026-11-23T00:00:00Z</updated>\n"
            f"  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>\n"
            f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
            f"  <opensearch:startIndex>0</opensearch:startIndex>\n" + "".join(entries) + "</feed>\n").encode()


def entry(base: str, title: str, authors: list[str], published: str, category: str = "cs.LG",
          doi: str | None = None, journal_ref: str | None = None, version: int = 1) -> str:
    extra = (f"    <arxiv:doi>{escape(doi)}</arxiv:doi>\n" if doi else "") + \
        (f"    <arxiv:journal_ref>{escape(journal_ref)}</arxiv:journal_ref>\n" if journal_ref else "")
    people = "".join(f"    <author><name>{escape(a)}</name></author>\n" for a in authors)
    return (f"  <entry>\n    <id>http://arxiv.org/abs/{base}v{version}</id>\n"
            f"    <updated>{published}T12:00:00Z</updated>\n    <published>{published}T12:00:00Z</published>\n"
            f"    <title>{escape(title)}</title>\n    <summary>Test abstract.</summary>\n{people}"
            f"    <link href='https://arxiv.org/abs/{base}v{version}' rel='alternate' type='text/html'/>\n"
            f"    <link title='pdf' href='https://arxiv.org/pdf/{base}v{version}' rel='related' "
            f"type='application/pdf'/>\n{extra}"
            f"    <arxiv:primary_category term='{category}' scheme='http://arxiv.org/schemas/atom'/>\n"
            f"    <category term='{category}' scheme='http://arxiv.org/schemas/atom'/>\n  </entry>\n")


def recorded_entries(path: Path) -> dict[str, str]:
    """The <entry> elements of a recorded response, by base id."""
    root = ET.fromstring(path.read_bytes())
    out = {}
    for e in root.findall(f"{{{ATOM}}}entry"):
        ident = (e.findtext(f"{{{ATOM}}}id") or "").rsplit("/abs/", 1)[-1]
        base = re.sub(r"v\d+$", "", ident)
        if _ID.match(ident):
            out[base] = ET.tostring(e, encoding="unicode")
    return out


class FakeArxiv:
    def __init__(self, error_feed: bytes) -> None:
        self.entries: dict[str, str] = {}
        self.faults: deque[Fault] = deque()
        self.requests: list[str] = []
        self.malformed: set[str] = set()  # ids answered with arXiv's HTTP 400 error feed
        self.error_feed = error_feed
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append(self.path)
                fault = server.faults.popleft() if server.faults else Fault()
                if fault.delay:
                    time.sleep(fault.delay)
                status, body = (fault.status, fault.body) if fault.body is not None else server.answer(self.path)
                if fault.body is None and fault.status != 200:
                    status, body = fault.status, b"error"
                try:
                    self.send_response(status)
                    for k, v in fault.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/atom+xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/api/query"

    def answer(self, path: str) -> tuple[int, bytes]:
        query = parse_qs(urlparse(path).query)
        ids = [i for i in query.get("id_list", [""])[0].split(",") if i]
        if ids:
            bad = [i for i in ids if not _ID.match(i) or i in self.malformed]
            if bad:
                return 400, self.error_feed.replace(b"abc", bad[0].encode())
            found = [self.entries[re.sub(r"v\d+$", "", i)] for i in ids if re.sub(r"v\d+$", "", i) in self.entries]
            return 200, feed(found)
        words = set(re.findall(r"[a-z0-9]+", query.get("search_query", [""])[0].lower())) - {"ti", "au", "and"}
        limit = int(query.get("max_results", ["10"])[0])
        scored = []
        for e in self.entries.values():
            title = re.search(r"<title>(.*?)</title>", e, re.S) or re.search(r"title>(.*?)</", e, re.S)
            have = set(re.findall(r"[a-z0-9]+", (title.group(1) if title else "").lower()))
            overlap = len(words & have) / max(len(words), 1)
            if overlap >= 0.5:
                scored.append((-overlap, e))
        return 200, feed([e for _, e in sorted(scored, key=lambda s: s[0])[:limit]])

    def __enter__(self) -> FakeArxiv:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
