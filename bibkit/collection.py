"""A collection of record files, checked and exported through the record store.

What ``bibkit validate``, ``export`` and ``build`` do, as functions: each run brings the store up
to date with the files (parsing only what changed), answers from it, and writes an export
piece by piece, so that neither time nor memory follows the size of the collection where only
a record changed.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from bibkit.diagnostics import BibkitError, Diagnostic
from bibkit.exporters import LISTS, STREAMS, ExportOptions, Stream, fingerprint, list_item, sort_records
from bibkit.layout import Batch, Frame, Layout, Previous, assemble, kept_form, opened
from bibkit.libcache import Checks, Renderer, Store, StoreDamaged
from bibkit.library import Library
from bibkit.select import Selection, check_keys, matches, select

if TYPE_CHECKING:  # (annotations only: a run answered from the record store never imports the model)
    from bibkit.model import Record

T = TypeVar("T")


def with_store(store: Store, work: Callable[[Store], T]) -> T:
    """``work(store)``; if the store holds something it cannot read back exactly, once more
    from an emptied store."""
    try:
        return work(store)
    except StoreDamaged:
        store.reset()
        return work(store)


def validate(store: Store, today: date, rules: Iterable[str] = ()) -> tuple[list[Diagnostic], int]:
    """Every finding for the collection (with the opt-in ``rules``), sorted by file and position;
    and how many files."""
    checks = Checks(today, tuple(rules))

    def run(s: Store) -> tuple[list[Diagnostic], int]:
        refreshed = s.refresh(checks)
        return s.findings(refreshed), len(refreshed.paths)

    return with_store(store, run)


def checked_library(store: Store, today: date, rules: Iterable[str] = ()) -> tuple[list[Diagnostic], Library, bool]:
    """``validate``'s findings, every record, and whether a file could not be read (``build``)."""
    checks = Checks(today, tuple(rules))

    def run(s: Store) -> tuple[list[Diagnostic], Library, bool]:
        refreshed = s.refresh(checks)
        return s.findings(refreshed), s.library(), s.unreadable()

    return with_store(store, run)


@dataclass
class Exported:
    findings: list[Diagnostic]
    written: bool  # False: the export was stopped (validate.blocks_export), nothing was written
    changed: bool = False  # the output file's content changed
    size: int = 0  # bytes of output


@dataclass
class _Chosen:
    """What an export takes: the records' paths (None: every record), or, when a paper's
    citations name records (``--aux``), the records themselves as the paper names them, each
    with its path when it is the record as stored; and the findings about the citations."""

    paths: set[str] | None = None
    records: list[tuple[Record, str | None]] | None = None
    findings: list[Diagnostic] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.records if self.records is not None else self.paths is not None and not self.paths


def export(store: Store, today: date, fmt: str, options: ExportOptions, selection: Selection,
           output: Path | None, stdout: BinaryIO, rules: Iterable[str] = (), strict: bool = False) -> Exported:
    """Check the collection (with the opt-in ``rules``), then write it as ``fmt`` to ``output``
    (atomically; left untouched when unchanged) or to ``stdout``: every record as completely as
    it allows, unless ``validate.blocks_export`` says the findings stop the export."""
    from bibkit.rules import blocks_export

    checks = Checks(today, tuple(rules))
    stream = STREAMS.get(fmt)
    kind = fingerprint(fmt, options)  # (a list's: its style and locale files, read and stat'ed once)
    render: Renderer | None = None
    meanwhile: Callable[[], object] | None = None
    if stream is not None:
        render = (f"{fmt}:{kind}", lambda record: stream.entry(record, options))
    elif fmt in LISTS:
        # The records' CSL items are made where they are parsed (in parallel), and the style is
        # compiled meanwhile.
        render = ("csl-item", list_item)
        meanwhile = functools.partial(_prepare_style, options)

    def run(s: Store) -> Exported:
        refreshed = s.refresh(checks, render, meanwhile)
        chosen = _choose(s, selection)
        found = s.findings(refreshed) + chosen.findings
        if blocks_export(s.unreadable(), found, strict):
            return Exported(found, False)
        if chosen.empty:
            raise BibkitError(f"no record in {', '.join(map(str, s.targets))} matches the selection; "
                              "nothing was exported")
        # An output file that holds what this run would write again (same files, format, options
        # and selection) is left as it is, without reading the entries.
        written = f"written:{fmt}:{kind}:{selection!r}"
        digest = s.digest(today)
        if output is not None:
            kept = s.result(written, digest)
            size = _holds(output, kept[1]) if kept is not None and kept[1] is not None else None
            if size is not None:
                return Exported(found, True, False, size)
        job = _Job(today, fmt, options, kind, selection, render, chosen, found, written, digest)
        # Entries may be copied from the file this export replaces, if it is still what the last
        # export of this kind wrote (layout.py); if that file changes meanwhile, it starts over.
        reuse = output if job.frame is not None and chosen.records is None else None
        with opened(reuse, s.kept(job.layout_key) if reuse else None, job.frame) as old:
            try:
                return _write(s, job, output, stdout, old)
            except Moved:
                pass
        return _write(s, job, output, stdout, None)

    return with_store(store, run)


