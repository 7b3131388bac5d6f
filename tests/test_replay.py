"""Replays (bibkit.replay): a command's output written again, without running it, exactly while
nothing it read has changed; never otherwise, and never from a damaged or foreign file."""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bibkit import replay
from bibkit.exporters.citeproc import resolve_style

from conftest import RECORDS

ARGV = ("bibkit", "export", "-f", "text")


class Streams:
    """sys.stdout and sys.stderr writing into one log, so that both their order and which
    stream wrote what show: ``taken`` reads ``[out]`` or ``[err]`` before each stream's turn."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, encoding: str = "utf-8", errors: str = "strict") -> None:
        self.log: list[tuple[bytes, bytes]] = []
        self.out, self.err = (io.TextIOWrapper(_Tagged(self.log, tag), encoding=encoding, errors=errors,
                                               write_through=True) for tag in (b"[out]", b"[err]"))
        self._monkeypatch = monkeypatch

    def install(self) -> None:
        """(In the test itself: pytest sets its own capture when the test's call begins.)"""
        self._monkeypatch.setattr(sys, "stdout", self.out)
        self._monkeypatch.setattr(sys, "stderr", self.err)

    def taken(self) -> bytes:
        for stream in (self.out, self.err):
            stream.flush()
        shown, last = b"", b""
        for tag, data in self.log:
            shown += (b"" if tag == last else tag) + data
            last = tag
        self.log.clear()
        return shown


class _Tagged(io.BufferedIOBase):
    """A stream's bytes, unbuffered, into the shared log."""

    def __init__(self, log: list[tuple[bytes, bytes]], tag: bytes) -> None:
        self.log, self.tag, self.tty = log, tag, False

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.tty

    def write(self, data: object) -> int:
        chunk = bytes(data)  # type: ignore[call-overload]
        self.log.append((self.tag, chunk))
        return len(chunk)


@pytest.fixture
def streams(monkeypatch: pytest.MonkeyPatch) -> Streams:
    # A file made by the test just now is no older than the real RACY_NS; its own test uses it.
    monkeypatch.setattr(replay, "RACY_NS", 0)
    return Streams(monkeypatch)


@pytest.fixture
def inputs(tmp_path: Path) -> list[str]:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "a.yaml").write_text("title: A\n")
    time.sleep(0.01)  # (file times are of a coarser clock than time.time_ns)
    return [str(folder), str(folder / "a.yaml"), str(tmp_path / "bibkit.toml")]


def record(paths: list[str], argv: tuple[str, ...] = ARGV, *, keep: bool = True, status: int = 0) -> bool:
    """A command that names ``paths`` and writes to both streams, text and bytes, in turn."""
    with replay.Recording(argv, os.environ) as recording:
        recording.depends(paths)
        sys.stdout.write("Biderman, S. (2023).\n")
        sys.stderr.write("records/a.yaml:1:1: warning BK023 é\n")
        sys.stdout.buffer.write(b"bytes \xc3\xa9\n")
        sys.stderr.writelines(["lines ", "of text\n"])
        sys.stdout.buffer.writelines([b"lines ", b"of bytes\n"])
        sys.stdout.write("last\n")
        sys.stdout.flush()
        sys.stderr.buffer.flush()
        return recording.keep(status) if keep else False


def test_a_kept_output_is_written_again_in_its_order(streams: Streams, inputs: list[str]) -> None:
    streams.install()
    assert record(inputs)
    original = streams.taken()
    assert original == ("[out]Biderman, S. (2023).\n[err]records/a.yaml:1:1: warning BK023 é\n[out]bytes é\n"
                        "[err]lines of text\n[out]lines of bytes\nlast\n").encode()
    assert replay.answer(ARGV, os.environ) == 0
    assert streams.taken() == original
    assert replay.answer(ARGV, os.environ) == 0  # (as often as asked)
    assert streams.taken() == original


def test_the_exit_status_is_kept(streams: Streams, inputs: list[str]) -> None:
    streams.install()
    assert record(inputs, status=1)
    original = streams.taken()
    assert replay.answer(ARGV, os.environ) == 1
    assert streams.taken() == original


