"""Project configuration (bibkit.toml, [tool.bibkit]) and bibkit build; the pre-commit hooks,
the CI example in docs/ci.md, and the CLI's manners (stdout for data, stderr for errors, NO_COLOR)."""

from __future__ import annotations

import os
import pty
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bibkit.config import find_config, load_config
from bibkit.loader import load_library

from conftest import RECORDS, ROOT, TEST_RECORDS, bibkit

SHIPPED_OUTPUTS = [("bibtex", "dist/eleutherai.bib"), ("biblatex", "dist/eleutherai-biblatex.bib"),
                   ("csl-json", "dist/eleutherai.json"), ("text", "dist/eleutherai-apa.txt"),
                   ("html-page", "dist/publications.html")]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of this repository's configuration, with its records and styles, as the cwd."""
    (tmp_path / "records").symlink_to(RECORDS, target_is_directory=True)
    (tmp_path / "styles").symlink_to(ROOT / "styles", target_is_directory=True)
    (tmp_path / "bibkit.toml").write_bytes((ROOT / "bibkit.toml").read_bytes())
    monkeypatch.chdir(tmp_path)
    return tmp_path


LIGHT = """records = "records"
[[outputs]]
format = "bibtex"
path = "dist/refs.bib"
[[outputs]]
format = "csl-json"
path = "dist/refs.json"
"""


@pytest.fixture
def light(project: Path) -> Path:
    """The same project with two quick outputs (a formatted list takes citeproc-py a second)."""
    (project / "bibkit.toml").write_text(LIGHT)
    return project


def _export(fmt: str, *options: str) -> bytes:
    result = bibkit("export", "-f", fmt, "-r", RECORDS, *options)
    assert result.exit_code == 0, result.stderr
    return result.stdout.encode()


def test_the_shipped_configuration() -> None:
    config = load_config(ROOT / "bibkit.toml")
    assert config.records == ROOT / "records"
    assert [(o.format, o.path.relative_to(ROOT).as_posix()) for o in config.outputs] == SHIPPED_OUTPUTS
    assert config.key_pattern == "{family}{year}{firstword}"
    assert (config.rules, config.strict) == (("BK027", "BK050", "BK060"), False)


def test_build_writes_every_output_as_export_would_then_leaves_them_alone(project: Path) -> None:
    result = bibkit("build")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "".join(f"wrote {path}\n" for _, path in SHIPPED_OUTPUTS)
    assert result.stderr == ""
    for fmt, path in SHIPPED_OUTPUTS:
        assert (project / path).read_bytes() == _export(fmt, *(["--style", "apa"] if fmt == "text" else [])), path
    stamps = {path: (project / path).stat().st_mtime_ns for _, path in SHIPPED_OUTPUTS}
    again = bibkit("build")
    assert again.exit_code == 0
    assert again.stdout == "".join(f"unchanged {path}\n" for _, path in SHIPPED_OUTPUTS)
    assert {path: (project / path).stat().st_mtime_ns for _, path in SHIPPED_OUTPUTS} == stamps
    assert sorted(p.name for p in (project / "dist").iterdir()) == sorted(Path(p).name for _, p in SHIPPED_OUTPUTS)


def test_check_writes_nothing_and_fails_on_missing_or_stale_outputs(light: Path) -> None:
    missing = bibkit("build", "--check")
    assert missing.exit_code == 1
    assert missing.stdout == "missing dist/refs.bib\nmissing dist/refs.json\n"
    assert missing.stderr == ("bibkit: error: out of date: dist/refs.bib (missing), dist/refs.json (missing); "
                              "run bibkit build\n")
    assert not (light / "dist").exists()
    assert bibkit("build", "-q").exit_code == 0
    stale = light / "dist" / "refs.json"
    stale.write_text("[]\n")
    result = bibkit("build", "--check")
    assert (result.exit_code, result.stdout) == (1, "unchanged dist/refs.bib\nstale dist/refs.json\n")
    assert result.stderr == "bibkit: error: out of date: dist/refs.json (stale); run bibkit build\n"
    assert stale.read_text() == "[]\n"
    assert bibkit("build").stdout == "unchanged dist/refs.bib\nwrote dist/refs.json\n"
    assert bibkit("build", "--check").exit_code == 0


