"""Writing output files: atomically, and not at all when nothing changed."""

from __future__ import annotations

import contextlib
import filecmp
import glob
import os
import shutil
import signal
import struct
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO


def write_if_changed(path: Path, data: bytes, tidy: bool = True, durable: bool = True) -> bool:
    """Replace ``path`` with ``data`` via a temporary file in the same directory.

    Returns False, leaving the file and its timestamp alone, when it already holds ``data``,
    so that latexmk and make do not rebuild for nothing. A reader never sees a half-written
    file: the new content appears at once with ``os.replace``, or not at all. ``tidy``: first
    remove what killed writers of ``path`` left (a caller writing many files into one
    directory does that once, with ``remove_orphans``, instead of listing it per file).
    ``durable``: the data is on disk before the rename (a caller writing many files passes
    False and syncs once at the end: a sync per file costs milliseconds each).
    """
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    directory = path.parent
    if tidy:
        _remove_orphans(path)
    # The writer's pid in the name lets a later write tell an orphan (its writer was killed)
    # from a file another process is writing right now.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        _put_in_place(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def write_chunks_if_changed(path: Path, chunks: Iterable[bytes | memoryview],
                            same: Callable[[], bool] | None = None) -> bool:
    """``write_if_changed`` for output made piece by piece, never held whole in memory: the
    pieces go to a temporary file beside ``path``, which replaces it only if the two differ
    (``same``, asked once every piece is written, says so without reading both files again).
    If making a piece fails, ``path`` is left as it was."""
    _remove_orphans(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            if same() if same is not None else filecmp.cmp(tmp, path, shallow=False):
                Path(tmp).unlink()
                return False
        except FileNotFoundError:
            pass
        _put_in_place(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def write_new_directory(directory: Path, files: Iterable[tuple[str, bytes]]) -> bool:
    """Create ``directory`` with ``files`` (name, content) in it, all at once: they are written
    into a hidden directory beside it, synced to disk, and that directory becomes ``directory``
    with one rename. A reader or a crash sees no directory or the whole of it; each file costs an
    open, a write and a close (no temporary file, mode change and rename per file, which cost
    more than the import's parsing on a busy disk). False, leaving nothing behind, when
    ``directory`` exists: the caller writes into it file by file."""
    if directory.exists():
        return False
    directory.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphan_directories(directory)
    staging = directory.parent / f".{directory.name}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)  # left by a killed writer that had this pid
    os.mkdir(staging)  # the mode a directory gets, as directory.mkdir() would give it
    try:
        with _FileWriter(staging) as writer:
            for name, data in files:
                writer.write(name, data)
        os.sync()  # the files are on disk before the directory that holds them appears
        try:
            os.rename(staging, directory)
        except OSError:  # it appeared meanwhile, with something in it
            shutil.rmtree(staging)
            return False
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return True


def _create(path: str, data: bytes | memoryview) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


_FRAME = struct.Struct("<II")  # bytes of the name, of the content


class _FileWriter:
    """Creates new files in ``folder``, each with its content. Creating a file costs the kernel
    a few hundred microseconds on a busy disk, as much as the import's own work on it: so on
    Linux, in a process with one thread, once there are enough files a forked child creates them
    on another core while this process reads the next entries. The files travel through a pipe;
    what the child could not do (a name taken, a full disk) is raised here as the OSError it
    was, at the latest on leaving the ``with``. Otherwise each file is created here at once."""

    def __init__(self, folder: Path) -> None:
        self.folder = str(folder) + os.sep
        self.pid = 0
        self.pipe: BinaryIO | None = None
        self.report = -1
        # The first files wait here until there are enough to pay for the fork.
        self.waiting: list[tuple[str, bytes]] | None = [] if sys.platform == "linux" else None

    def write(self, name: str, data: bytes) -> None:
        path = self.folder + name
        if self.pipe is not None:
            self._send(path, data)
        elif self.waiting is None:
            _create(path, data)
        else:
            self.waiting.append((path, data))
            if len(self.waiting) >= _FORK_FROM:
                self._fork()

    def _send(self, path: str, data: bytes) -> None:
        assert self.pipe is not None
        name = os.fsencode(path)
        try:
            self.pipe.write(_FRAME.pack(len(name), len(data)) + name + data)
        except BrokenPipeError:
            self._finish()  # raises what stopped the child
            raise

    def _fork(self) -> None:
        waiting, self.waiting = self.waiting or [], None
        if threading.active_count() != 1:  # a fork copies one thread only: no child
            for path, data in waiting:
                _create(path, data)
            return
        read, write = os.pipe()
        report_read, report_write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: create what comes, say what failed, leave without cleanup
            status = 1
            try:
                os.close(write)
                os.close(report_read)
                _die_with(parent)
                _create_from(read, report_write)
                status = 0
            finally:
                os._exit(status)
        os.close(read)
        os.close(report_write)
        self.pid, self.report = pid, report_read
        self.pipe = os.fdopen(write, "wb", buffering=1 << 16)
        for path, data in waiting:
            self._send(path, data)

    def _finish(self) -> None:
        """Wait for the child; raise what it could not do."""
        if self.pipe is not None:
            with contextlib.suppress(BrokenPipeError):
                self.pipe.close()
            self.pipe = None
        if not self.pid:
            return
        with os.fdopen(self.report, "rb") as report:
            failure = report.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if failure:
            errno, strerror, filename = failure.decode("utf-8", "surrogateescape").split("\0")
            raise OSError(int(errno), strerror, filename)
        if os.waitstatus_to_exitcode(status) != 0:
            raise OSError(f"the process creating the files stopped ({status})")

    def __enter__(self) -> _FileWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is not None and self.pid:
            os.kill(self.pid, signal.SIGKILL)  # the caller removes the folder: stop adding to it
        try:
            self._finish()
        except OSError:
            if kind is None:
                raise
        if kind is None:
            for path, data in self.waiting or []:
                _create(path, data)
        self.waiting = None


_FORK_FROM = 256  # fewer files are written before a fork would pay


def _die_with(parent: int) -> None:
    """This process is killed when ``parent`` dies (Linux's parent-death signal): a killed import
    leaves no child adding files to a folder the next import removes."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _create_from(read: int, report: int) -> None:
    """The child's work: each framed (path, content) from ``read`` made a new file; the first
    failure, as "errno message", to ``report``."""
    with os.fdopen(read, "rb") as pipe, os.fdopen(report, "wb") as out:
        while head := pipe.read(_FRAME.size):  # empty: this process's parent closed the pipe, or died
            if len(head) < _FRAME.size:
                return
            size, length = _FRAME.unpack(head)
            name = pipe.read(size)
            data = pipe.read(length)
            if len(name) < size or len(data) < length:  # the writer was killed mid-file: stop
                return
            path = os.fsdecode(name)
            try:
                _create(path, data)
            except OSError as exc:
                out.write(f"{exc.errno or 0}\0{exc.strerror}\0{path}".encode("utf-8", "surrogateescape"))
                return


def _remove_orphan_directories(directory: Path) -> None:
    """Delete what killed writers of ``directory`` (``write_new_directory``) left beside it."""
    for tmp in directory.parent.glob(f".{glob.escape(directory.name)}.*.tmp"):
        pid = tmp.name[len(directory.name) + 2:].removesuffix(".tmp")
        if tmp.is_dir() and _is_orphan(pid):
            shutil.rmtree(tmp, ignore_errors=True)


def _put_in_place(tmp: str, path: Path) -> None:
    """``tmp`` becomes ``path`` at once, with the mode ``path`` had (a new file: what the umask
    gives, as ``open`` would; mkstemp's 0600 would hide a shared bibliography from its readers)."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _remove_orphans(path: Path) -> None:
    """Delete temporary files a killed writer of ``path`` left behind."""
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        _remove_if_orphan(tmp, tmp.name[len(path.name) + 2:].split(".", 1)[0])


def remove_orphans(directory: Path) -> None:
    """Delete the temporary files killed writers left in ``directory``, whatever they wrote."""
    for tmp in directory.glob(".*.tmp"):
        # .NAME.PID.RANDOM.tmp, as write_if_changed names them
        parts = tmp.name.removesuffix(".tmp").rsplit(".", 2)
        _remove_if_orphan(tmp, parts[1] if len(parts) == 3 else "")


def _remove_if_orphan(tmp: Path, pid: str) -> None:
    if _is_orphan(pid):
        tmp.unlink(missing_ok=True)


def _is_orphan(pid: str) -> bool:
    """The writer whose pid a temporary file's name holds is gone."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, someone else's
    return False
