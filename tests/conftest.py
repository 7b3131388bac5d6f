from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from bibkit.cli import app

# No wall-clock limit in any property test: Hypothesis's per-example deadline (200 ms) and its
# too-slow health check fail a correct test on a loaded machine.
settings.register_profile("bibkit", deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Under mutation testing (make mutation: mutmut sets MUTANT_UNDER_TEST), each example costs every
# mutant's run: fewer, the same each time, and none replayed from another run's database.
settings.register_profile("mutation", parent=settings.get_profile("bibkit"), max_examples=30, derandomize=True,
                          database=None)
settings.load_profile("mutation" if os.environ.get("MUTANT_UNDER_TEST") else "bibkit")

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "records"
TEST_RECORDS = Path(__file__).resolve().parent / "records"
# Real-world test material (recorded arXiv answers, the CSL-JSON schema, messy .bib and CSL-JSON
# files), copied from the project's shared material with its SOURCES.md (origins and licences).
REALWORLD = Path(__file__).resolve().parent / "data" / "realworld"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


def bibkit(*args: str | Path) -> Run:
    """Run the CLI in-process, as the console script would."""
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def run() -> object:
    return bibkit


def count_splits(monkeypatch: pytest.MonkeyPatch, where: object) -> list[bool]:
    """Whether each call of ``bibkit.fanout.fanout``, as the module ``where`` calls it, split
    its work among forked workers (a test of the same result with and without workers must
    see that the workers ran)."""
    from bibkit import fanout

    splits: list[bool] = []
    real = fanout.fanout

    def counted(*args: Any, **kwargs: Any) -> Any:
        done = real(*args, **kwargs)
        splits.append(done is not None)
        return done

    monkeypatch.setattr(where, "fanout", counted)
    return splits


def traced_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement the record store runs from here on, in order (a test of what a run
    reads must see its queries)."""
    from bibkit.libcache import Store

    statements: list[str] = []
    connect = Store._connect

    def traced(self: Store, path: Path) -> Any:
        db = connect(self, path)
        db.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr(Store, "_connect", traced)
    return statements


def require_tool(name: str) -> str:
    """The real consumers are part of the test environment; missing one is a failure, not a skip."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run the README's test command, which installs it")
    return path


@pytest.fixture(autouse=True)
def no_network_beyond_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test talks to anything but 127.0.0.1: a connection elsewhere fails the test."""
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None:
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise AssertionError(f"test tried to reach {address!r}: only 127.0.0.1 is allowed")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def arxiv_server() -> Iterator[object]:
    from arxiv_server import FakeArxiv, recorded_entries

    api = REALWORLD / "arxiv-api"
    with FakeArxiv((api / "2026_error_http400_id_list-abc.xml").read_bytes()) as server:
        for recorded in sorted(api.glob("*.xml")):
            server.entries.update(recorded_entries(recorded))
        yield server


@pytest.fixture
def arxiv_env(arxiv_server: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """The CLI pointed at the loopback server, with no delay and a fresh cache."""
    monkeypatch.setenv("BIBKIT_ARXIV_URL", arxiv_server.url)  # type: ignore[attr-defined]
    monkeypatch.setenv("BIBKIT_ARXIV_DELAY", "0")
    monkeypatch.setenv("BIBKIT_CACHE_DIR", str(tmp_path / "cache"))
    return arxiv_server


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under mutation testing, each mutant's run is forked from a process that has run the whole
    suite: what bibkit's functions memoised there would answer for the mutant's code. Forget it."""
    if os.environ.get("MUTANT_UNDER_TEST"):
        import functools
        import gc

        for cached in [o for o in gc.get_objects() if isinstance(o, functools._lru_cache_wrapper)]:
            if getattr(cached, "__module__", "").startswith("bibkit"):
                cached.cache_clear()


# A test marked ``engine_source`` watches the CSL engine from inside: it replaces a method with a
# spy, or reads what a method left behind. The compiled engine (setup.py) calls its methods
# directly, past any replacement, so such a test would see nothing there, and pass or fail for
# that alone. Where the engine runs compiled, these tests run from its source instead
# (``BIBKIT_PURE``: bibkit/exporters/csl/native.py), all in one process of their own, and each
# reports here what it did there; tests/test_native.py holds the compiled engine to the source.
_from_source: dict[str, tuple[str, str]] | None = None


def _source_outcomes(session: pytest.Session) -> dict[str, tuple[str, str]]:
    """{node id: (outcome, what it printed)} of every ``engine_source`` test, run once."""
    import subprocess
    import sys
    import tempfile
    import xml.etree.ElementTree as ET

    global _from_source
    if _from_source is not None:
        return _from_source
    nodes = [item.nodeid for item in session.items if item.get_closest_marker("engine_source")]
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.xml"
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                               *nodes], cwd=session.config.rootpath, env={**os.environ, "BIBKIT_PURE": "1"},
                              capture_output=True, text=True, check=False)
        outcomes: dict[str, tuple[str, str]] = {}
        if report.exists():
            for case in ET.parse(report).iter("testcase"):
                node = case.get("classname", "").replace(".", "/") + ".py::" + case.get("name", "")
                problem = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
                outcomes[node] = ("passed", "") if problem is None else (problem.tag, problem.text or "")
    _from_source = {node: outcomes.get(node, ("not run", done.stdout[-4000:] + done.stderr[-4000:]))
                    for node in nodes}
    return _from_source


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if pyfuncitem.get_closest_marker("engine_source") is None or os.environ.get("BIBKIT_PURE"):
        return None
    import bibkit.exporters.csl as csl

    if not csl.COMPILED:
        return None
    outcome, printed = _source_outcomes(pyfuncitem.session)[pyfuncitem.nodeid]
    if outcome != "passed":
        pytest.fail(f"run from the CSL engine's source (BIBKIT_PURE=1): {outcome}\n{printed}", pytrace=False)
    return True


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has its own cache directory: no test reads what another left, nor the user's."""
    root = tmp_path_factory.mktemp("bibkit-cache")
    monkeypatch.setenv("BIBKIT_CACHE_DIR", str(root))
    return root
