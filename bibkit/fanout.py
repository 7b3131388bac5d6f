"""Work split over forked processes: a bibliography's stages, and a store's entries.

The jobs each render independently: the entries of a sorted and disambiguated list (a style's
``subsequent-author-substitute`` apart, which the caller checks), and the export entries the
record store renders from the records it holds. ``fanout`` forks worker processes, each renders jobs from a copy of
what the parent holds (copy-on-write: no start-up, nothing pickled on the way in), and sends
back its results; the parent renders jobs of its own meanwhile. The jobs are dealt in
chunks, each process taking the next chunk when it has finished one (tickets read from a pipe):
jobs differ in cost (a group of alike citations against a lone one), and a forked worker runs
slower than its parent (the pages it touches are copied), so halves fixed in advance leave one
process waiting for the other. The chunks shrink as the jobs run out (``_chunks``): the last
ones end close together. It is used only where it cannot change a byte of the result:

- on Linux, in a process with a single thread (a fork copies one thread only);
- when a worker's rendering left the state the jobs share unchanged (``unchanged`` is asked
  in the worker after its slice): otherwise the caller renders everything in order.

A list's stages (its citations, their disambiguation, its sort keys, its entries) run in a
``team``: processes forked once, at the list's first stage that splits, each of which runs the
rest of the list and takes its share of each stage's jobs, then hands its results to the others.

Results travel in ``marshal``'s format (a process's own data, read back by the process it was
forked from: the same Python), which gives back as they were the plain values ``render`` may
return: strings, numbers, ``None``, tuples, lists and dicts of them. (JSON took four times as
long both ways for the store's rows: 1,000 records, 44 ms against 11 ms.)
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_PER_WORKER = 150  # fewer jobs a process do not pay for a fork
SHARE = 4  # a chunk is this fraction of a process's share of the jobs left (see ``_chunks``)


def workers() -> int:
    """How many processes may render at once: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def split(jobs: int, limit: int | None = None, weight: int = 1) -> int:
    """Into how many processes ``jobs`` would be split (1: not split); ``weight``: how many
    renderings a job is, about (MIN_PER_WORKER counts renderings)."""
    n = min(limit or workers(), jobs * weight // MIN_PER_WORKER, 8)
    # (macOS has fork, but a forked child may crash in its system frameworks: Python's own
    # multiprocessing does not fork there)
    if n < 2 or sys.platform != "linux" or threading.active_count() != 1:
        return 1
    return n


def fanout(render: Callable[[T], R], jobs: Sequence[T], unchanged: Callable[[], bool],
           limit: int | None = None, meanwhile: Callable[[], object] | None = None,
           weight: int = 1) -> list[R] | None:
    """``[render(job) for job in jobs]``, in forked workers; None when the work was not split
    (see ``split``) or when a worker, or the parent, reports that shared state changed (the
    caller then restores that state and renders in order). ``meanwhile`` runs once in any case,
    in this process: after the workers have started, before it takes jobs of its own (the
    workers go on with theirs while it writes what an earlier call gave, say)."""
    n = split(len(jobs), limit, weight)
    if n < 2:
        if meanwhile is not None:
            meanwhile()
        return None
    if limit is None and meanwhile is None and (_team is not None or _pending):
        try:
            chosen = _team or _Team(_pending)  # (a team's first split forms it)
        except OSError:
            return None
        return chosen.share(render, jobs, unchanged)
    try:
        once = _Team(n, once=True)  # workers for this fan-out alone
    except OSError:  # (no process to be had: the caller renders in order)
        if meanwhile is not None:
            meanwhile()
        return None
    try:
        return once.share(render, jobs, unchanged, meanwhile)
    finally:
        once.dismiss()


# A team (``team``): the processes of one list, forked once, at its first split. Each runs the
# list's code from there, the same steps in the same order, and at each ``fanout`` they share
# the jobs out (tickets from one pipe, written by rank 0, each process's share ending at an
# ``_END``) and then hand each other what they rendered: each goes on from the same results, as
# the parent alone would. Forked anew at each stage, the workers copied the pages they touched
# again at each of a list's four stages (23,000 page faults for a thousand APA entries), and
# started with cold caches. A ``fanout`` outside a team forks a team of its own, ``once``, whose
# workers send what they rendered and leave.
_END = b"\xff" * 8  # the ticket that ends a process's share of one stage
_LENGTH = struct.Struct("=Q")


class _Team:
    """The processes of a ``team``: this one (rank 0) and the members it forked. ``once``: the
    workers of a single ``fanout`` outside a team, which leave as soon as they have sent what
    they rendered."""

    def __init__(self, size: int, once: bool = False) -> None:
        global _team
        if not once:
            _team = self
        self.once = once
        self.size = size
        self.rank = 0
        self.tickets, self.deal = os.pipe()
        self.members: list[tuple[int, int, int]] = []  # (pid, from it, to it)
        self.up = self.down = -1  # a member's ends: to rank 0, from rank 0
        for rank in range(1, size):
            up_read, up_write = os.pipe()
            down_read, down_write = os.pipe()
            try:
                pid = os.fork()
            except OSError:  # (no process to be had: the list goes on here alone)
                for fd in (up_read, up_write, down_read, down_write):
                    os.close(fd)
                self.dismiss()
                raise
            if pid == 0:
                for _, theirs_up, theirs_down in self.members:
                    os.close(theirs_up)
                    os.close(theirs_down)
                os.close(up_read)
                os.close(down_write)
                os.close(self.deal)
                self.rank, self.up, self.down, self.members = rank, up_write, down_read, []
                return
            os.close(up_write)
            os.close(down_read)
            self.members.append((pid, up_read, down_write))

    def share(self, render: Callable[[T], R], jobs: Sequence[T], unchanged: Callable[[], bool],
              meanwhile: Callable[[], object] | None = None) -> list[R] | None:
        """``fanout`` in a team: every process of it calls this with the same jobs (a worker of
        ``once`` does not come back). ``meanwhile``: rank 0's, before it takes jobs."""
        bounds = _chunks(len(jobs), self.size)
        if self.rank == 0:
            os.write(self.deal, b"".join(struct.pack("=II", *chunk) for chunk in bounds) + _END * self.size)
            if meanwhile is not None:
                meanwhile()
        elif self.once:  # render, report, leave without running any cleanup
            try:
                mine = self._take(render, jobs)
                _send(self.up, {"ok": unchanged(), "chunks": list(mine.items())})
            finally:
                os._exit(0)
        done = self._take(render, jobs)
        ok = unchanged()
        if self.rank:
            _send(self.up, {"ok": ok, "chunks": list(done.items())})
            answer = _receive(self.down)
            if not isinstance(answer, dict) or "chunks" not in answer:  # the team was dismissed
                os._exit(0)
            if not answer["ok"]:
                return None
            found = dict(answer["chunks"])
        else:
            found = done
            for _, up, _ in self.members:
                answer = _receive(up)
                if not isinstance(answer, dict) or not isinstance(answer.get("chunks"), list):
                    self.dismiss()  # a member failed: the list goes on here alone
                    return None
                ok = ok and bool(answer.get("ok"))
                found.update(answer["chunks"])
            whole = len(found) == len(bounds)
            merged = list(found.items()) if ok and whole else []
            try:
                for _, _, down in () if self.once else self.members:
                    _send(down, {"ok": ok and whole, "chunks": merged})
            except OSError:  # a member is gone: the others are ended, and the list goes on here
                self.dismiss()
            if not (ok and whole):
                return None
        results = [text for start, _ in bounds for text in found.get(start, ())]
        return results if len(results) == len(jobs) else None

    def _take(self, render: Callable[[T], R], jobs: Sequence[T]) -> dict[int, list[R]]:
        """This process's share of the jobs: a chunk for each ticket it reads, until its end."""
        done: dict[int, list[R]] = {}
        while len(ticket := os.read(self.tickets, 8)) == 8 and ticket != _END:
            start, stop = struct.unpack("=II", ticket)
            done[start] = [render(job) for job in jobs[start:stop]]
        return done

    def dismiss(self) -> None:
        """Rank 0: end the members, whatever they are doing, and leave the team (once; the
        rest of its block runs here alone)."""
        global _team, _pending
        if not self.once:
            _pending = 0
        if _team is self:
            _team = None
        if self.tickets < 0:
            return
        for pid, up, down in self.members:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            os.close(up)
            os.close(down)
        self.members = []
        os.close(self.tickets)
        os.close(self.deal)
        self.tickets = self.deal = -1


_team: _Team | None = None
_pending = 0  # the size of the team a ``team`` block forms at its first split


@contextlib.contextmanager
def team(jobs: int) -> Iterator[None]:
    """Run the block's fan-outs in processes forked once, at the first of them that splits,
    which each later ``fanout`` in the block shares its jobs with too (``jobs``: how many the
    largest has, as ``split`` counts). From that fork on, the block must do the same in each
    process (it runs from copies of the same state, and every step that depends on what a
    process rendered alone goes through ``fanout``'s results) and may not write anywhere: a
    member leaves the process at the block's end, or at a failure, without cleanup; its results
    are only what ``fanout`` hands back. A block in which nothing splits forks nothing."""
    global _pending
    size = split(jobs)
    if size < 2 or _team is not None or _pending:
        yield
        return
    _pending = size
    try:
        yield
    finally:
        _pending = 0
        formed = _formed()
        if formed is not None:
            if formed.rank:
                os._exit(0)
            formed.dismiss()


def _formed() -> _Team | None:
    """The team the block formed (read here: at the block's end a type checker still takes
    ``_team`` for the None it was at the start, which the first split changed)."""
    return _team


def _send(fd: int, value: Any) -> None:
    data = marshal.dumps(value)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int) -> Any:
    """A value ``_send`` wrote, or None where the other end went (EOF) or wrote garbage."""
    try:
        head = _read(fd, _LENGTH.size)
        if len(head) < _LENGTH.size:
            return None
        data = _read(fd, _LENGTH.unpack(head)[0])
        return marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _read(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd``, fewer only at its end."""
    parts = []
    while size:
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _chunks(jobs: int, processes: int) -> list[tuple[int, int]]:
    """(start, stop) of each chunk of ``jobs``, dealt in this order: each a ``SHARE``th of a
    process's share of the jobs left, so large while many are left (few tickets) and small at
    the end, where a large last chunk leaves the other processes waiting for it. None smaller
    than a 256th of the jobs: at most 256 tickets, what one atomic write to the pipe holds."""
    bounds: list[tuple[int, int]] = []
    start, least = 0, -(-jobs // 256)
    while start < jobs:
        size = max(least, -(-(jobs - start) // (processes * SHARE)))
        bounds.append((start, min(jobs, start + size)))
        start += size
    return bounds
