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

Results travel in ``marshal``'s format (a process's own data, read back by the process it was
forked from: the same Python), which gives back as they were the plain values ``render`` may
return: strings, numbers, ``None``, tuples, lists and dicts of them. (JSON took four times as
long both ways for the store's rows: 1,000 records, 44 ms against 11 ms.)
"""

from __future__ import annotations

import marshal
import os
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

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
    bounds = _chunks(len(jobs), n)
    tickets_in, tickets_out = os.pipe()
    # Every ticket is written before the first fork, in one write below the pipe's atomic size,
    # and the writing end is closed: a read then takes one whole ticket, or none at the end.
    os.write(tickets_out, b"".join(struct.pack("=II", *chunk) for chunk in bounds))
    os.close(tickets_out)

    def chunks() -> dict[int, list[R]]:
        done: dict[int, list[R]] = {}
        while len(ticket := os.read(tickets_in, 8)) == 8:
            start, stop = struct.unpack("=II", ticket)
            done[start] = [render(job) for job in jobs[start:stop]]
        return done

    children: list[tuple[int, int]] = []
    try:
        for _ in range(n - 1):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: render, report, leave without running any cleanup
                status = 1
                try:
                    os.close(read)
                    mine = list(chunks().items())
                    data = marshal.dumps({"ok": unchanged(), "chunks": mine})
                    with os.fdopen(write, "wb") as out:
                        out.write(data)
                    status = 0
                finally:
                    os._exit(status)
            os.close(write)
            children.append((pid, read))
        if meanwhile is not None:
            meanwhile()
        found = chunks()
        ok = unchanged()
    except BaseException:
        _reap(children)
        raise
    finally:
        os.close(tickets_in)
    for pid, read in children:
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        try:
            answer = marshal.loads(data) if os.waitstatus_to_exitcode(status) == 0 else {}
        except (EOFError, ValueError, TypeError):
            answer = {}
        if not isinstance(answer, dict) or not answer.get("ok") or not isinstance(answer.get("chunks"), list):
            ok = False
            continue
        for start, texts in answer["chunks"]:
            found[start] = texts
    results = [text for start, _ in bounds for text in found.get(start, ())]
    return results if ok and len(results) == len(jobs) and len(found) == len(bounds) else None


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


def _reap(children: list[tuple[int, int]]) -> None:
    for pid, read in children:
        try:
            os.close(read)
            os.waitpid(pid, 0)
        except OSError:
            pass
