from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_export_reports_a_content_error_and_writes_the_entry_unless_strict(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "bad-date.yaml").write_bytes((BAD / "bad-date.yaml").read_bytes())
    out = tmp_path / "refs.bib"
    result = bibkit("export", "--format", "bibtex", "--records", records, "-o", out)
    assert result.exit_code == 0
    assert f"{records / 'bad-date.yaml'}:5:9: error BK022 " in result.stderr
    entry = out.read_text()
    assert entry.startswith("@") and "year" not in entry  # the date it cannot read is left out
    strict = bibkit("export", "--format", "bibtex", "--records", records, "-o", tmp_path / "s.bib", "--strict")
    assert strict.exit_code == 1 and " BK022 " in strict.stderr
    assert not (tmp_path / "s.bib").exists()
    (tmp_path / "bibkit.toml").write_text('records = "records"\nstrict = true\n')
    configured = bibkit("export", "-f", "bibtex", "-c", tmp_path / "bibkit.toml", "-o", tmp_path / "c.bib")
    assert configured.exit_code == 1 and not (tmp_path / "c.bib").exists()


def test_export_refuses_a_record_it_cannot_read_and_writes_nothing(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "malformed-yaml.yaml").write_bytes((BAD / "malformed-yaml.yaml").read_bytes())
    (records / "ok.yaml").write_text("type: book\ntitle: Fine\nauthor: [A B]\nissued: 2001\n")
    out = tmp_path / "refs.bib"
    result = bibkit("export", "--format", "bibtex", "--records", records, "-o", out)
    assert result.exit_code == 1
    assert result.stderr.endswith("bibkit: error: a record cannot be read; nothing was exported\n")
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


@pytest.mark.slow
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


def _project(tmp_path: Path, config: str) -> Path:
    """A project whose records are not in records/: two shipped records in papers/."""
    (tmp_path / "papers").mkdir()
    for key in ("biderman2023pythia", "belrose2023eliciting"):
        (tmp_path / "papers" / f"{key}.yaml").write_bytes((RECORDS / f"{key}.yaml").read_bytes())
    (tmp_path / "bibkit.toml").write_text(config)
    return tmp_path


def test_validate_and_export_honour_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path, 'records = "papers"\nstyle = "ieee"\n')
    (project / "papers" / "broken2023.yaml").write_bytes((BAD / "bad-date.yaml").read_bytes())
    monkeypatch.chdir(project / "papers")  # the configuration is found from below, too
    result = bibkit("validate")
    assert result.exit_code == 1
    assert result.stdout.startswith("broken2023.yaml:") and " BK022 " in result.stdout
    (project / "papers" / "broken2023.yaml").unlink()
    assert bibkit("validate").exit_code == 0
    listing = bibkit("export", "-f", "text")
    assert listing.exit_code == 0, listing.stderr
    assert listing.stdout.startswith("[1] ")  # IEEE, from the configuration; APA has no numbers
    assert bibkit("export", "-f", "text", "--style", "apa").stdout.startswith("Belrose, N.")


def test_an_explicit_configuration_and_verbose_name_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path, 'records = "papers"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = bibkit("validate", "-v", "--config", project / "bibkit.toml")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [f"bibkit: configuration {project / 'bibkit.toml'}",
                                          "bibkit: 2 record file(s) checked: 0 error(s), 0 warning(s)"]
    assert bibkit("validate", "-q", "--config", project / "bibkit.toml").stderr == ""


def test_every_command_offers_quiet_verbose_debug_and_config() -> None:
    from bibkit.cli import app

    for command in app.registered_commands:
        name = command.name or command.callback.__name__  # type: ignore[union-attr]
        shown = bibkit(name.rstrip("_"), "--help").stdout
        for option in ("--quiet", "--verbose", "--debug", "--config"):
            assert option in shown, (name, option)