def _prepare_style(options: ExportOptions) -> None:
    from bibkit.exporters.citeproc import prepare

    prepare(options.style, options.locale)


@dataclass
class _Job:
    """What one export writes, and the names it keeps what it wrote under."""

    today: date
    fmt: str
    options: ExportOptions
    kind: str  # ``fingerprint(fmt, options)``
    selection: Selection
    render: Renderer | None
    chosen: _Chosen
    found: list[Diagnostic]
    written: str  # the kept size and hash of the output, for the collection's ``digest``
    digest: str

    @property
    def layout_key(self) -> str:  # the kept layout of the output (whatever the collection was)
        return f"layout:{self.written}"

    @functools.cached_property
    def frame(self) -> Frame | None:
        stream = STREAMS.get(self.fmt)
        return None if stream is None else Frame(*(
            part.encode("utf-8") for part in (stream.head, stream.separator, stream.tail, stream.empty)))


class Moved(Exception):
    """The file an export copies entries from changed while they were copied."""


def _write(store: Store, job: _Job, output: Path | None, stdout: BinaryIO, old: Previous | None) -> Exported:
    """Write the export to ``output`` or ``stdout``, entries copied from ``old`` where it holds
    them; keep what the next run needs to skip or copy them."""
    from bibkit.write import write_chunks_if_changed

    content = hashlib.blake2b(digest_size=16)
    layout = Layout()
    size = 0

    def hashed() -> Iterator[bytes | memoryview]:
        nonlocal size
        for chunk in _chunks(store, job, old, layout):
            content.update(chunk)
            size += len(chunk)
            yield chunk
        if old is not None and not old.unchanged():
            raise Moved

    if output is not None:
        # The file replaced is the old output, whose size and hash ``old`` has checked.
        same = (lambda: old.described == f"{size} {content.hexdigest()}") if old is not None else None
        changed = write_chunks_if_changed(output, hashed(), same)
        described = f"{size} {content.hexdigest()}"
        store.keep_result(job.written, job.digest, [], described.encode())
        if layout.paths and job.chosen.records is None:  # a paper's citations are never copied from
            digest, packed = kept_form(described, layout)
            store.keep_result(job.layout_key, digest, [], packed)
        return Exported(job.found, True, changed, size)
    # To standard output through a temporary file: a damaged store found half-way starts the
    # export again, and the reader never sees a half-written output.
    with tempfile.TemporaryFile() as spool:
        for chunk in hashed():
            spool.write(chunk)
        spool.seek(0)
        shutil.copyfileobj(spool, stdout)
    stdout.flush()
    return Exported(job.found, True, True, size)


def _holds(output: Path, kept: bytes) -> int | None:
    """The size of ``output`` if it holds what ``kept`` (its size and hash) describes, else None."""
    try:
        size, digest = kept.decode().split(" ")
        if output.stat().st_size != int(size):
            return None
        with output.open("rb") as fh:
            if hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=16)).hexdigest() != digest:
                return None
        return int(size)
    except (OSError, ValueError):
        return None