@pytest.mark.parametrize(("bad", "strict", "why"), [
    ("malformed-yaml.yaml", False, "a record cannot be read"),
    ("bad-date.yaml", True, "the records have errors (strict)"),
])
def test_a_blocking_finding_stops_the_build_before_anything_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str, strict: bool, why: str) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / bad).write_bytes((TEST_RECORDS / "bad" / bad).read_bytes())
    (records / "biderman2023pythia.yaml").write_bytes((RECORDS / "biderman2023pythia.yaml").read_bytes())
    (tmp_path / "bibkit.toml").write_text(("strict = true\n" if strict else "") +
                                          '[[outputs]]\nformat = "bibtex"\npath = "old.bib"\n'
                                          '[[outputs]]\nformat = "csl-json"\npath = "new.json"\n')
    (tmp_path / "old.bib").write_text("% the last good build\n")
    monkeypatch.chdir(tmp_path)
    result = bibkit("build")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"records/{bad}:" in result.stderr
    assert result.stderr.endswith(f"bibkit: error: {why}; nothing was built\n")
    assert (tmp_path / "old.bib").read_text() == "% the last good build\n"
    assert not (tmp_path / "new.json").exists()


def test_a_content_error_is_reported_and_the_build_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "bad-date.yaml").write_bytes((TEST_RECORDS / "bad" / "bad-date.yaml").read_bytes())
    (tmp_path / "bibkit.toml").write_text('[[outputs]]\nformat = "bibtex"\npath = "out.bib"\n')
    monkeypatch.chdir(tmp_path)
    result = bibkit("build")
    assert result.exit_code == 0, result.stderr
    assert "records/bad-date.yaml:5:9: error BK022 " in result.stderr
    assert "@misc{bad-date,\n" in (tmp_path / "out.bib").read_text()


def test_a_failing_output_stops_the_build_before_any_is_written(project: Path) -> None:
    (project / "bibkit.toml").write_text('[[outputs]]\nformat = "bibtex"\npath = "a.bib"\n'
                                         '[[outputs]]\nformat = "bibtex"\npath = "b.bib"\nkeys = ["nosuchkey"]\n')
    result = bibkit("build")
    assert result.exit_code == 2
    assert result.stderr == "bibkit: error: no record with key 'nosuchkey'\n"
    assert not (project / "a.bib").exists()


def test_selection_style_and_locale_per_output_match_the_export_command(project: Path) -> None:
    (project / "bibkit.toml").write_text("""
style = "ieee"
locale = "de-DE"
[[outputs]]
format = "bibtex"
path = "out/selected.bib"
years = "2023-2024"
authors = ["biderman"]
ascii = true
[[outputs]]
format = "markdown"
path = "out/tagged.md"
keys = ["biderman2023pythia", "peng2024yarn"]
[[outputs]]
format = "text"
path = "out/2021.txt"
years = 2021
style = "lab-publications"
locale = "en-GB"
[[outputs]]
format = "html-page"
path = "out/index.html"
""")
    assert bibkit("build", "-q").stdout == ""
    out = project / "out"
    assert (out / "selected.bib").read_bytes() == _export("bibtex", "--year", "2023-2024", "--author", "biderman",
                                                          "--ascii")
    assert (out / "tagged.md").read_bytes() == _export("markdown", "--style", "ieee", "--locale", "de-DE",
                                                       "-k", "biderman2023pythia", "-k", "peng2024yarn")
    assert (out / "2021.txt").read_bytes() == _export("text", "--style", "lab-publications", "--locale", "en-GB",
                                                      "--year", "2021")
    assert (out / "index.html").read_bytes() == _export("html-page", "--style", "ieee", "--locale", "de-DE")
    in_2021 = [r for r in load_library([RECORDS]).records if r.issued and r.issued.year == 2021]
    assert (out / "2021.txt").read_text().count("\n") == len(in_2021) > 0


def test_paths_and_project_styles_are_relative_to_the_configuration(project: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "bibkit.toml").write_text('[[outputs]]\nformat = "text"\nstyle = "lab-publications"\n'
                                         'path = "dist/list.txt"\n')
    elsewhere = project / "deep" / "er"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)  # found by walking up; no ./styles or ./records here
    result = bibkit("build")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "wrote ../../dist/list.txt\n"
    monkeypatch.chdir(ROOT)  # the export command finds the project style in ./styles
    assert (project / "dist" / "list.txt").read_bytes() == _export("text", "--style", "lab-publications")


def test_bibkit_toml_wins_over_pyproject_and_pyproject_is_read_otherwise(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.bibkit]\nrecords = "papers"\n')
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"
    assert load_config(tmp_path / "pyproject.toml").records == tmp_path / "papers"
    (tmp_path / "bibkit.toml").write_text('records = "refs"\n')
    assert find_config(tmp_path / "sub") == tmp_path / "bibkit.toml"
    assert load_config(tmp_path / "bibkit.toml").records == tmp_path / "refs"
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text('[project]\nname = "not bibkit"\n')
    assert find_config(other) == tmp_path / "bibkit.toml"  # a pyproject without [tool.bibkit] is passed over


