from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import RECORDS, TEST_RECORDS, bibkit

BAD = TEST_RECORDS / "bad"


def test_usage_error_exits_2() -> None:
    result = bibkit("validate", "no/such/dir")
    assert result.exit_code == 2
    assert result.stderr == "bibkit: error: no/such/dir: no such file or directory\n"


def test_unknown_option_exits_2() -> None:
    assert bibkit("validate", "--format", "xml").exit_code == 2


def test_json_report() -> None:
    result = bibkit("validate", "--format", "json", BAD / "unknown-field.yaml")
    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)
    assert finding == {"path": str(BAD / "unknown-field.yaml"), "line": 6, "col": 1,
                       "severity": "error", "code": "BK010",
                       "message": "unknown field 'titel'; did you mean 'title'?"}


def test_github_report() -> None:
    result = bibkit("validate", "--format", "github", BAD / "unknown-field.yaml")
    assert result.stdout == (
        f"::error file={BAD / 'unknown-field.yaml'},line=6,col=1,title=BK010::"
        "unknown field 'titel'; did you mean 'title'?\n")


def test_ignore_drops_a_code() -> None:
    result = bibkit("validate", "--ignore", "BK050", BAD / "no-arxiv-reason.yaml")
    assert (result.exit_code, result.stdout) == (0, "")


def test_export_refuses_records_with_errors_and_writes_nothing(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "bad-date.yaml").write_bytes((BAD / "bad-date.yaml").read_bytes())
    out = tmp_path / "refs.bib"
    result = bibkit("export", "--format", "bibtex", "--records", records, "-o", out)
    assert result.exit_code == 1
    assert " BK022 " in result.stderr
    assert not out.exists()


def test_export_leaves_an_unchanged_file_alone(tmp_path: Path) -> None:
    out = tmp_path / "refs.bib"
    assert bibkit("export", "-f", "bibtex", "-r", RECORDS, "-o", out).exit_code == 0
    before = out.stat().st_mtime_ns
    out_bytes = out.read_bytes()
    assert bibkit("export", "-f", "bibtex", "-r", RECORDS, "-o", out).exit_code == 0
    assert out.stat().st_mtime_ns == before
    assert out.read_bytes() == out_bytes
    assert list(tmp_path.iterdir()) == [out]  # no temporary files left behind


def test_export_selects_keys() -> None:
    result = bibkit("export", "-f", "bibtex", "-r", RECORDS, "--key", "biderman2023pythia")
    assert result.exit_code == 0
    assert result.stdout.count("@") == 1 and "{biderman2023pythia," in result.stdout
    missing = bibkit("export", "-f", "bibtex", "-r", RECORDS, "--key", "nope")
    assert missing.exit_code == 2 and "no record with key 'nope'" in missing.stderr


def test_console_script_runs_and_never_prints_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    proc = subprocess.run([sys.executable, "-m", "bibkit", "validate", str(bad)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout.startswith(f"{bad}:1:1: error BK002 ")


def test_help_teaches() -> None:
    for command in ("validate", "export", "import", "styles"):
        result = bibkit(command, "--help")
        assert result.exit_code == 0
        assert "Example" in result.stdout, command
    assert bibkit("--version").stdout.startswith("bibkit ")