def _choose(store: Store, selection: Selection) -> _Chosen:
    """The records ``selection`` takes (every key it names must exist), and with ``--aux`` the
    findings about the paper's citations (``select.choose``)."""
    cited = selection.cited
    rest = dataclasses.replace(selection, cited=None)
    if cited is not None:  # (imported only then: most exports cite nothing)
        from bibkit.aux import cited_records
    if cited is not None and not cited.everything:
        # Only the records the paper names matter: found on compact keys, read from the store.
        wanted = {c.key for c in cited.citations}
        paths = {path for path, key, ids in store.names() if key in wanted or not wanted.isdisjoint(ids)}
        loaded = [lo for lo in store.loaded(paths) if lo.record is not None]
        stored = {id(lo.record): str(lo.path) for lo in loaded}
        records, about = cited_records([lo.record for lo in loaded if lo.record is not None], cited)
        return _Chosen(records=[(r, stored.get(id(r))) for r in select(records, rest)], findings=about)
    findings: list[Diagnostic] = []
    if cited is not None:  # \nocite{*}: every record, and the findings about the other citations
        findings = cited_records(store.library().records, cited)[1]
    if rest.everything:
        return _Chosen(findings=findings)
    keys: list[str] = []
    chosen: set[str] = set()
    for lo in store.loaded():
        if lo.record is not None:
            keys.append(lo.record.key)
            if matches(lo.record, rest):
                chosen.add(str(lo.path))
    check_keys(keys, rest)
    return _Chosen(paths=chosen, findings=findings)


def _chunks(store: Store, job: _Job, old: Previous | None, layout: Layout) -> Iterator[bytes | memoryview]:
    stream, render, chosen = STREAMS.get(job.fmt), job.render, job.chosen
    if stream is not None and render is not None and job.frame is not None:
        entries: Iterable[Batch]
        if chosen.records is not None:
            entries = _cited_entries(store, stream, render, chosen.records)
        else:
            entries = store.entries(render, chosen.paths, crossref_last=stream.crossref_last,
                                    held=old.held if old is not None else None)
        yield from assemble(job.frame, entries, old, layout)
        return
    # A formatted list: sorting, numbering and year suffixes depend on every entry, so it is
    # rendered whole, and kept whole for as long as nothing changes (the selection holds every
    # citation of --aux, with its place: a changed .aux is another list).
    from bibkit.exporters import export as render_all

    what = f"list:{job.fmt}:{job.kind}:{job.selection!r}"
    digest = store.digest(job.today)
    kept = store.result(what, digest)
    if kept is not None and kept[1] is not None:
        yield kept[1]
        return
    if chosen.records is not None:
        data = render_all([r for r, _ in chosen.records], job.fmt, job.options)
    elif render is not None:  # LISTS: the stored CSL items, in the export's order (by key)
        from bibkit.exporters import export_items

        items = []
        for _, _, texts in store.entries(render, chosen.paths):
            for text in texts:
                assert isinstance(text, str)  # (a place in an old file only with ``held``)
                items.append(json.loads(text))
        data = export_items(items, job.fmt, job.options)
    else:
        data = render_all([lo.record for lo in store.loaded(chosen.paths) if lo.record is not None], job.fmt,
                          job.options)
    store.keep_result(what, digest, job.found, data)
    yield data


def _cited_entries(store: Store, stream: Stream, render: Renderer,
                   records: list[tuple[Record, str | None]]) -> Iterator[Batch]:
    """Records as a paper cites them: few, and some under other names than stored (no layout:
    such an output is never copied from)."""
    from bibkit.exporters.crossref import crossref_order

    stored = {id(r): path for r, path in records}
    ordered = sort_records([r for r, _ in records])
    for record in crossref_order(ordered) if stream.crossref_last else ordered:
        path = stored[id(record)]
        yield [""], [""], [store.entry(path, render, record) if path is not None else render[1](record)]
