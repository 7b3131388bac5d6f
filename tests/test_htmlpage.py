"""The publications page (``export --format html-page``), loaded in a real headless Chromium.

The browser is driven over the DevTools protocol through ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-separated JSON): no port is opened and no client library is needed.
Every console message, log entry, uncaught exception, JavaScript dialog and network request the
page causes is recorded, so "loads cleanly" and "asks nothing of the network" are measured.
"""

from __future__ import annotations

import base64
import fcntl
import html
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from bibkit.exporters import ExportOptions, Member, PageOptions, export
from bibkit.exporters.htmlpage import public_bibtex
from bibkit.loader import load_library
from bibkit.model import ArxivId, Date, Doi, Person, Record
from bibkit.richtext import plain

from conftest import RECORDS, ROOT, bibkit, require_tool

# The flags the project requires for any browser run in tests: no sandbox (containers), nothing
# fetched in the background, a fresh profile. The host-resolver rule makes sure that a request
# the page should never make could not leave the machine even if it were made.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--remote-debugging-pipe"]
# Python's os.dup2 puts the pipes where Chromium expects them; a shell cannot, as dash's
# redirections take only single-digit descriptors.
LAUNCH = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
          "os.execv(sys.argv[3], sys.argv[3:])")
TIMEOUT = 30.0


def _high(fd: int) -> int:
    """A duplicate of ``fd`` numbered 10 or more, so that dup2 onto 3 and 4 cannot clobber it."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


@dataclass
class Page:
    """One tab, and everything it reported."""

    browser: Browser
    session: str
    console: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    dialogs: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.call(method, params, self.session)

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def problems(self) -> list[str]:
        return ([f"console.{m['type']}: {m['args']}" for m in self.console]
                + [f"log {e['entry']['level']}: {e['entry']['text']}" for e in self.log]
                + [f"exception: {e['exceptionDetails']}" for e in self.exceptions]
                + [f"dialog: {d['message']}" for d in self.dialogs])

    def visible(self) -> list[str]:
        return list(self.js("Array.from(document.querySelectorAll('li.entry'))"
                            ".filter(e => e.offsetParent !== null).map(e => e.id.slice(4))"))

    def click(self, selector: str) -> None:
        """Click the element's centre with the mouse, as a user does (a trusted event)."""
        x, y = self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView(); "
                       "const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def type(self, text: str) -> None:
        """Replace the filter's text the way a user does: focus, select all, type."""
        self.js("(() => { const f = document.getElementById('filter'); f.focus(); f.select(); return true; })()")
        if text:
            self.call("Input.insertText", {"text": text})
        else:
            for kind in ("rawKeyDown", "keyUp"):
                self.call("Input.dispatchKeyEvent", {"type": kind, "key": "Backspace", "code": "Backspace",
                                                     "windowsVirtualKeyCode": 8})


class Browser:
    def __init__(self, chromium: str, workdir: Path) -> None:
        cmd_read, self._cmd_write = map(_high, os.pipe())
        self._res_read, res_write = map(_high, os.pipe())
        self._stderr = (workdir / "chromium.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, str(cmd_read), str(res_write), chromium, *FLAGS,
             f"--user-data-dir={workdir / 'profile'}", "about:blank"],
            pass_fds=(cmd_read, res_write), stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr)
        os.close(cmd_read)
        os.close(res_write)
        self._buffer = b""
        self._next = 0
        self._pages: dict[str, Page] = {}

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._res_read], [], [], left)[0]:
                raise AssertionError("Chromium did not answer in time")
            chunk = os.read(self._res_read, 1 << 16)
            if not chunk:
                raise AssertionError(f"Chromium exited ({self.proc.poll()})")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        self._record(parsed)
        return parsed

    def _record(self, message: dict[str, Any]) -> None:
        page = self._pages.get(message.get("sessionId", ""))
        method, params = message.get("method"), message.get("params", {})
        if page is None or method is None:
            return
        if method == "Runtime.consoleAPICalled":
            page.console.append(params)
        elif method == "Log.entryAdded":
            page.log.append(params)
        elif method == "Runtime.exceptionThrown":
            page.exceptions.append(params)
        elif method == "Page.javascriptDialogOpening":
            page.dialogs.append(params)
            self._send("Page.handleJavaScriptDialog", {"accept": True}, message["sessionId"])
        elif method == "Network.requestWillBeSent":
            page.requests.append(params["request"]["url"])

    def _send(self, method: str, params: dict[str, Any] | None, session: str | None) -> int:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._cmd_write, json.dumps(message).encode() + b"\0")
        return self._next

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result

    def wait_for(self, page: Page, event: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._receive(deadline)
            if message.get("method") == event and message.get("sessionId") == page.session:
                return

    def open(self, url: str, *, javascript: bool = True, width: int = 1100, height: int = 900,
             mobile: bool = False) -> Page:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = self._pages[session] = Page(self, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1, "mobile": mobile})
        if not javascript:
            page.call("Emulation.setScriptExecutionDisabled", {"value": True})
        page.call("Page.navigate", {"url": url})
        self.wait_for(page, "Page.loadEventFired")
        return page

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.proc.wait(timeout=TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self._cmd_write)
            os.close(self._res_read)
            self._stderr.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require_tool("chromium")
    workdir = Path(tempfile.mkdtemp(prefix="bibkit-chromium-"))
    driver = Browser(chromium, workdir)
    try:
        yield driver
    finally:
        driver.close()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Made by the library once for the module (the command is tested below, in a test of its own).
    out = tmp_path_factory.mktemp("page") / "publications.html"
    out.write_bytes(export(load_library([RECORDS]).records, "html-page"))
    return out


