"""The Python API: bibkit.load / validate / export, whichever of bibkit's modules is loaded first."""

from __future__ import annotations

import subprocess
import sys

import pytest

import bibkit
from bibkit.diagnostics import BibkitError

from conftest import RECORDS, TEST_RECORDS
from conftest import bibkit as cli


def test_load_validate_export_match_the_cli() -> None:
    library = bibkit.load(RECORDS)
    assert len(library.records) == 39
    assert bibkit.validate(library) == []
    assert bibkit.export(library.records, "bibtex").decode() == cli("export", "-f", "bibtex", "-r", RECORDS).stdout
    ieee = bibkit.export(library.records, "text", style="ieee").decode()
    assert ieee == cli("export", "-f", "text", "--style", "ieee", "-r", RECORDS).stdout


def test_validate_returns_findings_with_positions() -> None:
    found = bibkit.validate(bibkit.load(TEST_RECORDS / "bad" / "unknown-field.yaml"))
    assert [(d.code, d.line, d.col) for d in found] == [("BK010", 6, 1)]


def test_unknown_format() -> None:
    with pytest.raises(BibkitError, match="unknown format 'bibtx'"):
        bibkit.export([], "bibtx")


def test_the_names_work_in_a_fresh_process_whatever_is_imported_first() -> None:
    code = ("import bibkit.export, bibkit.load, bibkit.validate, bibkit\n"
            f"lib = bibkit.load({str(RECORDS)!r})\n"
            "assert bibkit.validate(lib) == []\n"
            "assert bibkit.export(lib.records, 'csl-json').startswith(b'[')\n")
    subprocess.run([sys.executable, "-c", code], check=True)
