"""A collection of record files, checked and exported through the record store.

What ``bibkit validate`` and ``bibkit export`` do, as functions: each run brings the store up
to date with the files (parsing only what changed), answers from it, and writes an export
piece by piece, so that neither time nor memory follows the size of the collection where only
a record changed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, TypeVar

from bibkit.diagnostics import BibkitError, Diagnostic, Severity
from bibkit.export import STREAMS, ExportOptions, fingerprint
from bibkit.libcache import Store, StoreDamaged
from bibkit.select import Selection, check_keys, matches

T = TypeVar("T")


def with_store(store: Store, work: Callable[[Store], T]) -> T:
    """``work(store)``; if the store holds something it cannot read back exactly, once more
    from an emptied store."""
    try:
        return work(store)
    except StoreDamaged:
        store.reset()
        return work(store)


def validate(store: Store, today: date) -> tuple[list[Diagnostic], int]:
    """Every finding for the collection, sorted by file and position; and how many files."""

    def run(s: Store) -> tuple[list[Diagnostic], int]:
        refreshed = s.refresh(today)
        return s.findings(refreshed), len(refreshed.paths)

    return with_store(store, run)


@dataclass
class Exported:
    findings: list[Diagnostic]
    written: bool  # False: the records have errors, and nothing was written
    changed: bool = False  # the output file's content changed
    size: int = 0  # bytes of output


def export(store: Store, today: date, fmt: str, options: ExportOptions, selection: Selection,
           output: Path | None, stdout: BinaryIO) -> Exported:
    """Check the collection, then (if no record has an error) write it as ``fmt`` to ``output``
    (atomically; left untouched when unchanged) or to ``stdout``."""
    from bibkit.write import write_chunks_if_changed

    def run(s: Store) -> Exported:
        stream = STREAMS.get(fmt)
        what = f"{fmt}:{fingerprint(fmt, options)}"
        render = (what, lambda record: stream.entry(record, options)) if stream else None
        refreshed = s.refresh(today, render)
        found = s.findings(refreshed)
        if any(d.severity is Severity.ERROR for d in found):
            return Exported(found, False)
        # The whole output goes to a temporary file first: a damaged store found half-way
        # starts the export again, and the reader never sees a half-written output.
        spool = Path(tempfile.mkdtemp(prefix="bibkit-export-"))
        try:
            part = spool / "output"
            with part.open("wb") as fh:
                for chunk in _chunks(s, today, fmt, options, selection, render, found):
                    fh.write(chunk)
            size = part.stat().st_size
            changed = True
            if output is None:
                with part.open("rb") as fh:
                    shutil.copyfileobj(fh, stdout)
                stdout.flush()
            else:
                with part.open("rb") as fh:
                    changed = write_chunks_if_changed(output, iter(lambda: fh.read(1 << 20), b""))
        finally:
            shutil.rmtree(spool, ignore_errors=True)
        return Exported(found, True, changed, size)

    return with_store(store, run)


def _chunks(store: Store, today: date, fmt: str, options: ExportOptions, selection: Selection,
            render: tuple[str, Callable[..., str]] | None, found: Sequence[Diagnostic]) -> Iterator[bytes]:
    chosen = None if selection.everything else _selected(store, selection)
    stream = STREAMS.get(fmt)
    if stream is not None and render is not None:
        entries = store.entries(render, chosen)
        first = next(entries, None)
        if first is None:
            yield stream.empty.encode("utf-8")
            return
        yield (stream.head + first).encode("utf-8")
        for entry in entries:
            yield (stream.separator + entry).encode("utf-8")
        yield stream.tail.encode("utf-8")
        return
    # A formatted list: sorting, numbering and year suffixes depend on every entry, so it is
    # rendered whole, and kept whole for as long as nothing changes.
    from bibkit.export import export as render_all

    what = f"list:{fmt}:{fingerprint(fmt, options)}:{selection!r}"
    digest = store.digest(today)
    kept = store.result(what, digest)
    if kept is not None and kept[1] is not None:
        yield kept[1]
        return
    records = [lo.record for lo in store.loaded() if lo.record is not None and
               (chosen is None or str(lo.path) in chosen)]
    data = render_all(records, fmt, options)
    store.keep_result(what, digest, found, data)
    yield data


def _selected(store: Store, selection: Selection) -> set[str]:
    """The paths of the records the selection takes (every key it names must exist)."""
    keys: list[str] = []
    chosen: set[str] = set()
    for lo in store.loaded():
        if lo.record is not None:
            keys.append(lo.record.key)
            if matches(lo.record, selection):
                chosen.add(str(lo.path))
    check_keys(keys, selection)
    if not chosen:
        raise BibkitError(f"no record in {', '.join(map(str, store.targets))} matches the selection; "
                          "nothing was exported")
    return chosen