def _records() -> list[Record]:
    return load_library([RECORDS]).records


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def _straight(text: str) -> str:
    return text.translate(str.maketrans("‘’“”", "''\"\""))


def _assert_clean(page: Page, html_file: Path) -> None:
    assert page.problems() == []
    # The page itself and nothing else: no font, stylesheet, script, image or icon from anywhere.
    assert page.requests and set(page.requests) == {html_file.as_uri()}


@pytest.mark.slow
def test_page_loads_cleanly_with_one_entry_per_record_newest_year_first(browser: Browser, page_file: Path) -> None:
    page = browser.open(page_file.as_uri())
    _assert_clean(page, page_file)
    records = {r.key: r for r in _records()}
    assert sorted(page.visible()) == sorted(records)
    assert page.js("document.getElementById('filter').offsetParent !== null")  # the script showed the filter
    sections = page.js("Array.from(document.querySelectorAll('section.group')).map(s => "
                       "[s.querySelector('h2').textContent, Array.from(s.querySelectorAll('li.entry'))"
                       ".map(e => e.id.slice(4))])")
    years = [int(heading) for heading, _ in sections]
    assert years == sorted({r.issued.year for r in records.values() if r.issued}, reverse=True)
    for heading, keys in sections:
        assert {records[k].issued.year for k in keys} == {int(heading)}  # type: ignore[union-attr]
    assert page.js("document.getElementById('count').textContent") == \
        f"{len(records)} publications, {min(years)}–{max(years)}"


@pytest.mark.slow
def test_every_entry_links_to_arxiv_pdf_and_doi_and_shows_its_venues(browser: Browser, page_file: Path) -> None:
    page = browser.open(page_file.as_uri())
    shown = page.js("Object.fromEntries(Array.from(document.querySelectorAll('li.entry')).map(e => [e.id.slice(4), {"
                    "links: Object.fromEntries(Array.from(e.querySelectorAll('.links a'))"
                    ".map(a => [a.textContent, a.href])),"
                    "badges: Array.from(e.querySelectorAll('.badge')).map(b => b.textContent),"
                    "text: e.querySelector('.csl-entry').textContent}]))")
    with_arxiv = with_doi = 0
    for record in _records():
        entry = shown[record.key]
        assert entry["badges"] == list(record.venues)
        # Styles may make quotes typographic; the words are the record's.
        assert _straight(plain(record.title).split(":")[0][:40]) in _straight(entry["text"])
        links = entry["links"]
        if record.arxiv is not None:
            with_arxiv += 1
            assert links["arXiv"] == f"https://arxiv.org/abs/{record.arxiv.base}"
            assert links["PDF"] == f"https://arxiv.org/pdf/{record.arxiv.base}"
        else:
            assert "arXiv" not in links and "PDF" not in links
        if record.doi is not None:
            with_doi += 1
            assert links["DOI"] == f"https://doi.org/{record.doi.value}"
        else:
            assert "DOI" not in links
    assert with_arxiv > 30 and with_doi > 0  # the shipped records exercise both kinds of link


