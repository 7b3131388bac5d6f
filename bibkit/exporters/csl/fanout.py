"""Work split over forked processes, for the last stage of a long bibliography.

Once a list is sorted and disambiguated, its entries render independently of each other (a
style's ``subsequent-author-substitute`` apart, which the caller checks). ``fanout`` forks
worker processes, each renders a contiguous slice from a copy of the engine (copy-on-write, no
start-up, no pickled engine), and sends back its strings; the parent renders a slice of its own
meanwhile. It is used only where it cannot change a byte of the result:

- in a process with a single thread and ``os.fork`` (a fork copies one thread only);
- when a worker's rendering left the state the entries share unchanged (``unchanged`` is
  asked in the worker after its slice): otherwise the caller renders everything in order.

Results travel as JSON: ``render`` returns what JSON gives back as it was (strings, numbers,
``None``, lists, dicts with string keys).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_PER_WORKER = 150  # smaller slices do not pay for a fork


def workers() -> int:
    """How many processes may render at once: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def split(jobs: int, limit: int | None = None) -> int:
    """Into how many processes ``jobs`` would be split (1: not split)."""
    n = min(limit or workers(), jobs // MIN_PER_WORKER, 8)
    if n < 2 or not hasattr(os, "fork") or threading.active_count() != 1:
        return 1
    return n


def fanout(render: Callable[[T], R], jobs: Sequence[T], unchanged: Callable[[], bool],
           limit: int | None = None) -> list[R] | None:
    """``[render(job) for job in jobs]``, in forked workers; None when the work was not split
    (see ``split``) or when a worker, or the parent, reports that shared state changed (the
    caller then restores that state and renders in order)."""
    n = split(len(jobs), limit)
    if n < 2:
        return None
    size = -(-len(jobs) // n)
    slices = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    children: list[tuple[int, int]] = []
    try:
        for part in slices[1:]:
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: render, report, leave without running any cleanup
                status = 1
                try:
                    os.close(read)
                    texts = [render(job) for job in part]
                    data = json.dumps({"ok": unchanged(), "texts": texts}).encode()
                    with os.fdopen(write, "wb") as out:
                        out.write(data)
                    status = 0
                finally:
                    os._exit(status)
            os.close(write)
            children.append((pid, read))
        results: list[R] = [render(job) for job in slices[0]]
        ok = unchanged()
    except BaseException:
        _reap(children)
        raise
    for pid, read in children:
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        try:
            answer = json.loads(data) if os.waitstatus_to_exitcode(status) == 0 else {}
        except ValueError:
            answer = {}
        if not answer.get("ok") or not isinstance(answer.get("texts"), list):
            ok = False
            continue
        results.extend(answer["texts"])
    return results if ok and len(results) == len(jobs) else None


def _reap(children: list[tuple[int, int]]) -> None:
    for pid, read in children:
        try:
            os.close(read)
            os.waitpid(pid, 0)
        except OSError:
            pass
