"""Replays: what a command wrote, kept with the state of every file it depended on, and written
again without running the command while none of them has changed.

A warm ``bibkit export`` whose output the record store answers spends most of its time importing
the command line (typer, click) and the store, not working. The ``bibkit`` command
(``bibkit.launch``) asks here first, before it imports either. A replay answers when it was
kept for the same command line, working directory, environment (but for the shell's own
variables, ``_IGNORED``), Python and terminals, on the same day (BK023 compares dates with
today), and every input it names has the same size, times, inode and device as when it was kept:
the configuration files looked for (found or not), the record folder and files, the style's
files, bibkit's own files and the folders of ``sys.path`` (where an install or an upgrade of any
package shows). The command's standard output and error are written out as it wrote them, in
the same order, and it exits as it did.

A command keeps a replay only where it says so: it names its inputs before it reads them
(``Recording.depends``) and, once it has run to its end, keeps its output and exit status
(``Recording.keep``; ``validate`` and the exports to standard output do). A run that read a
file changed within ``RACY_NS`` of its start keeps none (an edit in the same clock tick as the
run may not show in the file's times), nor does one during which an input changed or went.

Nothing read here is code: a replay is the output's bytes, a header of NUL-separated text
fields, and a trailer; anything unexpected in one (damage, another version's) is a miss, and
the command runs. This module imports nothing beyond the interpreter's start-up modules and
``zlib`` (json, hashlib or typing would each cost more than the lookup).
"""

from __future__ import annotations

import os
import sys
import time
import zlib

TYPE_CHECKING = False  # (typing's own would import typing: 2 ms before a replay is found)
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from types import TracebackType
    from typing import BinaryIO, TextIO, TypeAlias

    State: TypeAlias = tuple[int, int, int, int, int] | None  # size, mtime, ctime, inode, device; None: absent

RACY_NS = 2_000_000_000
LIMIT = 16 * 1024 * 1024  # outputs larger than this are not kept (the copy would cost what it saves)
KEPT = 32  # replays kept per cache directory (at most LIMIT each); the oldest go first
_MAGIC = b"bibkit-replay 1"
_TRAILER = 16  # the header's length, as 16 ASCII digits, ends the file
# The shell's bookkeeping, which changes between two runs of one command without changing it.
_IGNORED = frozenset({"_", "OLDPWD", "SHLVL"})
_OUT, _ERR = 1, 2


def cache_dir(environ: Mapping[str, str]) -> str:
    """``BIBKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/bibkit``, else ``~/.cache/bibkit``."""
    explicit = environ.get("BIBKIT_CACHE_DIR")
    if explicit:
        return explicit
    return os.path.join(environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "bibkit")