@pytest.mark.slow
def test_typing_in_the_filter_narrows_the_list_and_is_kept_in_the_address(browser: Browser, page_file: Path) -> None:
    page = browser.open(page_file.as_uri())
    records = _records()
    page.type("pythia")
    assert page.visible() == ["biderman2023pythia"]
    assert page.js("document.getElementById('count').textContent") == f"Showing 1 of {len(records)} publications"
    assert page.js("location.hash") == "#q=pythia"
    # Every word must match, in any case; accents need not be typed.
    page.type("BIDERMAN  2023")
    assert sorted(page.visible()) == sorted(
        r.key for r in records if r.issued and r.issued.year == 2023
        and any("biderman" in _fold(str(p)) for p in r.author))
    page.type("niccolo zanichelli")
    assert page.visible() == ["ahdritz2024openfold"]
    # Years left without a match disappear; an empty result says so.
    page.type("nature methods")
    assert page.js("Array.from(document.querySelectorAll('section.group')).filter(s => s.offsetParent !== null)"
                   ".map(s => s.id)") == ["y2024"]
    page.type("no such paper anywhere")
    assert page.visible() == []
    assert page.js("document.getElementById('none').offsetParent !== null")
    page.type("")
    assert len(page.visible()) == len(records)
    assert page.js("location.hash") == ""
    assert page.problems() == []


@pytest.mark.slow
def test_the_filter_is_taken_from_the_address(browser: Browser, page_file: Path) -> None:
    page = browser.open(page_file.as_uri() + "#q=schuhmann")
    assert page.visible() == ["schuhmann2021laion400m"]
    assert page.js("document.getElementById('filter').value") == "schuhmann"
    page.js("location.hash = '#q=' + encodeURIComponent('Belrose')")
    page.js("new Promise(r => setTimeout(r, 50))")  # hashchange is dispatched asynchronously
    assert sorted(page.visible()) == sorted(
        r.key for r in _records() if any("belrose" in _fold(str(p)) for p in r.author))
    # A plain anchor (the year links) is not a filter.
    page.js("location.hash = '#y2023'")
    page.js("new Promise(r => setTimeout(r, 50))")
    assert page.js("document.getElementById('filter').value") == "Belrose"
    assert page.problems() == []


@pytest.mark.slow
def test_without_javascript_every_entry_shows_and_the_filter_is_hidden(browser: Browser, page_file: Path) -> None:
    page = browser.open(page_file.as_uri() + "#q=pythia", javascript=False)
    assert len(page.visible()) == len(_records())
    assert page.js("document.getElementById('filter-form').offsetParent === null")


HOSTILE = """type: article
title: '<script>alert(1)</script><img src=x onerror=alert(1)> & "quotes" </li></ol>'
author:
  - given: '"><script>alert(2)</script>'
    family: 'O''Brien <b>'
issued: 2023-03
arxiv: "2303.08112"
venues: ['"><img src=x onerror=alert(3)>', '</span><script>alert(4)</script>']
URL: "https://example.org/?a=1&b=2'x"
"""


@pytest.mark.slow
def test_record_text_stays_text(browser: Browser, tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "mallory2023script.yaml").write_text(HOSTILE)
    out = tmp_path / "page.html"
    result = bibkit("export", "-f", "html-page", "-r", records, "-o", out)
    assert result.exit_code == 0, result.stderr
    page = browser.open(out.as_uri())
    _assert_clean(page, out)
    assert page.visible() == ["mallory2023script"]
    assert page.js("document.querySelectorAll('script').length") == 1  # the page's own
    assert page.js("document.querySelectorAll('main img, main b').length") == 0
    text = page.js("document.querySelector('li.entry').textContent")
    assert "<script>alert(1)</script><img src=x onerror=alert(1)> &" in text and "</li></ol>" in text
    assert '"><script>alert(2)</script>' in text
    assert page.js("Array.from(document.querySelectorAll('.badge')).map(b => b.textContent)") == [
        '"><img src=x onerror=alert(3)>', "</span><script>alert(4)</script>"]
    assert page.js("document.querySelector('.links a:last-child').getAttribute('href')") == "https://example.org/?a=1&b=2'x"
    page.type("<script>alert(1)")
    assert page.visible() == ["mallory2023script"]


