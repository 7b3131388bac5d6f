"""Where each entry of a streamed export (BibTeX, biblatex, CSL-JSON) sits in the file written,
so that the next export into that file copies the entries that did not change from it.

After one edit among 10,000 records, reading every entry from the store, checking and encoding
it and writing it piece by piece took longer than everything else the run did. With the layout,
an entry whose text is the one the file holds (same record, same tag) is not read: runs of such
entries, in the order they were, are copied as one slice of the old file.

The old file is trusted only while it is exactly what the layout describes: its size and hash
are checked before, and its size, time and inode after the copy (``Previous.unchanged``).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import mmap
import os
import struct
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Entries as an export streams them: their records' paths, their tags, and each entry's text or
# the index of the same entry in the old file (a range: a run of it, in order).
Batch = tuple[Sequence[str], Sequence[str], Sequence[str | int]]
_HEADER = struct.Struct("<QQ")  # bytes of the paths, number of entries
TAG_CHARS = 16  # libcache._tag: 8 bytes in hex


@dataclass
class Layout:
    """The entries of one output, in order: each record's path, its entry's tag, its size in bytes."""

    paths: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    sizes: array[int] = field(default_factory=lambda: array("q"))

    def pack(self) -> bytes:
        # Compact, and read back in milliseconds at 100,000 entries (JSON took ten times that).
        paths = "\0".join(self.paths).encode("utf-8", "surrogateescape")
        return _HEADER.pack(len(paths), len(self.tags)) + paths + "".join(self.tags).encode("ascii") \
            + self.sizes.tobytes()

    @classmethod
    def unpack(cls, blob: bytes) -> Layout:
        """The layout ``pack`` gave; ValueError for anything else."""
        try:
            size, n = _HEADER.unpack_from(blob)
            at = _HEADER.size
            if size > len(blob) or (size == 0) != (n == 0) or n > len(blob):
                raise ValueError("not a layout")
            paths = blob[at:at + size].decode("utf-8", "surrogateescape").split("\0") if n else []
            at += size
            tags_text = blob[at:at + n * TAG_CHARS].decode("ascii")
            at += n * TAG_CHARS
            sizes = array("q")
            sizes.frombytes(blob[at:])
        except (struct.error, UnicodeDecodeError) as exc:
            raise ValueError("not a layout") from exc
        tags = [tags_text[i:i + TAG_CHARS] for i in range(0, len(tags_text), TAG_CHARS)]
        if not len(paths) == len(tags) == len(sizes) == n or any(s < 0 for s in sizes):
            raise ValueError("not a layout")
        return cls(paths, tags, sizes)


@dataclass(frozen=True)
class Frame:
    """What an output holds besides its entries (``exporters.Stream``), encoded."""

    head: bytes
    separator: bytes
    tail: bytes
    empty: bytes  # the whole output when there is no entry


class Previous:
    """The output file as the last export wrote it, mapped (not read: at a million entries it is
    half a gigabyte), with its layout: where each record's entry is."""

    def __init__(self, path: Path, layout: Layout, frame: Frame, size: int, digest: str) -> None:
        self.layout = layout
        self.described = f"{size} {digest}"  # as the store keeps it
        self.index = {p: i for i, p in enumerate(layout.paths)}
        self.starts = list(itertools.accumulate(
            (s + len(frame.separator) for s in layout.sizes[:-1]), initial=len(frame.head)))
        self._fd = os.open(path, os.O_RDONLY)
        try:
            self._stat = os.fstat(self._fd)
            self._map = mmap.mmap(self._fd, 0, access=mmap.ACCESS_READ) if self._stat.st_size else None
        except BaseException:
            os.close(self._fd)
            raise
        self.view = memoryview(self._map) if self._map is not None else memoryview(b"")
        expected = len(frame.head) + sum(layout.sizes) + len(frame.separator) * max(len(layout.sizes) - 1, 0) \
            + len(frame.tail)
        self.valid = self._stat.st_size == size == expected and self._digest() == digest

    def _digest(self) -> str:
        return hashlib.blake2b(self.view, digest_size=16).hexdigest()

    def held(self, paths: list[str], tags: list[str]) -> Sequence[int | None]:
        """The index in the old file of each of the entries of ``paths`` if it is the entry
        tagged so, else None. After an edit, most batches are a run of the old file, in order:
        for those a range, found by comparing lists, not entry by entry."""
        first = self.index.get(paths[0]) if paths else None
        if first is not None:
            end = first + len(paths)
            if self.layout.paths[first:end] == paths and self.layout.tags[first:end] == tags:
                return range(first, end)
        index, old = self.index, self.layout.tags
        return [i if (i := index.get(path)) is not None and old[i] == tag else None
                for path, tag in zip(paths, tags, strict=True)]

    def entries(self, first: int, last: int) -> memoryview:
        """Entries ``first`` to ``last`` of the old file, with the separators between them."""
        return self.view[self.starts[first]:self.starts[last] + self.layout.sizes[last]]

    def unchanged(self) -> bool:
        """The old file is still the one checked (nobody wrote into it while it was copied)."""
        now = os.stat(self._fd)
        return (now.st_size, now.st_mtime_ns, now.st_ino) == \
            (self._stat.st_size, self._stat.st_mtime_ns, self._stat.st_ino)

    def close(self) -> None:
        # A slice still held elsewhere (by a frame of an exception on its way up) keeps the
        # mapping: it is then unmapped when the last slice goes, not here.
        with contextlib.suppress(BufferError):
            self.view.release()
            if self._map is not None:
                self._map.close()
        os.close(self._fd)