def test_a_run_builds_only_the_command_it_names() -> None:
    """``main`` hands typer an app with the one command the run names (typer builds every command
    it holds before parsing); the help, an option before the command, a misspelt command and
    shell completion get the whole app, which says what there is."""
    import typer.main

    from bibkit.cli import _app_for, app

    for name in ("validate", "export", "import", "build"):
        group = typer.main.get_command(_app_for([name, "--help"], {}))
        assert list(group.commands) == [name]  # type: ignore[attr-defined]
        assert [p.name for p in group.params] == [p.name for p in typer.main.get_command(app).params]
    everything = [info.name or info.callback.__name__ for info in app.registered_commands]  # type: ignore[union-attr]
    assert len(everything) > 1
    for first in ([], ["--help"], ["--version"], ["exprt"]):
        assert _app_for(first, {}) is app
    assert _app_for(["export"], {"_BIBKIT_COMPLETE": "bash_complete"}) is app


def test_the_command_line_says_the_same_through_main_and_the_whole_app(tmp_path: Path) -> None:
    """What a user sees comes from ``main``: its help and its usage errors are the whole app's."""
    probe = "import sys; sys.argv[0] = 'bibkit'; from bibkit.cli import {}; {}()"
    for args in (["export", "--help"], ["export", "-f", "nope"], ["validate", "--bogus"], ["exprt"]):
        seen = [subprocess.run([sys.executable, "-c", probe.format(f, f), *args], capture_output=True, text=True,
                               check=False, cwd=tmp_path) for f in ("main", "app")]
        assert seen[0].returncode == seen[1].returncode != 0 or args[-1] == "--help"
        assert (seen[0].stdout, seen[0].stderr) == (seen[1].stdout, seen[1].stderr) != ("", "")


def test_output_into_a_missing_directory_is_created(tmp_path: Path) -> None:
    out = tmp_path / "build" / "bib" / "refs.bib"
    result = bibkit("export", "-f", "bibtex", "-r", RECORDS, "-o", out)
    assert (result.exit_code, result.stderr) == (0, "")
    assert out.read_bytes().startswith(b"@")
    assert [p.name for p in out.parent.iterdir()] == ["refs.bib"]


def test_an_empty_selection_or_collection_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "refs.bib"
    result = bibkit("export", "-f", "bibtex", "-r", RECORDS, "--tag", "nosuchtag", "-o", out)
    assert result.exit_code == 2
    assert result.stderr == f"bibkit: error: no record in {RECORDS} matches the selection; nothing was exported\n"
    assert not out.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    for command in (["validate", str(empty)], ["export", "-f", "bibtex", "-r", str(empty)]):
        result = bibkit(*command)
        assert (result.exit_code, result.stderr) == (2, f"bibkit: error: {empty}: no record files (*.yaml)\n")


@pytest.mark.parametrize(("args", "message"), [
    (["-f", "bibtex", "--style", "ieee"], "--style applies to html, html-page, markdown, text; a bibtex export "
                                          "takes none"),
    (["-f", "csl-json", "--locale", "de-DE"], "--locale applies to html, html-page, markdown, text; a csl-json "
                                              "export takes none"),
    (["-f", "text", "--ascii"], "--ascii applies to bibtex and biblatex; a text export takes none"),
])
def test_an_option_the_format_does_not_take_is_an_error(args: list[str], message: str) -> None:
    result = bibkit("export", "-r", RECORDS, *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"bibkit: error: {message}\n")


def test_a_reader_that_stops_reading_gets_one_line_and_exit_2(tmp_path: Path) -> None:
    """bibkit export | head: the closed pipe is an I/O error like any other, said in one line."""
    records = tmp_path / "records"
    records.mkdir()
    for i in range(1500):
        (records / f"a{i:04d}x.yaml").write_text(f"type: book\ntitle: Book {i}\nauthor: [Ada Lovelace]\nissued: 2020\n")
    env = {"BIBKIT_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    child = subprocess.Popen([sys.executable, "-m", "bibkit", "export", "-f", "bibtex", "-r", str(records)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.read(10) == b"@book{a000"
    child.stdout.close()
    with child.stderr:
        stderr = child.stderr.read().decode()
    assert child.wait() == 2
    assert stderr.startswith("bibkit: error: ") and stderr.count("\n") == 1 and "error::" not in stderr
