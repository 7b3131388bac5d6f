"""The publications page (``export --format html-page``), loaded in a real headless Chromium.

The browser is driven over the DevTools protocol through ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-separated JSON): no port is opened and no client library is needed.
Every console message, log entry, uncaught exception, JavaScript dialog and network request the
page causes is recorded, so "loads cleanly" and "asks nothing of the network" are measured.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
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
from pathlib import Path
from typing import Any

import pytest

from bibkit.export import export
from bibkit.load import load_library
from bibkit.model import Record
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

    def open(self, url: str, *, javascript: bool = True, width: int = 1100, height: int = 900) -> Page:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = self._pages[session] = Page(self, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1, "mobile": False})
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


def test_page_loads_cleanly_with_one_entry_per_record_newest_year_first(browser: Browser, page_file: Path) -> None:
    page = browser.open(page_file.as_uri())
    _assert_clean(page, page_file)
    records = {r.key: r for r in _records()}
    assert sorted(page.visible()) == sorted(records)
    assert page.js("document.getElementById('filter').offsetParent !== null")  # the script showed the filter
    sections = page.js("Array.from(document.querySelectorAll('section.year')).map(s => "
                       "[s.querySelector('h2').textContent, Array.from(s.querySelectorAll('li.entry'))"
                       ".map(e => e.id.slice(4))])")
    years = [int(heading) for heading, _ in sections]
    assert years == sorted({r.issued.year for r in records.values() if r.issued}, reverse=True)
    for heading, keys in sections:
        assert {records[k].issued.year for k in keys} == {int(heading)}  # type: ignore[union-attr]
    assert page.js("document.getElementById('count').textContent") == \
        f"{len(records)} publications, {min(years)}–{max(years)}"


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
    assert page.js("Array.from(document.querySelectorAll('section.year')).filter(s => s.offsetParent !== null)"
                   ".map(s => s.id)") == ["y2024"]
    page.type("no such paper anywhere")
    assert page.visible() == []
    assert page.js("document.getElementById('none').offsetParent !== null")
    page.type("")
    assert len(page.visible()) == len(records)
    assert page.js("location.hash") == ""
    assert page.problems() == []


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


def test_screenshot(browser: Browser, page_file: Path, tmp_path: Path) -> None:
    """A picture of the page as a reader sees it; BIBKIT_UPDATE_SCREENSHOT=1 refreshes the one in docs/."""
    page = browser.open(page_file.as_uri(), width=1000, height=1300)
    page.js("document.fonts.ready.then(() => true)")
    shot = base64.b64decode(page.call("Page.captureScreenshot", {"format": "png"})["data"])
    assert _png_size(shot) == (1000, 1300)
    assert len(shot) > 50_000  # a page of text, not a blank
    (tmp_path / "publication-page.png").write_bytes(shot)
    if os.environ.get("BIBKIT_UPDATE_SCREENSHOT") == "1":
        (ROOT / "docs" / "publication-page.png").write_bytes(shot)


def test_the_command_writes_the_same_bytes_each_time(page_file: Path, tmp_path: Path) -> None:
    for _ in range(2):
        result = bibkit("export", "-f", "html-page", "-r", RECORDS, "-o", tmp_path / "page.html")
        assert result.exit_code == 0, result.stderr
        assert (tmp_path / "page.html").read_bytes() == page_file.read_bytes()