def test_the_streams_are_given_back(streams: Streams, inputs: list[str]) -> None:
    streams.install()
    record(inputs)
    assert (sys.stdout, sys.stderr) == (streams.out, streams.err)
    with pytest.raises(KeyError), replay.Recording(ARGV, os.environ):
        raise KeyError("a failed command")
    assert (sys.stdout, sys.stderr) == (streams.out, streams.err)


def _edit(paths: list[str]) -> None:
    Path(paths[1]).write_text("title: B\n")  # the same size


def _edit_keeping_the_time(paths: list[str]) -> None:
    before = os.stat(paths[1])
    Path(paths[1]).write_text("title: B\n")
    os.utime(paths[1], ns=(before.st_atime_ns, before.st_mtime_ns))


def _add_record(paths: list[str]) -> None:
    Path(paths[0], "b.yaml").write_text("title: B\n")


def _add_config(paths: list[str]) -> None:
    Path(paths[2]).write_text('style = "ieee"\n')


def _remove(paths: list[str]) -> None:
    os.unlink(paths[1])


def _replace(paths: list[str]) -> None:
    Path(paths[1] + ".new").write_text("title: A\n")
    os.replace(paths[1] + ".new", paths[1])


@pytest.mark.parametrize("change", [_edit, _edit_keeping_the_time, _add_record, _add_config, _remove, _replace])
def test_any_change_of_an_input_is_a_miss(streams: Streams, inputs: list[str],
                                           change: Callable[[list[str]], None]) -> None:
    streams.install()
    assert record(inputs)
    streams.taken()
    change(inputs)
    assert replay.answer(ARGV, os.environ) is None
    assert streams.taken() == b""


