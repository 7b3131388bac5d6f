"""The collector paused for bulk work (bibkit.collector): off in the block, on after it, and
none of the block's survivors left for the next young-generation pass to examine."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from bibkit.collector import paused

from conftest import bibkit


@pytest.fixture(autouse=True)
def collecting() -> Iterator[None]:
    """The collector on, as in a fresh process, whatever an earlier test left."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_the_block_runs_without_the_collector_and_leaves_nothing_young() -> None:
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
        kept = [[n] for n in range(50_000)]  # survivors of the block
        assert gc.get_count()[0] > 10_000
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # nothing left frozen
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert id(kept) in oldest and id(kept[0]) in oldest and id(kept[-1]) in oldest  # no young pass walks them


def test_a_cycle_made_in_the_block_is_still_collected() -> None:
    with paused():
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
    assert gone() is not None  # a cycle: not freed by reference counting
    gc.collect()
    assert gone() is None


def test_a_block_inside_another_leaves_the_collector_off_and_an_off_collector_stays_off() -> None:
    with paused():
        with paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_import_run_in_this_process_leaves_the_collector_on(tmp_path: Path) -> None:
    """`bibkit import` pauses the collector for its records, and gives it back (the API and the
    tests run commands in-process)."""
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{smith2020, title={A Title}, author={Smith, Ann}, year={2020}, journal={J}}\n")
    result = bibkit("import", bib, "--into", tmp_path / "records")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "records" / "smith2020.yaml").exists()
    assert gc.isenabled()