def kept_form(described: str, layout: Layout) -> tuple[str, bytes]:
    """What the store keeps for an output ``described`` by its "size hash": that, with the hash
    of the packed layout (a damaged layout would cut the old file at the wrong places), and the
    packed layout."""
    packed = layout.pack()
    return f"{described} {hashlib.blake2b(packed, digest_size=16).hexdigest()}", packed


def previous(path: Path, kept: tuple[str, bytes | None] | None, frame: Frame) -> Previous | None:
    """The last output at ``path`` with its layout as ``kept_form`` gave it to the store, if the
    layout is undamaged and the file is still exactly that output; else None."""
    if kept is None or kept[1] is None:
        return None
    try:
        size, digest, packed = kept[0].split(" ")
        if hashlib.blake2b(kept[1], digest_size=16).hexdigest() != packed:
            return None
        found = Previous(path, Layout.unpack(kept[1]), frame, int(size), digest)
    except (OSError, ValueError):
        return None
    if not found.valid:
        found.close()
        return None
    return found


def assemble(frame: Frame, batches: Iterable[Batch], old: Previous | None,
             layout: Layout) -> Iterator[bytes | memoryview]:
    """The output's chunks for ``batches`` (``Batch``); ``layout`` is filled with where each entry
    goes. Consecutive entries that were consecutive in ``old`` come as one slice of it."""
    run: tuple[int, int] | None = None  # old entries first..last, to copy as one slice
    started = False
    for paths, tags, entries in batches:
        layout.paths.extend(paths)
        layout.tags.extend(tags)
        if isinstance(entries, range) and entries:
            assert old is not None
            layout.sizes.extend(old.layout.sizes[entries.start:entries.stop])
            if run is not None and entries.start == run[1] + 1:
                run = (run[0], entries.stop - 1)
                continue
            if run is not None:
                yield old.entries(*run)
            yield frame.separator if started else frame.head
            started = True
            run = (entries.start, entries.stop - 1)
            continue
        for entry in entries:
            if isinstance(entry, int):
                assert old is not None
                layout.sizes.append(old.layout.sizes[entry])
                if run is not None and entry == run[1] + 1:
                    run = (run[0], entry)
                    continue
            if run is not None:
                assert old is not None
                yield old.entries(*run)
                run = None
            yield frame.separator if started else frame.head
            started = True
            if isinstance(entry, int):
                run = (entry, entry)
            else:
                data = entry.encode("utf-8")
                layout.sizes.append(len(data))
                yield data
    if run is not None:
        assert old is not None
        yield old.entries(*run)
    yield frame.tail if started else frame.empty


@contextlib.contextmanager
def opened(path: Path | None, kept: tuple[str, bytes | None] | None,
           frame: Frame | None) -> Iterator[Previous | None]:
    """``previous`` for the run of a ``with``, closed at its end."""
    found = previous(path, kept, frame) if path is not None and frame is not None else None
    try:
        yield found
    finally:
        if found is not None:
            found.close()
