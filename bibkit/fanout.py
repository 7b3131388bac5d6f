"""Work split over forked processes: a bibliography's stages, and a store's entries.

The jobs each render independently: the entries of a sorted and disambiguated list (a style's
``subsequent-author-substitute`` apart, which the caller checks), and the export entries the
record store renders from the records it holds. ``fanout`` forks worker processes, each renders jobs from a copy of
what the parent holds (copy-on-write: no start-up, nothing pickled on the way in), and sends
back its results; the parent renders jobs of its own meanwhile. The jobs are dealt in small
chunks, each process taking the next chunk when it has finished one (tickets read from a pipe):
jobs differ in cost (a group of alike citations against a lone one), and a forked worker runs
slower than its parent (the pages it touches are copied), so halves fixed in advance leave one
process waiting for the other. It is used only where it cannot change a byte of the result:

- on Linux, in a process with a single thread (a fork copies one thread only);
- when a worker's rendering left the state the jobs share unchanged (``unchanged`` is asked
  in the worker after its slice): otherwise the caller renders everything in order.

Results travel as JSON: ``render`` returns what JSON gives back as it was (strings, numbers,
``None``, lists, dicts with string keys), or the caller turns it back (tuples come as lists).
"""

from __future__ import annotations

import json
import os
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_PER_WORKER = 150  # fewer jobs a process do not pay for a fork
CHUNKS_PER_WORKER = 12  # chunks dealt a process, on average: fine enough to even out, few enough to be cheap


def workers() -> int:
    """How many processes may render at once: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def split(jobs: int, limit: int | None = None) -> int:
    """Into how many processes ``jobs`` would be split (1: not split)."""
    n = min(limit or workers(), jobs // MIN_PER_WORKER, 8)
    # (macOS has fork, but a forked child may crash in its system frameworks: Python's own
    # multiprocessing does not fork there)
    if n < 2 or sys.platform != "linux" or threading.active_count() != 1:
        return 1
    return n


def fanout(render: Callable[[T], R], jobs: Sequence[T], unchanged: Callable[[], bool],
           limit: int | None = None, meanwhile: Callable[[], object] | None = None) -> list[R] | None:
    """``[render(job) for job in jobs]``, in forked workers; None when the work was not split
    (see ``split``) or when a worker, or the parent, reports that shared state changed (the
    caller then restores that state and renders in order). ``meanwhile`` runs once in any case,
    in this process: after the workers have started, before it takes jobs of its own (the
    workers go on with theirs while it writes what an earlier call gave, say)."""
    n = split(len(jobs), limit)
    if n < 2:
        if meanwhile is not None:
            meanwhile()
        return None
    size = max(1, len(jobs) // (n * CHUNKS_PER_WORKER))
    starts = range(0, len(jobs), size)
    tickets_in, tickets_out = os.pipe()
    # Every ticket is written before the first fork, in one write below the pipe's atomic size,
    # and the writing end is closed: a read then takes one whole ticket, or none at the end.
    os.write(tickets_out, b"".join(struct.pack("=I", start) for start in starts))
    os.close(tickets_out)

    def chunks() -> dict[int, list[R]]:
        done: dict[int, list[R]] = {}
        while len(ticket := os.read(tickets_in, 4)) == 4:
            start = struct.unpack("=I", ticket)[0]
            done[start] = [render(job) for job in jobs[start:start + size]]
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
                    data = json.dumps({"ok": unchanged(), "chunks": mine}).encode()
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
            answer = json.loads(data) if os.waitstatus_to_exitcode(status) == 0 else {}
        except ValueError:
            answer = {}
        if not answer.get("ok") or not isinstance(answer.get("chunks"), list):
            ok = False
            continue
        for start, texts in answer["chunks"]:
            found[start] = texts
    results = [text for start in starts for text in found.get(start, ())]
    return results if ok and len(results) == len(jobs) and len(found) == len(starts) else None


def _reap(children: list[tuple[int, int]]) -> None:
    for pid, read in children:
        try:
            os.close(read)
            os.waitpid(pid, 0)
        except OSError:
            pass