@pytest.mark.slow
def test_the_harness_sees_errors_and_requests(browser: Browser, page_file: Path, tmp_path: Path) -> None:
    """The clean-load assertions above can fail: a page that breaks the rules is caught."""
    broken = tmp_path / "broken.html"
    broken.write_text(page_file.read_text().replace(
        "</main>", '<img src="https://example.invalid/pixel.png"><script>nope()</script></main>'))
    page = browser.open(broken.as_uri())
    problems = "\n".join(page.problems())
    assert "Content Security Policy" in problems and "example.invalid/pixel.png" in problems
    unguarded = tmp_path / "unguarded.html"
    unguarded.write_text(page_file.read_text().replace('<meta http-equiv="Content-Security-Policy"', "<meta"))
    page = browser.open(unguarded.as_uri())
    page.js("fetch('https://tracker.invalid/').catch(() => 0)")
    page.js("console.error('oops'); new Promise(r => setTimeout(r, 100))")
    assert "https://tracker.invalid/" in page.requests
    assert any("oops" in p for p in page.problems())


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_command_writes_the_same_bytes_each_time(page_file: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # away from this repository's bibkit.toml and its [page] settings
    for _ in range(2):
        result = bibkit("export", "-f", "html-page", "-r", RECORDS, "-o", tmp_path / "page.html")
        assert result.exit_code == 0, result.stderr
        assert (tmp_path / "page.html").read_bytes() == page_file.read_bytes()


# The lab's page: members, selected papers, groups by type, links, copyable BibTeX, layout.

SELECTED = ("biderman2023pythia", "belrose2023leace", "azerbayev2024llemma")
MEMBERS = (Member("Stella Biderman", ("S. Biderman",)), Member("Oskar van der Wal"), Member("Nora Belrose"))
LAB = PageOptions(title="EleutherAI: publications", selected_first=True, members=MEMBERS)
# What a lab keeps in a record for itself: none of it may reach the copyable BibTeX.
PRIVATE = {"note": "Camera-ready due 1 May; ask Hailey", "tags": ["selected", "internal-review"],
           "extra": {"file": "papers/pythia.pdf", "annote": "our best cited paper", "owner": "sb"},
           "project-page": "https://www.eleuther.ai/", "ids": ["pythia2023"]}


def _lab_records(root: Path) -> Path:
    """The shipped records, three of them tagged `selected`, one with private fields."""
    records = root / "records"
    shutil.copytree(RECORDS, records)
    for key in SELECTED:
        path = records / f"{key}.yaml"
        extra = PRIVATE if key == "biderman2023pythia" else {"tags": ["selected"]}
        path.write_text(path.read_text() + yaml.safe_dump(extra, sort_keys=False))
    return records


@pytest.fixture(scope="module")
def lab_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Record]]:
    root = tmp_path_factory.mktemp("lab")
    records = load_library([_lab_records(root)]).records
    out = root / "publications.html"
    out.write_bytes(export(records, "html-page", ExportOptions(page=LAB)))
    return out, records


def _member_authors(record: Record) -> list[str]:
    names = {"stella biderman", "oskar van der wal", "nora belrose"}
    return [p.family or "" for p in record.author if _fold(str(p)) in names]


@pytest.mark.slow
def test_members_are_highlighted_in_their_entries_and_nowhere_else(browser: Browser,
                                                                   lab_page: tuple[Path, list[Record]]) -> None:
    out, records = lab_page
    page = browser.open(out.as_uri())
    _assert_clean(page, out)
    shown = page.js("Object.fromEntries(Array.from(document.querySelectorAll('li.entry')).map(e => [e.id.slice(4), "
                    "[e.querySelector('.csl-entry').textContent, "
                    "Array.from(e.querySelectorAll('.csl-entry .member')).map(m => m.textContent)]]))")
    highlighted = 0
    for record in records:
        text, members = shown[record.key]
        # APA writes "Biderman, S." and "van der Wal, O." (and leaves out the middle of a long author
        # list): each member the entry shows is highlighted, whole, and no one else.
        expected = [f for f in _member_authors(record) if re.search(rf"\b{f}, [A-Z]\.", text)]
        assert [m.split(",")[0].split()[-1] for m in members] == [f.split()[-1] for f in expected], record.key
        assert all(re.fullmatch(r"(van der )?[A-Z][\w-]+, [A-Z]\.", m) for m in members), members
        highlighted += len(members)
    assert highlighted >= 15  # Stella Biderman alone is an author of most shipped records


def test_name_variants_and_given_first_styles_are_highlighted(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "biderman2023variant.yaml").write_text(
        "type: article\ntitle: A Paper by a Variant\nauthor: [S. Biderman, Ada Lovelace, Stella Smith]\n"
        "issued: 2023-03\narxiv: '2303.08112'\n")
    for style, expected in (("apa", ["Biderman, S."]), ("ieee", ["S. Biderman"])):
        result = bibkit("export", "-f", "html-page", "-r", records, "--style", style,
                        "--member", "Stella Biderman|S. Biderman", "--member", "Ada Byron")
        assert result.exit_code == 0, result.stderr
        assert re.findall(r'<strong class="member">([^<]*)</strong>', result.stdout) == expected, style
    # A name that only shares a family name or a given name is not the member's.
    other = bibkit("export", "-f", "html-page", "-r", records, "--member", "Sam Lovelace", "--member", "Stella Smyth")
    assert 'class="member"' not in other.stdout