def test_another_command_line_environment_or_folder_is_a_miss(streams: Streams, inputs: list[str],
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    streams.install()
    assert record(inputs)
    streams.taken()
    assert replay.answer((*ARGV, "--style", "ieee"), os.environ) is None
    assert replay.answer(ARGV[:-1], os.environ) is None
    assert replay.answer(ARGV, {**os.environ, "BIBKIT_STRICT_SOMETHING": "1"}) is None
    monkeypatch.chdir(tmp_path)
    assert replay.answer(ARGV, os.environ) is None
    assert streams.taken() == b""


def test_a_terminal_where_there_was_none_is_another_command(streams: Streams, inputs: list[str]) -> None:
    streams.install()
    assert record(inputs)
    streams.taken()
    for stream in (streams.out, streams.err):
        stream.buffer.tty = True  # type: ignore[attr-defined]
        assert replay.answer(ARGV, os.environ) is None
        stream.buffer.tty = False  # type: ignore[attr-defined]
    assert replay.answer(ARGV, os.environ) == 0


def test_arguments_never_pass_for_the_environment(streams: Streams, inputs: list[str],
                                                  isolated_cache: Path) -> None:
    """An argument that reads like a variable is not that variable: the key counts the arguments.
    (The variable sorts first in this environment, so that it would follow the arguments.)"""
    streams.install()
    environ = {"BIBKIT_CACHE_DIR": str(isolated_cache)}
    with replay.Recording((*ARGV, "AA_REPLAY=1"), environ) as recording:
        recording.depends(inputs)
        sys.stdout.write("x\n")
        assert recording.keep()
    assert replay.answer(ARGV, {"AA_REPLAY": "1", **environ}) is None
    assert replay.answer((*ARGV, "AA_REPLAY=1"), environ) == 0


def test_an_argument_that_is_no_text_is_replayed(streams: Streams, inputs: list[str]) -> None:
    """A file name that is not UTF-8 reaches Python as a str with surrogates (PEP 383)."""
    streams.install()
    argv = (*ARGV, "-r", os.fsdecode(b"records-\xff"))
    assert record(inputs, argv)
    original = streams.taken()
    assert replay.answer(argv, os.environ) == 0
    assert streams.taken() == original


def round_trip(streams: Streams, inputs: list[str], command: Callable[[], object]) -> bytes:
    """What ``command`` wrote, kept, and checked to come back the same from its replay."""
    with replay.Recording(ARGV, os.environ) as recording:
        recording.depends(inputs)
        command()
        assert recording.keep()
    original = streams.taken()
    assert replay.answer(ARGV, os.environ) == 0
    assert streams.taken() == original
    return original


def test_short_turns_of_each_stream_stay_apart(streams: Streams, inputs: list[str]) -> None:
    streams.install()

    def command() -> None:
        for out, text in ((True, "a"), (True, "b"), (False, "c"), (False, "d")):
            (sys.stdout if out else sys.stderr).write(text)

    assert round_trip(streams, inputs, command) == b"[out]ab[err]cd"


def test_a_command_that_wrote_nothing_is_replayed_as_nothing(streams: Streams, inputs: list[str]) -> None:
    streams.install()
    assert round_trip(streams, inputs, lambda: None) == b""


def test_no_working_directory_no_replay(streams: Streams, inputs: list[str], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    streams.install()
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert not record(inputs)
    assert streams.taken().endswith(b"last\n")
    assert replay.answer(ARGV, os.environ) is None


def test_without_standard_streams_no_replay(streams: Streams, inputs: list[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    streams.install()
    assert record(inputs)
    monkeypatch.setattr(sys, "stderr", None)
    assert replay.answer(ARGV, os.environ) is None


def test_what_a_stream_cannot_encode_is_replayed_as_it_wrote_it(monkeypatch: pytest.MonkeyPatch,
                                                               inputs: list[str]) -> None:
    """Python's standard error replaces what its encoding lacks (an ASCII locale: ``\\xe9``)."""
    monkeypatch.setattr(replay, "RACY_NS", 0)
    streams = Streams(monkeypatch, encoding="ascii", errors="backslashreplace")
    streams.install()
    assert round_trip(streams, inputs, lambda: sys.stderr.write("Ilić, S.\n")) == b"[err]Ili\\u0107, S.\n"


def test_the_shells_bookkeeping_is_not_part_of_the_command(streams: Streams, inputs: list[str]) -> None:
    streams.install()
    assert record(inputs)
    streams.taken()
    assert replay.answer(ARGV, {**os.environ, "OLDPWD": "/elsewhere", "SHLVL": "9", "_": "/usr/bin/x"}) == 0
    assert streams.taken() != b""


def test_a_replay_of_another_day_is_a_miss(streams: Streams, inputs: list[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    streams.install()
    assert record(inputs)
    streams.taken()
    monkeypatch.setattr(replay, "_today", lambda: "2999-01-01")
    assert replay.answer(ARGV, os.environ) is None


def _only(folder: Path) -> Path:
    (path,) = [p for p in (folder / "replay").iterdir()]
    return path


def _header(data: bytes) -> tuple[bytes, list[bytes]]:
    length = int(data[-16:])
    return data[:len(data) - 16 - length], data[len(data) - 16 - length:-16].split(b"\0")


def _rebuilt(body: bytes, fields: list[bytes]) -> bytes:
    header = b"\0".join(fields)
    return body + header + f"{len(header):016d}".encode()


def _other_key(body: bytes, fields: list[bytes]) -> bytes:
    return _rebuilt(body, [*fields[:-1], fields[-1] + b"x"])


def _other_version(body: bytes, fields: list[bytes]) -> bytes:
    return _rebuilt(body, [b"bibkit-replay 0", *fields[1:]])


def _wrong_sizes(body: bytes, fields: list[bytes]) -> bytes:
    return _rebuilt(body + b"more", fields)


def _unknown_stream(body: bytes, fields: list[bytes]) -> bytes:
    return _rebuilt(body, [*fields[:4], b"3" + fields[4][1:], *fields[5:]])


def _half_an_input(body: bytes, fields: list[bytes]) -> bytes:
    return _rebuilt(body, [*fields[:-2], fields[-1]])


def _truncated(body: bytes, fields: list[bytes]) -> bytes:
    return _rebuilt(body, fields)[:-20]


def _garbage(body: bytes, fields: list[bytes]) -> bytes:
    return b"\xff" * 40


def _empty(body: bytes, fields: list[bytes]) -> bytes:
    return b""


@pytest.mark.parametrize("damage", [_other_key, _other_version, _wrong_sizes, _unknown_stream, _half_an_input,
                                    _truncated, _garbage, _empty])
def test_a_damaged_or_foreign_replay_is_a_miss(streams: Streams, inputs: list[str], isolated_cache: Path,
                                               damage: Callable[[bytes, list[bytes]], bytes]) -> None:
    streams.install()
    assert record(inputs)
    streams.taken()
    path = _only(isolated_cache)
    body, fields = _header(path.read_bytes())
    assert replay.answer(ARGV, os.environ) == 0 and _rebuilt(body, fields) == path.read_bytes()  # (the helpers)
    streams.taken()
    path.write_bytes(damage(body, fields))
    assert replay.answer(ARGV, os.environ) is None
    assert streams.taken() == b""


def test_a_file_changed_just_before_the_run_keeps_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                          isolated_cache: Path) -> None:
    """Within RACY_NS of the run, by either of its times: dated back (``touch -d``, an unpacked
    archive), a file still shows its change in its ctime."""
    Streams(monkeypatch).install()
    fresh = tmp_path / "a.yaml"
    fresh.write_text("title: A\n")
    assert not record([str(fresh)])
    an_hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(fresh, ns=(an_hour_ago, an_hour_ago))
    assert not record([str(fresh)])
    assert not any((isolated_cache / "replay").iterdir())


def test_a_file_dated_in_the_future_keeps_nothing(streams: Streams, inputs: list[str]) -> None:
    """(A clock set wrong, an archive from another machine: its time says nothing of its edits.)"""
    streams.install()
    ahead = time.time_ns() + 3600 * 10**9
    os.utime(inputs[1], ns=(ahead, ahead))
    time.sleep(0.01)
    assert not record(inputs)


def test_an_input_that_changes_or_goes_while_the_command_runs_keeps_nothing(streams: Streams, inputs: list[str],
                                                                             isolated_cache: Path) -> None:
    streams.install()
    for change in (_edit_keeping_the_time, _remove):
        with replay.Recording(ARGV, os.environ) as recording:
            recording.depends(inputs)
            sys.stdout.write("x\n")
            change(inputs)
            assert not recording.keep()
        Path(inputs[1]).write_text("title: A\n")
    assert not any((isolated_cache / "replay").iterdir())  # (nor any spool left behind)


def test_what_is_not_kept_leaves_nothing(streams: Streams, inputs: list[str], isolated_cache: Path) -> None:
    streams.install()
    assert not record(inputs, keep=False)
    assert streams.taken() != b""  # (written through all the same)
    assert replay.answer(ARGV, os.environ) is None
    assert not any((isolated_cache / "replay").iterdir())


def test_an_output_beyond_the_limit_is_not_kept(streams: Streams, inputs: list[str],
                                                monkeypatch: pytest.MonkeyPatch, isolated_cache: Path) -> None:
    streams.install()

    def ten_times_ten() -> bool:
        with replay.Recording(ARGV, os.environ) as recording:
            recording.depends(inputs)
            for _ in range(10):
                sys.stdout.write("123456789\n")
            return recording.keep()

    monkeypatch.setattr(replay, "LIMIT", 99)
    assert not ten_times_ten()
    assert streams.taken() == b"[out]" + b"123456789\n" * 10
    assert not any((isolated_cache / "replay").iterdir())
    monkeypatch.setattr(replay, "LIMIT", 100)
    assert ten_times_ten()


def test_a_name_no_file_can_have_keeps_nothing(streams: Streams, inputs: list[str]) -> None:
    streams.install()
    assert not record([*inputs, "records/a\0.yaml"])


def test_an_unwritable_cache_costs_the_replay_not_the_output(streams: Streams, inputs: list[str],
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    streams.install()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("BIBKIT_CACHE_DIR", str(blocker))
    assert not record(inputs)
    assert streams.taken().endswith(b"last\n")
    assert replay.answer(ARGV, os.environ) is None


def test_a_replay_that_cannot_be_put_in_place_is_not_kept(streams: Streams, inputs: list[str],
                                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    streams.install()
    with replay.Recording(ARGV, os.environ) as recording:
        os.makedirs(recording._path)  # (where the replay would go, a folder)
        recording.depends(inputs)
        sys.stdout.write("x\n")
        assert not recording.keep()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("BIBKIT_CACHE_DIR", str(blocker))
    with replay.Recording(ARGV, os.environ) as recording:  # (nothing written: the spool is made by keep)
        recording.depends(inputs)
        assert not recording.keep()


def test_the_oldest_replays_go(streams: Streams, inputs: list[str], monkeypatch: pytest.MonkeyPatch,
                               isolated_cache: Path) -> None:
    streams.install()
    monkeypatch.setattr(replay, "KEPT", 2)
    for n in range(3):
        assert record(inputs, (*ARGV, str(n)))
        time.sleep(0.01)
    assert len(list((isolated_cache / "replay").iterdir())) == 2
    assert replay.answer((*ARGV, "0"), os.environ) is None
    assert replay.answer((*ARGV, "1"), os.environ) == replay.answer((*ARGV, "2"), os.environ) == 0


def test_a_closed_pipe_is_said_as_the_command_says_it(streams: Streams, inputs: list[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    streams.install()
    assert record(inputs)
    streams.taken()

    class Closed(io.RawIOBase):
        """A pipe whose reader has gone (then, for the stream's own close, one that takes all)."""

        broken = True

        def writable(self) -> bool:
            return True

        def write(self, data: object) -> int:
            if self.broken:
                self.broken = False
                raise BrokenPipeError(32, "Broken pipe")
            return len(data)  # type: ignore[arg-type]

    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BufferedWriter(Closed())))
    assert replay.answer(ARGV, os.environ) == 2
    assert streams.taken().endswith(b"bibkit: error: Broken pipe\n")


def test_code_inputs_are_bibkits_files_and_the_import_path(tmp_path: Path) -> None:
    found = replay.code_inputs()
    package = Path(replay.__file__).resolve().parent
    assert {str(package / "replay.py"), str(package / "exporters" / "csl"), str(package)} <= set(found)
    assert all("__pycache__" not in p for p in found)
    assert [p for p in sys.path if p] == found[:len([p for p in sys.path if p])]


# The command itself, in fresh processes: the second run is a replay (it never imports the
# command line), and every change since is seen.

PROBE = """
import atexit, sys
atexit.register(lambda: print("cli" if "bibkit.cli" in sys.modules else "replay", file=sys.__stderr__))
sys.argv[0] = "bibkit"
from bibkit.launch import run
run()
"""


@pytest.fixture(scope="module")
def aged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the shipped records, older than the time a replay needs its inputs to be."""
    root = tmp_path_factory.mktemp("aged")
    for name in ("text", "config", "style", "other", "locale"):
        shutil.copytree(RECORDS, root / name / "records")
    citeproc = Path(importlib.util.find_spec("citeproc").origin).parent  # type: ignore[arg-type, union-attr]
    shutil.copytree(citeproc, root / "locale" / "packages" / "citeproc", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "other" / "findings").mkdir()
    (root / "other" / "findings" / "broken2020.yaml").write_text("title: [unclosed\n")
    time.sleep(replay.RACY_NS / 1e9 + 0.2)
    yield root


def _bibkit(cwd: Path, cache: Path, *args: str, status: int = 0, **env: str) -> tuple[str, str, str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env={**os.environ, "BIBKIT_CACHE_DIR": str(cache), **env})
    assert proc.returncode == status, proc.stderr
    *said, how = proc.stderr.splitlines(keepends=True)
    return proc.stdout, "".join(said), how.strip()


@pytest.mark.slow
def test_the_second_run_is_a_replay_until_a_record_changes(aged: Path, tmp_path: Path) -> None:
    cwd, cache = aged / "text", tmp_path / "cache"
    args = ("export", "-f", "text", "--style", "apa", "-r", "records")
    first, second = _bibkit(cwd, cache, *args), _bibkit(cwd, cache, *args)
    assert (first[2], second[2]) == ("cli", "replay")
    assert second[:2] == first[:2] and first[0].count("\n") >= 30
    fresh = _bibkit(cwd, cache, *args, "--no-cache")
    assert fresh[:2] == first[:2]
    victim = min((cwd / "records").glob("*.yaml"))
    victim.write_text("".join('title: "A Retitled Paper"\n' if line.startswith("title:") else line
                              for line in victim.read_text().splitlines(keepends=True)))
    edited = _bibkit(cwd, cache, *args)
    assert edited[2] == "cli" and "A Retitled Paper" in edited[0]
    assert _bibkit(cwd, cache, *args)[2] == "cli"  # (the edit is too recent to trust its times)


@pytest.mark.slow
def test_a_configuration_or_style_made_since_is_seen(aged: Path, tmp_path: Path) -> None:
    for name, made in (("config", Path("bibkit.toml")), ("style", Path("styles", "apa.csl"))):
        cwd, cache = aged / name, tmp_path / name
        args = ("export", "-f", "text", "-r", "records")
        first, second = _bibkit(cwd, cache, *args), _bibkit(cwd, cache, *args)
        assert (first[2], second[2]) == ("cli", "replay")
        (cwd / made).parent.mkdir(exist_ok=True)
        if made.suffix == ".toml":
            (cwd / made).write_text('style = "ieee"\n')
        else:
            shutil.copy(resolve_style("ieee"), cwd / made)
        after = _bibkit(cwd, cache, *args)
        assert after[2] == "cli" and after[0].startswith("[1]") and not first[0].startswith("[1]")


@pytest.mark.slow
def test_validate_and_exports_to_standard_output_are_replayed(aged: Path, tmp_path: Path) -> None:
    cwd, cache = aged / "other", tmp_path / "cache"
    for args in (("export", "-f", "bibtex", "-r", "records", "-o", str(tmp_path / "out.bib")),
                 ("export", "-f", "bibtex", "-r", "records", "--no-cache"),
                 ("validate", "--no-cache", "records")):
        assert [_bibkit(cwd, cache, *args)[2] for _ in range(2)] == ["cli", "cli"]
    for args in (("export", "-f", "bibtex", "-r", "records"), ("validate", "records")):
        assert [_bibkit(cwd, cache, *args)[2] for _ in range(2)] == ["cli", "replay"]
    # A report with findings, exit 1, is replayed with its exit status.
    report = [_bibkit(cwd, cache, "validate", "findings", status=1) for _ in range(2)]
    assert [r[2] for r in report] == ["cli", "replay"] and report[0][:2] == report[1][:2]
    assert " BK001 " in report[0][0]


@pytest.mark.slow
def test_an_edited_locale_file_is_seen(aged: Path, tmp_path: Path) -> None:
    """citeproc-py's locale files decide a list's terms: an upgrade or an edit of one is neither
    replayed nor answered from the record store. (A copy of citeproc-py, first on the path.)"""
    cwd, cache = aged / "locale", tmp_path / "cache"
    packages = str(cwd / "packages")
    args = ("export", "-f", "text", "--style", "ieee", "-r", "records")
    first, second = (_bibkit(cwd, cache, *args, PYTHONPATH=packages) for _ in range(2))
    assert (first[2], second[2]) == ("cli", "replay") and "pp. " in first[0]
    terms = cwd / "packages" / "citeproc" / "data" / "locales" / "locales-en-US.xml"
    text = terms.read_text(encoding="utf-8")
    short = text.index('<term name="page" form="short">')
    terms.write_text(text[:short] + text[short:].replace("<multiple>pp.</multiple>", "<multiple>PAGES</multiple>", 1),
                     encoding="utf-8")
    after = _bibkit(cwd, cache, *args, PYTHONPATH=packages)
    assert after[2] == "cli" and "PAGES " in after[0] and "pp. " not in after[0]
