"""Forked workers (bibkit.fanout): the jobs' results in the jobs' order, dealt in
chunks to whichever process is free, and nothing when any process reports a change."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable

import pytest

from bibkit import fanout


@pytest.fixture(autouse=True)
def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fanout, "workers", lambda: 2)


def test_results_come_back_in_the_order_of_the_jobs() -> None:
    jobs = list(range(1000))
    assert fanout.fanout(lambda n: [n, str(n * n)], jobs, lambda: True) == [[n, str(n * n)] for n in jobs]


def test_results_come_back_as_they_were_returned() -> None:
    """Tuples stay tuples and dicts keep keys that are not strings, whichever process rendered them."""
    jobs = list(range(400))

    def render(n: int) -> tuple[int, dict[int, list[str | None]], float]:
        return n, {n: ["é" * (n % 3), None]}, n / 7

    assert fanout.fanout(render, jobs, lambda: True) == [render(n) for n in jobs]


def test_slow_jobs_are_shared_whichever_half_of_the_list_they_are_in() -> None:
    """The first half of the jobs is slow: halves fixed in advance would leave them all to one
    process. Dealt in chunks, both processes render some of them, and each renders fewer than
    all of them."""
    parent = os.getpid()

    def render(n: int) -> int:
        if n < 150:
            time.sleep(0.004)
        return os.getpid()

    pids = fanout.fanout(render, list(range(300)), lambda: True)
    assert pids is not None
    slow = pids[:150]
    assert parent in slow and any(pid != parent for pid in slow)


def test_a_worker_that_changed_shared_state_makes_the_caller_render_in_order() -> None:
    parent = os.getpid()
    assert fanout.fanout(lambda n: n, list(range(400)), lambda: os.getpid() == parent) is None
    assert fanout.fanout(lambda n: n, list(range(400)), lambda: os.getpid() != parent) is None


def _failing_elsewhere(parent: int) -> Callable[[int], int]:
    """A job that fails in any process but ``parent``, and takes long enough that another
    process takes a chunk before ``parent`` has taken them all."""
    def render(n: int) -> int:
        if os.getpid() != parent:
            raise ValueError("another process's error")
        time.sleep(0.001)
        return n

    return render


def test_a_worker_that_fails_makes_the_caller_render_in_order() -> None:
    assert fanout.fanout(_failing_elsewhere(os.getpid()), list(range(400)), lambda: True) is None


def test_too_few_jobs_are_not_split() -> None:
    assert fanout.fanout(lambda n: n, list(range(2 * fanout.MIN_PER_WORKER - 1)), lambda: True) is None
    assert fanout.fanout(lambda n: n, list(range(2 * fanout.MIN_PER_WORKER)), lambda: True) is not None


@pytest.mark.parametrize("jobs", [400, 10])
def test_meanwhile_runs_once_here_while_the_workers_start(jobs: int) -> None:
    """Split or not, ``meanwhile`` runs once, in this process; when split, before this process
    has taken any job, so that a worker has the first chunks (this process is busy meanwhile)."""
    parent = os.getpid()
    calls: list[int] = []

    def busy() -> None:
        calls.append(os.getpid())
        time.sleep(0.2)

    pids = fanout.fanout(lambda n: os.getpid(), list(range(jobs)), lambda: True, meanwhile=busy)
    assert calls == [parent]
    if jobs >= 2 * fanout.MIN_PER_WORKER:
        assert pids is not None and pids[0] != parent  # the worker took the first chunk
    else:
        assert pids is None


@pytest.mark.parametrize("processes", [2, 8])
@pytest.mark.parametrize("jobs", [1, 5, 300, 1000, 12345, 10**6])
def test_chunks_cover_the_jobs_in_order_and_shrink_to_the_end(jobs: int, processes: int) -> None:
    """Every job in exactly one chunk, in order; no more tickets than one write to the pipe
    holds; each chunk no larger than the one before, the last ones small (a large last chunk
    leaves the other processes waiting for it)."""
    bounds = fanout._chunks(jobs, processes)
    assert bounds[0][0] == 0 and bounds[-1][1] == jobs
    assert all(stop == start for (_, stop), (start, _) in itertools.pairwise(bounds))
    sizes = [stop - start for start, stop in bounds]
    assert all(size > 0 for size in sizes) and sizes == sorted(sizes, reverse=True)
    assert len(bounds) <= 256
    assert max(sizes[-2:]) <= -(-jobs // 256)
    if jobs >= 300:
        assert sizes[0] <= jobs // (processes * 2)  # the first chunk leaves every process a share


def test_a_job_that_is_several_renderings_splits_sooner() -> None:
    """``weight``: a job of several renderings (a disambiguation run) pays for a fork in fewer jobs."""
    jobs = fanout.MIN_PER_WORKER  # one process's worth of single renderings: not split
    assert fanout.split(jobs) == 1
    assert fanout.split(jobs, weight=2) == 2
    assert fanout.fanout(lambda n: n * n, list(range(jobs)), lambda: True) is None
    assert fanout.fanout(lambda n: n * n, list(range(jobs)), lambda: True, weight=2) == [n * n for n in range(jobs)]


def _no_children() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _stages(stages: int) -> tuple[list[list[int] | None], list[int]]:
    """``stages`` fan-outs in a team, each on the results of the one before, as a list's stages
    go; (each stage's results, the processes that rendered jobs)."""
    results: list[list[int] | None] = []
    seen: list[int] = []
    offset = 0
    for _ in range(stages):
        def render(n: int, offset: int = offset) -> list[int]:
            time.sleep(0.0002)  # (work that takes time: every process gets some)
            return [n + offset, os.getpid()]

        found = fanout.fanout(render, list(range(400)), lambda: True)
        results.append(None if found is None else [value for value, _ in found])
        seen.extend(pid for _, pid in found or ())
        offset = sum(results[-1] or ()) % 7  # the next stage depends on this one's results
    return results, seen


def test_a_team_forks_once_for_all_of_a_lists_stages() -> None:
    """In a team, each stage's jobs are shared among the same processes, forked once, and each
    stage gives what it gives in order; when the team ends, its members are gone."""
    parent = os.getpid()
    with fanout.team(400):
        results, seen = _stages(4)
    assert os.getpid() == parent and _no_children()
    expected, offset = [], 0
    for _ in range(4):
        expected.append([n + offset for n in range(400)])
        offset = sum(expected[-1]) % 7
    assert results == expected
    members = set(seen) - {parent}
    assert len(members) == 1  # one member, forked once, rendered jobs of every stage


def test_a_team_member_that_changed_shared_state_makes_every_process_render_in_order() -> None:
    parent = os.getpid()
    with fanout.team(400):
        first = fanout.fanout(lambda n: n, list(range(400)), lambda: os.getpid() == parent)
        second = fanout.fanout(lambda n: n * 2, list(range(400)), lambda: True)
    assert first is None and second == [n * 2 for n in range(400)]  # the team goes on
    assert _no_children()


def test_a_team_member_that_fails_leaves_the_list_to_this_process() -> None:
    with fanout.team(400):
        assert fanout.fanout(_failing_elsewhere(os.getpid()), list(range(400)), lambda: True) is None
        assert fanout._team is None  # dismissed: later stages fork workers of their own
        assert fanout.fanout(lambda n: n + 1, list(range(400)), lambda: True) == [n + 1 for n in range(400)]
    assert _no_children()


def test_an_error_here_ends_the_team() -> None:
    with pytest.raises(KeyError), fanout.team(400):
        assert fanout.fanout(lambda n: n, list(range(400)), lambda: True) == list(range(400))
        raise KeyError("here")
    assert fanout._team is None and _no_children()


def test_a_team_forms_at_its_first_split_and_not_for_too_few_jobs() -> None:
    with fanout.team(2 * fanout.MIN_PER_WORKER - 1):  # no team: a fan-out forks workers of its own
        assert fanout.fanout(lambda n: n, list(range(400)), lambda: True) == list(range(400))
        assert fanout._team is None and _no_children()
    with fanout.team(2 * fanout.MIN_PER_WORKER):
        assert fanout.fanout(lambda n: n, list(range(10)), lambda: True) is None  # not split
        assert fanout._team is None and _no_children()  # nothing forked yet
        assert fanout.fanout(lambda n: n, list(range(400)), lambda: True) == list(range(400))
        assert fanout._team is not None
    assert fanout._team is None and _no_children()


def test_a_team_that_cannot_fork_leaves_the_list_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    with fanout.team(400):
        assert fanout.fanout(lambda n: n, list(range(400)), lambda: True) is None
        assert fanout._team is None and not fanout._pending


def test_a_fan_out_that_cannot_fork_leaves_the_work_to_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a team, a refused fork is no error: None (the caller renders in order), and
    ``meanwhile`` still runs once; after a fan-out that forked, no worker is left."""
    assert fanout.fanout(lambda n: n, list(range(400)), lambda: True) == list(range(400))
    assert _no_children()
    calls: list[int] = []

    def no_fork() -> int:
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert fanout.fanout(lambda n: n, list(range(400)), lambda: True, meanwhile=lambda: calls.append(1)) is None
    assert calls == [1]