def answer(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """Write the replay kept for this command and return its exit status (2 where writing
    failed); None where there is none that still holds (the command must run)."""
    if sys.stdout is None or sys.stderr is None:
        return None
    try:
        key = _key(argv, environ)
        with open(_path(environ, key), "rb") as handle:
            data = handle.read()
    except OSError:  # no replay, or no working directory
        return None
    found = _parse(data, key)
    if found is None:
        return None
    status, segments, body_size = found
    body = memoryview(data)[:body_size]
    streams = {_OUT: sys.stdout, _ERR: sys.stderr}
    at = 0
    try:
        for stream, size in segments:
            target = streams[stream]
            target.flush()
            target.buffer.write(body[at:at + size])
            at += size
        for target in streams.values():
            target.flush()
    except OSError as exc:  # a closed pipe: as the command itself would say it
        sys.stderr.write(f"bibkit: error: {exc.strerror or exc}\n")
        return 2
    return status


def _parse(data: bytes, key: str) -> tuple[int, list[tuple[int, int]], int] | None:
    """(exit status, [(stream, size)], size of the output) of a replay that still answers ``key``."""
    try:
        length = int(data[-_TRAILER:])
        start = len(data) - _TRAILER - length
        fields = data[start:len(data) - _TRAILER].split(b"\0")
        if start < 0 or fields[0] != _MAGIC or fields[-1] != key.encode("utf-8", "surrogateescape"):
            return None
        day, status, count = fields[1].decode(), int(fields[2]), int(fields[3])
        if day != _today():
            return None
        segments = [(int(f[:1]), int(f[2:])) for f in fields[4:4 + count]]
        if sum(size for _, size in segments) != start or any(s not in (_OUT, _ERR) for s, _ in segments):
            return None
        inputs = fields[4 + count:-1]
        for i in range(0, len(inputs), 2):
            if _state(os.fsdecode(inputs[i])) != _unpacked(inputs[i + 1]):
                return None
    except (ValueError, IndexError):
        return None
    return status, segments, start


def _key(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """What a run depends on besides files, each part prefixed by its length (so that no two
    different keys read the same)."""
    parts = [sys.executable, sys.version, os.getcwd(), *(
        "1" if stream.isatty() else "0" for stream in (sys.stdout, sys.stderr)), str(len(argv)), *argv,
        *(f"{name}={value}" for name, value in sorted(environ.items()) if name not in _IGNORED)]
    return "".join(f"{len(part)}:{part}" for part in parts)


def _path(environ: Mapping[str, str], key: str) -> str:
    # A name from the key's checksum: two keys sharing one overwrite each other, and the key kept
    # in the file tells them apart.
    return os.path.join(cache_dir(environ), "replay", f"{zlib.crc32(key.encode('utf-8', 'surrogateescape')):08x}")


def _today() -> str:
    now = time.localtime()
    return f"{now.tm_year:04d}-{now.tm_mon:02d}-{now.tm_mday:02d}"


def _state(path: str) -> State:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev


def _packed(state: State) -> bytes:
    return b"-" if state is None else " ".join(map(str, state)).encode()


def _unpacked(field: bytes) -> State:
    if field == b"-":
        return None
    size, mtime, ctime, inode, device = map(int, field.split(b" "))
    return size, mtime, ctime, inode, device


def code_inputs() -> list[str]:
    """bibkit's own files (not the bytecode Python writes beside them) and the folders they
    lie in, and the folders of ``sys.path``: a replay outlives no change of code."""
    package = os.path.dirname(os.path.abspath(__file__))
    found = [entry for entry in sys.path if entry]
    pending = [package]
    while pending:
        folder = pending.pop()
        found.append(folder)
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        pending.append(entry.path)
                else:
                    found.append(entry.path)
    return found


class Recording:
    """A command's output, written through to its streams and kept aside, to be kept as a
    replay if the command says so (``keep``) before the ``with`` block ends.

    Inside the block ``sys.stdout`` and ``sys.stderr`` are tees, so nothing the command writes
    through them is missed; the spool is a file beside the replays, renamed into place whole.
    """

    def __init__(self, argv: Sequence[str], environ: Mapping[str, str]) -> None:
        self._start = time.time_ns()
        self._spool: BinaryIO | None = None
        self._spool_name = ""
        self._segments: list[list[int]] = []
        self._size = 0
        self._inputs: dict[str, State] = {}
        try:
            self._key = _key(argv, environ)
        except OSError:  # no working directory
            self._key = ""
        self._path = _path(environ, self._key)
        self._usable = bool(self._key)
        self._streams: tuple[TextIO, TextIO] = (sys.stdout, sys.stderr)

    def __enter__(self) -> Recording:
        sys.stdout, sys.stderr = (_TextTee(stream, self, number)
                                  for stream, number in zip(self._streams, (_OUT, _ERR), strict=True))
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 where: TracebackType | None) -> None:
        for stream in self._streams:
            stream.flush()
        sys.stdout, sys.stderr = self._streams
        self._drop()

    def write(self, stream: int, data: bytes) -> None:
        if not self._usable or not data:
            return
        if self._size + len(data) > LIMIT or not self._spooled(data):
            self._usable = False
            self._drop()
            return
        self._size += len(data)
        if self._segments and self._segments[-1][0] == stream:
            self._segments[-1][1] += len(data)
        else:
            self._segments.append([stream, len(data)])

    def _spooled(self, data: bytes) -> bool:
        try:
            if self._spool is None:
                os.makedirs(os.path.dirname(self._path), exist_ok=True)
                self._spool_name = f"{self._path}.{os.getpid()}.tmp"
                self._spool = open(self._spool_name, "wb")  # noqa: SIM115 (closed by keep or _drop)
            self._spool.write(data)
        except OSError:  # an unwritable cache: the command goes on, unrecorded
            return False
        return True

    def depends(self, paths: Iterable[str]) -> None:
        """The command is about to read these files and folders (found or not): their state now
        is what the replay holds for (checked again by ``keep``, so that a file deleted while the
        command ran, which leaves no time behind, is noticed too)."""
        for path in paths:
            if path not in self._inputs:
                self._inputs[path] = _state(path)

    def keep(self, status: int = 0) -> bool:
        """Keep the output as the replay of this command, which exits with ``status``, valid
        while every input stays as it was when ``depends`` named it; False where it cannot be
        kept."""
        if not self._usable:
            return False
        for stream in self._streams:
            stream.flush()
        fields = [_MAGIC, _today().encode(), str(status).encode(), str(len(self._segments)).encode(),
                  *(f"{stream}:{size}".encode() for stream, size in self._segments)]
        for path, state in self._inputs.items():
            name = os.fsencode(path)
            if (b"\0" in name or _state(path) != state
                    or (state is not None and max(state[1], state[2]) > self._start - RACY_NS)):
                return False
            fields += [name, _packed(state)]
        fields.append(self._key.encode("utf-8", "surrogateescape"))
        header = b"\0".join(fields)
        if not self._spooled(header + f"{len(header):0{_TRAILER}d}".encode()):
            return False
        assert self._spool is not None
        self._usable = False
        try:
            self._spool.close()
            os.replace(self._spool_name, self._path)
        except OSError:
            return False
        finally:
            self._spool = None
        self._spool_name = ""
        _prune(os.path.dirname(self._path))
        return True

    def _drop(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None
        if self._spool_name:
            try:  # noqa: SIM105 (contextlib would be one more import before the replay is found)
                os.unlink(self._spool_name)
            except FileNotFoundError:
                pass


def _prune(folder: str) -> None:
    try:
        with os.scandir(folder) as entries:
            kept = sorted((entry.stat().st_mtime_ns, entry.path) for entry in entries)
        for _, path in kept[:-KEPT]:
            os.unlink(path)
    except OSError:
        pass


class _TextTee:
    """A text stream that writes through to ``target`` and records what it wrote, as bytes in
    the target's encoding; ``buffer`` does the same for bytes."""

    def __init__(self, target: TextIO, recording: Recording, stream: int) -> None:
        self._target, self._recording, self._stream = target, recording, stream

    @property
    def buffer(self) -> _BinaryTee:
        return _BinaryTee(self._target, self._recording, self._stream)

    def write(self, text: str) -> int:
        written = self._target.write(text)
        self._recording.write(self._stream, text.encode(self._target.encoding, self._target.errors or "strict"))
        return written

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> object:  # isatty, encoding, fileno, flush, ...
        return getattr(self._target, name)


class _BinaryTee:
    def __init__(self, target: TextIO, recording: Recording, stream: int) -> None:
        self._text, self._target, self._recording, self._stream = target, target.buffer, recording, stream

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._text.flush()  # what was written as text goes first, as it would
        written = self._target.write(data)
        self._recording.write(self._stream, bytes(data))
        return written

    def writelines(self, lines: Iterable[bytes]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> object:
        return getattr(self._target, name)