def test_verbose_and_quiet(light: Path) -> None:
    verbose = bibkit("build", "-v")
    assert verbose.stderr == "bibkit: configuration bibkit.toml\n"
    size = (light / "dist" / "refs.bib").stat().st_size
    assert verbose.stdout.splitlines()[0] == f"wrote dist/refs.bib (bibtex, {len(list(RECORDS.glob('*.yaml')))} " \
                                             f"records, {size} bytes)"
    quiet = bibkit("build", "--quiet")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")


OUT = '[[outputs]]\nformat = "bibtex"\npath = "a.bib"\n'


@pytest.mark.parametrize(("text", "message"), [
    (OUT + OUT.replace("a.bib", "b.bib") + '[[outputs]]\nformat = "bibtx"\npath = "c.bib"\n',
     "outputs[2].format: unknown format 'bibtx'; did you mean 'bibtex'?"),
    ('recrods = "records"\n', "recrods: unknown key; did you mean 'records'?"),
    (OUT + 'tag = ["x"]\n', "outputs[0].tag: unknown key; did you mean 'tags'?"),
    ('[[outputs]]\nformat = "bibtex"\n', "outputs[0].path: missing"),
    (OUT + 'style = "apa"\n', "outputs[0].style: a bibtex output takes no style (only html, html-page, markdown, "
     "text do)"),
    ('[[outputs]]\nformat = "csl-json"\npath = "a.json"\nascii = true\n',
     "outputs[0].ascii: a csl-json output takes no ascii (only bibtex and biblatex do)"),
    (OUT + 'ascii = "yes"\n', "outputs[0].ascii: expected true or false, not a string"),
    ('style = "apaa"\n', "style: unknown style 'apaa'; did you mean apa"),
    ('locale = "en-XX"\n', "locale: unknown locale 'en-XX'; did you mean"),
    (OUT + 'years = "last year"\n',
     "outputs[0].years: expected 2023, \"2021-2023\", \"2021-\" or \"-2023\", not 'last year'"),
    (OUT + 'tags = [1]\n', "outputs[0].tags[0]: expected a string, not a number"),
    ('key-pattern = "{surname}{year}"\n', "key-pattern: key pattern '{surname}{year}' may use only"),
    (OUT + OUT.replace('"a.bib"', '"./a.bib"'), "outputs[1].path: './a.bib' is also outputs[0].path"),
    ("outputs = 3\n", "outputs: expected a list of tables ([[outputs]]), not a number"),
    ('rules = ["BK051"]\n', "rules[0]: unknown opt-in rule 'BK051' (known: BK027, BK050, BK060)"),
    ('strict = "yes"\n', "strict: expected true or false, not a string"),
    ('records = "records"\nrecords = "x"\n', "not valid TOML: "),
    ('[[outputs]]\nformat = "text"\npath = "a.txt"\nstyle = "no/such.csl"\n',
     "outputs[0].style: style file 'no/such.csl' does not exist"),
])
def test_configuration_errors_are_one_line_with_file_and_key(text: str, message: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bibkit.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    result = bibkit("build")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"bibkit: error: bibkit.toml: {message}"), result.stderr
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == [tmp_path / "bibkit.toml"]


