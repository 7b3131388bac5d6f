from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bibkit.cli import app

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "records"
TEST_RECORDS = Path(__file__).resolve().parent / "records"
SHARED = ROOT.parent / "shared"


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


def require_tool(name: str) -> str:
    """The real consumers are part of the test environment; missing one is a failure, not a skip."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run the README's test command, which installs it")
    return path