@pytest.mark.slow
def test_selected_papers_come_first_once_and_the_filter_still_works(browser: Browser,
                                                                    lab_page: tuple[Path, list[Record]]) -> None:
    out, records = lab_page
    page = browser.open(out.as_uri())
    sections = page.js("Array.from(document.querySelectorAll('section.group')).map(s => [s.id, "
                       "Array.from(s.querySelectorAll('li.entry')).map(e => e.id.slice(4))])")
    assert sections[0][0] == "selected" and sorted(sections[0][1]) == sorted(SELECTED)
    everywhere = [key for _, keys in sections for key in keys]
    assert sorted(everywhere) == sorted(r.key for r in records)  # each record once
    years = [int(anchor[1:]) for anchor, _ in sections[1:]]
    assert years == sorted(years, reverse=True)
    page.type("llemma")
    visible = page.js("Array.from(document.querySelectorAll('section.group')).filter(s => s.offsetParent !== null)"
                      ".map(s => s.id)")
    assert page.visible() == ["azerbayev2024llemma"] and visible == ["selected"]
    page.type("proofnet")
    assert page.visible() == ["azerbayev2023proofnet"]
    assert page.problems() == []


def test_grouped_by_type(tmp_path: Path) -> None:
    out = tmp_path / "by-type.html"
    result = bibkit("export", "-f", "html-page", "-r", RECORDS, "--group-by", "type", "-o", out)
    assert result.exit_code == 0, result.stderr
    sections = re.findall(r'<section class="group" id="t-([a-z-]+)">\n<h2>([^<]+)</h2>(.*?)</section>', out.read_text(),
                          re.S)
    by_key = {r.key: r for r in _records()}
    assert [(kind, heading) for kind, heading, _ in sections] == [
        ("article-journal", "Journal articles"), ("paper-conference", "Conference and workshop papers"),
        ("article", "Preprints")]
    for kind, _, body in sections:
        keys = re.findall(r'<li class="entry" id="ref-([^"]+)"', body)
        assert keys and {by_key[k].type for k in keys} == {kind}
        issued = [by_key[k].issued.year for k in keys]  # type: ignore[union-attr]
        assert issued == sorted(issued, reverse=True)  # newest first within a type
    assert sum(len(re.findall(r'<li class="entry"', b)) for _, _, b in sections) == len(by_key)


@pytest.mark.slow
def test_links_come_from_the_record(browser: Browser, lab_page: tuple[Path, list[Record]]) -> None:
    out, records = lab_page
    page = browser.open(out.as_uri())
    shown = page.js("Object.fromEntries(Array.from(document.querySelectorAll('li.entry')).map(e => [e.id.slice(4), "
                    "Array.from(e.querySelectorAll('.links a')).map(a => [a.textContent, a.href])]))")
    with_code = 0
    for record in records:
        links = dict(shown[record.key])
        assert links.get("Code") == record.code and links.get("Project page") == record.project_page, record.key
        with_code += record.code is not None
    assert with_code >= 7  # the shipped records' verified code repositories
    assert shown["biderman2023pythia"][:5] == [
        ["arXiv", "https://arxiv.org/abs/2304.01373"], ["PDF", "https://arxiv.org/pdf/2304.01373"],
        ["Code", "https://github.com/EleutherAI/pythia"], ["Project page", "https://www.eleuther.ai/"],
        ["Web", "https://proceedings.mlr.press/v202/biderman23a.html"]]