def test_pyproject_errors_name_the_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.bibkit]\n[[tool.bibkit.outputs]]\nformat = "bibtx"\npath = "a"\n')
    result = bibkit("build", "--config", tmp_path / "pyproject.toml")
    assert result.stderr == (f"bibkit: error: {tmp_path / 'pyproject.toml'}: tool.bibkit.outputs[0].format: "
                             "unknown format 'bibtx'; did you mean 'bibtex'?\n")
    (tmp_path / "pyproject.toml").write_text('[tool.bibkit]\nrecords = "papers"\n')
    assert bibkit("build", "--config", tmp_path / "pyproject.toml").stderr == (
        f"bibkit: error: {tmp_path / 'pyproject.toml'}: tool.bibkit.records: {str(tmp_path / 'papers')!r} "
        "does not exist\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    result = bibkit("build", "-c", tmp_path / "pyproject.toml")
    assert (result.exit_code, result.stderr) == (2, f"bibkit: error: {tmp_path / 'pyproject.toml'}: "
                                                    "no [tool.bibkit] table\n")


def test_missing_configuration_records_or_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert bibkit("build", "-c", "nope.toml").stderr == "bibkit: error: nope.toml: no such file\n"
    (tmp_path / "bibkit.toml").write_text(OUT)
    assert bibkit("build").stderr == f"bibkit: error: bibkit.toml: records: {str(tmp_path / 'records')!r} " \
                                     "does not exist\n"
    (tmp_path / "records").write_text("")
    assert bibkit("build").stderr.endswith("records' is not a directory\n")
    (tmp_path / "records").unlink()
    (tmp_path / "records").mkdir()
    (tmp_path / "bibkit.toml").write_text('records = "records"\n')
    result = bibkit("build")
    assert (result.exit_code, result.stderr) == (
        2, "bibkit: error: bibkit.toml: outputs: none configured; add an [[outputs]] table\n")
    (tmp_path / "bibkit.toml").unlink()
    result = bibkit("build")
    assert result.exit_code == 2 and result.stderr.startswith("bibkit: error: no configuration: found no bibkit.toml")


# --- pre-commit hooks and the CI example ----------------------------------------------------


def _hooks() -> dict[str, dict[str, object]]:
    return {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def _bibkit_args(command: str) -> list[str]:
    words = shlex.split(command)
    assert words[0] == "bibkit", command
    return words[1:]


@pytest.mark.slow
def test_pre_commit_hooks_run_bibkit_and_fail_when_they_should(light: Path) -> None:
    hooks = _hooks()
    assert set(hooks) == {"bibkit-validate", "bibkit-build-check"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert re.search(str(hook["files"]), "records/biderman2023pythia.yaml")
    assert re.search(str(hooks["bibkit-build-check"]["files"]), "bibkit.toml")
    validate = _bibkit_args(str(hooks["bibkit-validate"]["entry"]))
    build_check = _bibkit_args(str(hooks["bibkit-build-check"]["entry"]))
    assert bibkit(*validate).exit_code == 0
    assert bibkit(*build_check).exit_code == 1  # outputs not built yet
    assert bibkit("build").exit_code == 0
    assert bibkit(*build_check).exit_code == 0
    bad = light / "bad"
    bad.mkdir()
    (bad / "bad-date.yaml").write_bytes((TEST_RECORDS / "bad" / "bad-date.yaml").read_bytes())
    assert bibkit(*validate, "bad").exit_code == 1


@pytest.mark.slow
def test_the_ci_example_runs(project: Path) -> None:
    text = (ROOT / "docs" / "ci.md").read_text()
    workflow = yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))  # type: ignore[union-attr]
    runs = [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]
    commands = [line for run in runs for line in run.splitlines() if line.startswith("bibkit ")]
    assert "bibkit validate --format github" in commands
    for command in commands:
        result = bibkit(*_bibkit_args(command))
        assert result.exit_code == 0, (command, result.stdout, result.stderr)
    assert (project / "dist" / "eleutherai.bib").is_file()


# --- manners ----------------------------------------------------------------------------------


def _help_on_a_terminal(env_extra: dict[str, str]) -> bytes:
    """``bibkit --help`` with its output on a pseudo-terminal, where rich would colour it."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    env.update(env_extra, TERM="xterm-256color", COLUMNS="100")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "bibkit", "--help"], stdout=follower, stderr=follower,
                              env=env, timeout=60, check=False)
    finally:
        os.close(follower)
    out = b""
    try:
        while chunk := os.read(leader, 65536):
            out += chunk
    except OSError:  # EIO: the terminal's other end is closed, everything has been read
        pass
    finally:
        os.close(leader)
    assert proc.returncode == 0
    return out


def _colours(output: bytes) -> list[bytes]:
    """SGR colour parameters (30-38, 40-48, 90-97, 100-107); bold and the like are not colour."""
    params = b";".join(re.findall(rb"\x1b\[([0-9;]*)m", output)).split(b";")
    return [p for p in params if p and (30 <= int(p) <= 48 or 90 <= int(p) <= 107)]


def test_help_has_no_colour_under_no_color() -> None:
    # The detector finds what rich writes for coloured help ("Usage:" in bold yellow).
    assert _colours(b"\x1b[1;33mUsage: \x1b[0m\x1b[1mbibkit\x1b[0m") == [b"33"]
    out = _help_on_a_terminal({"NO_COLOR": "1"})
    assert b"Usage:" in out and b"build" in out
    assert _colours(out) == []


@pytest.mark.slow
def test_data_on_stdout_errors_on_stderr_and_no_escapes_when_piped() -> None:
    proc = subprocess.run([sys.executable, "-m", "bibkit", "export", "-f", "bibtex", "-r", str(RECORDS),
                           "-k", "biderman2023pythia"], capture_output=True, check=False, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith(b"@inproceedings{biderman2023pythia,") and proc.stderr == b""
    proc = subprocess.run([sys.executable, "-m", "bibkit", "build", "-c", "no/such.toml"], capture_output=True,
                          check=False, timeout=60)
    assert (proc.returncode, proc.stdout) == (2, b"")
    assert proc.stderr == b"bibkit: error: no/such.toml: no such file\n"
    help_text = subprocess.run([sys.executable, "-m", "bibkit", "build", "--help"], capture_output=True,
                               check=False, timeout=60).stdout
    assert b"\x1b[" not in help_text and b"--check" in help_text