@pytest.mark.slow
def test_the_copy_button_copies_the_bibtex_without_private_fields(browser: Browser,
                                                                  lab_page: tuple[Path, list[Record]]) -> None:
    out, records = lab_page
    browser.call("Browser.grantPermissions", {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    page = browser.open(out.as_uri())
    button = "#ref-biderman2023pythia button.copy"
    assert page.js(f"document.querySelector({json.dumps(button)}).textContent") == "Copy BibTeX"
    page.click(button)
    page.js("new Promise(r => setTimeout(r, 100))")
    assert page.js(f"document.querySelector({json.dumps(button)}).textContent") == "Copied"
    copied = page.js("navigator.clipboard.readText()")
    pythia = next(r for r in records if r.key == "biderman2023pythia")
    assert copied == public_bibtex(pythia)
    assert copied.startswith("@inproceedings{biderman2023pythia,") and "eprint = {2304.01373}" in copied
    for private in ("Camera-ready", "internal-review", "selected", "papers/pythia.pdf", "our best cited", "owner",
                    "pythia2023", "eleuther.ai", "provenance", "researchtrend", "ICML"):
        assert private not in copied, private
    # The full export still carries what the lab keeps (the page's copy is the only one that drops it).
    full = export([pythia], "bibtex").decode()
    assert "Camera-ready" in full and "our best cited" in full and "@inproceedings{pythia2023," in full
    page.js("new Promise(r => setTimeout(r, 2100))")
    assert page.js(f"document.querySelector({json.dumps(button)}).textContent") == "Copy BibTeX"
    assert page.problems() == []


@pytest.mark.slow
def test_without_javascript_the_bibtex_still_opens(browser: Browser, lab_page: tuple[Path, list[Record]]) -> None:
    out, _ = lab_page
    page = browser.open(out.as_uri(), javascript=False)
    assert page.js("document.querySelector('button.copy').offsetParent === null")  # hidden: it needs the script
    page.click("#ref-biderman2023pythia details.bibtex summary")
    assert page.js("document.querySelector('#ref-biderman2023pythia details.bibtex').open")
    assert page.js("document.querySelector('#bib-biderman2023pythia').offsetParent !== null")


def test_the_policy_allows_no_inline_style(lab_page: tuple[Path, list[Record]], tmp_path: Path) -> None:
    out, records = lab_page
    text = out.read_text()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert policy and "unsafe-inline" not in html.unescape(policy[1])
    assert "style-src 'sha256-" in html.unescape(policy[1])
    assert ' style="' not in text
    # A style's inline formatting (small caps here) becomes a class of the page's one sheet.
    caps = tmp_path / "caps.csl"
    caps.write_text((ROOT / "styles").joinpath("lab-publications.csl").read_text().replace(
        '<text variable="title"', '<text variable="title" font-variant="small-caps"', 1))
    made = export(records[:3], "html-page", ExportOptions(style=str(caps)))
    assert b' style="' not in made and b'class="csl-1"' in made and b".csl-1 { font-variant:small-caps }" in made


@pytest.mark.slow
@pytest.mark.parametrize(("width", "height", "mobile"), [(390, 844, True), (1280, 900, False)],
                         ids=["phone", "desktop"])
def test_layout_fits_phone_and_desktop_widths(browser: Browser, lab_page: tuple[Path, list[Record]],
                                              width: int, height: int, mobile: bool, tmp_path: Path) -> None:
    out, records = lab_page
    page = browser.open(out.as_uri(), width=width, height=height, mobile=mobile)
    _assert_clean(page, out)
    page.js("Array.from(document.querySelectorAll('details.bibtex')).slice(0, 1).forEach(d => d.open = true)")
    # Nothing sticks out sideways: no horizontal scrolling, every entry, link and button inside the page.
    assert page.js("document.documentElement.scrollWidth") <= width
    outside = page.js("Array.from(document.querySelectorAll('li.entry, .meta a, button.copy, details pre'))"
                      ".filter(e => { const r = e.getBoundingClientRect(); "
                      f"return r.left < 0 || r.right > {width}; }}).map(e => e.outerHTML.slice(0, 80))")
    assert outside == []
    # The text column: the whole width on a phone, a readable measure on a desktop.
    column = page.js("document.querySelector('main').getBoundingClientRect().width")
    assert column == width if mobile else 900 <= column <= 1000
    # Buttons and links are big enough to tap.
    heights = page.js("Array.from(document.querySelectorAll('#ref-biderman2023pythia .meta a, "
                      "#ref-biderman2023pythia button.copy')).map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 18
    assert len(page.visible()) == len(records)
    # A picture of the page as a reader sees it; BIBKIT_UPDATE_SCREENSHOT=1 refreshes the ones in docs/.
    page.js("document.fonts.ready.then(() => true)")
    shot = base64.b64decode(page.call("Page.captureScreenshot", {"format": "png"})["data"])
    assert _png_size(shot) == (width, height)
    assert len(shot) > 50_000  # a page of text, not a blank
    name = "publication-page-phone.png" if mobile else "publication-page.png"
    (tmp_path / name).write_bytes(shot)
    if os.environ.get("BIBKIT_UPDATE_SCREENSHOT") == "1":
        (ROOT / "docs" / name).write_bytes(shot)


def test_the_page_from_bibkit_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _lab_records(tmp_path)
    (tmp_path / "bibkit.toml").write_text(f"""records = "{records.name}"

[page]
title = "EleutherAI: publications"
selected-first = true
members = ["Nora Belrose", {{ name = "Stella Biderman", variants = ["S. Biderman"] }}]

[[outputs]]
format = "html-page"
path = "site/publications.html"

[[outputs]]
format = "html-page"
path = "site/by-type.html"
group-by = "type"
selected-first = false
""")
    monkeypatch.chdir(tmp_path)
    result = bibkit("build")
    assert result.exit_code == 0, result.stderr
    page = (tmp_path / "site" / "publications.html").read_text()
    assert "<title>EleutherAI: publications</title>" in page and '<section class="group" id="selected">' in page
    assert '<strong class="member">Biderman, S.</strong>' in page
    assert '<strong class="member">Belrose, N.</strong>' in page
    by_type = (tmp_path / "site" / "by-type.html").read_text()
    assert 'id="selected"' not in by_type and 'id="t-article-journal"' in by_type
    assert '<strong class="member">Biderman, S.</strong>' in by_type
    # Mistakes are named where they are.
    (tmp_path / "bibkit.toml").write_text('[page]\ngroup-by = "venue"\n[[outputs]]\nformat = "html-page"\n'
                                          'path = "p.html"\n')
    bad = bibkit("build")
    assert bad.exit_code == 2
    assert "bibkit.toml: page.group-by: expected 'year' or 'type', not 'venue'" in bad.stderr
    (tmp_path / "bibkit.toml").write_text('[[outputs]]\nformat = "bibtex"\npath = "x.bib"\ngroup-by = "type"\n')
    assert "outputs[0].group-by: a bibtex output takes no group-by (only html-page does)" in bibkit("build").stderr


# The page's structure, read by an HTML parser (fast: no browser; the tests above show that a
# browser reads the same structure).

@dataclass
class _Entry:
    key: str
    text: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)
    between_links: str = ""  # text in the links' row outside any link
    members: list[str] = field(default_factory=list)


@dataclass
class _Section:
    anchor: str
    heading: str = ""
    entries: list[_Entry] = field(default_factory=list)


class _PageReader(HTMLParser):
    """Sections (anchor, heading, entries), each entry's text, links and highlighted members,
    the count line and the footer, as a reader of the page sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[_Section] = []
        self.count = ""
        self.footer = ""
        self.nav: list[tuple[str, str]] = []
        self._open: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self._open.append((tag, a))
        if tag == "section" and a.get("class") == "group":
            self.sections.append(_Section(a["id"]))
        elif tag == "li" and a.get("class") == "entry":
            self.sections[-1].entries.append(_Entry(a["id"].removeprefix("ref-")))
        elif tag == "a":
            if self._inside("span", "links"):
                self.sections[-1].entries[-1].links.append(("", a["href"]))
            elif self._inside("nav", "groups"):
                self.nav.append(("", a["href"]))
        elif tag == "strong" and a.get("class") == "member":
            self.sections[-1].entries[-1].members.append("")

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop()[0] != tag:
            pass

    def _inside(self, tag: str, cls: str) -> bool:
        return any(t == tag and a.get("class") == cls for t, a in self._open)

    def handle_data(self, data: str) -> None:
        if not self._open:
            return
        tag, attrs = self._open[-1]
        if tag == "h2" and self._inside("section", "group"):
            self.sections[-1].heading += data
        elif tag == "a" and self._inside("span", "links"):
            label, href = self.sections[-1].entries[-1].links[-1]
            self.sections[-1].entries[-1].links[-1] = (label + data, href)
        elif self._inside("span", "links"):
            self.sections[-1].entries[-1].between_links += data
        elif tag == "a" and self._inside("nav", "groups"):
            self.nav[-1] = (self.nav[-1][0] + data, self.nav[-1][1])
        elif tag == "strong" and attrs.get("class") == "member":
            self.sections[-1].entries[-1].members[-1] += data
        elif attrs.get("id") == "count":
            self.count += data
        elif tag == "footer":
            self.footer += data
        if self._inside("div", "csl-entry"):
            self.sections[-1].entries[-1].text += data


def _read_page(records: list[Record], page: PageOptions | None = None, style: str = "apa") -> _PageReader:
    reader = _PageReader()
    reader.feed(export(records, "html-page", ExportOptions(style=style, page=page or PageOptions())).decode("utf-8"))
    reader.close()
    return reader


def _paper(key: str, year: int | None, type: str = "article-journal", **values: Any) -> Record:
    return Record(key=key, type=type, title=f"The paper {key}", author=(Person("Lovelace", "Ada"),),
                  issued=Date(year) if year else None, **values)


def test_sections_by_year_newest_first_and_undated_last() -> None:
    records = [_paper("old2019", 2019), _paper("undated", None), _paper("new2023", 2023), _paper("mid2021", 2021),
               _paper("new2023b", 2023)]
    page = _read_page(records)
    assert [(s.anchor, s.heading) for s in page.sections] == [
        ("y2023", "2023"), ("y2021", "2021"), ("y2019", "2019"), ("y-undated", "Undated")]
    assert [sorted(e.key for e in s.entries) for s in page.sections] == [
        ["new2023", "new2023b"], ["mid2021"], ["old2019"], ["undated"]]
    # The links at the top lead to the sections, in their order.
    assert page.nav == [(s.heading, f"#{s.anchor}") for s in page.sections]


def test_sections_by_type_in_the_pages_order_newest_first_and_undated_last() -> None:
    records = [_paper("undated", None), _paper("old2019", 2019), _paper("conf2020", 2020, "paper-conference"),
               _paper("dataset2022", 2022, "dataset"), _paper("new2023", 2023)]
    page = _read_page(records, PageOptions(group_by="type"))
    assert [(s.anchor, s.heading, [e.key for e in s.entries]) for s in page.sections] == [
        ("t-article-journal", "Journal articles", ["new2023", "old2019", "undated"]),
        ("t-paper-conference", "Conference and workshop papers", ["conf2020"]),
        ("t-other", "Other", ["dataset2022"])]


def test_selected_papers_are_shown_first_and_once() -> None:
    records = [_paper("a2021", 2021, tags=("selected",)), _paper("b2021", 2021),
               _paper("c2022", 2022, tags=("selected",))]
    page = _read_page(records, PageOptions(selected_first=True))
    assert [(s.anchor, sorted(e.key for e in s.entries)) for s in page.sections] == [
        ("selected", ["a2021", "c2022"]), ("y2021", ["b2021"])]


@pytest.mark.parametrize("n", [1, 2])
def test_the_count_and_the_footer_say_how_many(n: int) -> None:
    page = _read_page([_paper(f"p{i}", 2020 + i) for i in range(n)])
    noun = "publication" if n == 1 else "publications"
    assert page.count.startswith(f"{n} {noun},")
    assert re.search(rf"\b{n} curated {'record' if n == 1 else 'records'}\b", page.footer)


def test_each_entry_links_where_docs_say() -> None:
    """arXiv and PDF for an arXiv id, DOI for a DOI, Code, Project page, and the record's URL
    (Web) only when there is no DOI and it is not an arXiv page (docs/publication-page.md)."""
    records = [
        _paper("every2023", 2023, arxiv=ArxivId("2304.01373"), code="https://github.com/example/code",
               project_page="https://example.org/project", url="https://proceedings.example.org/paper.html"),
        _paper("doi2022", 2022, doi=Doi("10.1234/abc"), url="https://publisher.example.org/abc"),
        _paper("arxivurl2021", 2021, url="https://arxiv.org/abs/2101.00001"),
        _paper("bare2020", 2020),
    ]
    entries = [e for s in _read_page(records).sections for e in s.entries]
    assert [e.between_links for e in entries] == [""] * len(records)
    links = {e.key: e.links for e in entries}
    assert links == {
        "every2023": [("arXiv", "https://arxiv.org/abs/2304.01373"), ("PDF", "https://arxiv.org/pdf/2304.01373"),
                      ("Code", "https://github.com/example/code"), ("Project page", "https://example.org/project"),
                      ("Web", "https://proceedings.example.org/paper.html")],
        "doi2022": [("DOI", "https://doi.org/10.1234/abc")],
        "arxivurl2021": [],
        "bare2020": [],
    }


@pytest.mark.parametrize(("style", "shown"), [("apa", "Dupont, J.-P."), ("ieee", "J.-P. Dupont")])
def test_a_hyphenated_given_name_is_highlighted_whole(style: str, shown: str) -> None:
    record = Record(key="dupont2020", type="article-journal", title="A paper",
                    author=(Person("Dupont", "Jean-Pierre"), Person("Lovelace", "Ada")), issued=Date(2020))
    (section,) = _read_page([record], PageOptions(members=(Member("Jean-Pierre Dupont"),)), style).sections
    (entry,) = section.entries
    assert shown in entry.text
    assert entry.members == [shown]


def test_only_plain_formatting_becomes_a_class_of_the_sheet() -> None:
    """A style attribute that could load anything or end the rule is dropped, not carried into
    the page's sheet (the policy forbids inline styles; the sheet is the only way in)."""
    from bibkit.exporters.htmlpage import _classes

    rules: dict[str, str] = {}
    fragment = ('<i style="font-style:italic">a</i><b style="background:url(https://x.example/t.png)">b</b>'
                '<span style="">c</span><span style="color:red}body{display:none">d</span>'
                '<i style="font-style:italic;">e</i><span style="font-variant:small-caps">f</span>')
    out = _classes(fragment, rules)
    assert set(rules) == {"font-style:italic", "font-variant:small-caps"}
    italic, caps = rules["font-style:italic"], rules["font-variant:small-caps"]
    assert italic != caps
    assert out == (f'<i class="{italic}">a</i><b>b</b><span>c</span><span>d</span>'
                   f'<i class="{italic}">e</i><span class="{caps}">f</span>')
