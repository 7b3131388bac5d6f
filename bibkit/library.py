"""A collection as files: which files are records, and what loading one gave.

Kept apart from ``bibkit.loader`` (which parses YAML) so that a run answered from the record
store, which never parses a file, does not import PyYAML.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from bibkit import keys
from bibkit.diagnostics import Diagnostic, Severity, Span

if TYPE_CHECKING:  # (annotations only: a run answered from the record store never imports the model)
    from bibkit.model import Record

MAX_BYTES = 4 * 1024 * 1024  # the largest shipped record (450 authors) is 22 kB


def read_capped(fh: BinaryIO, size: int | None = None) -> bytes:
    """A record file's bytes, or its first ``MAX_BYTES + 1``: enough to know it is too large.

    The buffer is sized by the file's size, not by the limit: a read of ``MAX_BYTES + 1`` at once
    maps that much memory (and gives most of it back) for every file of a few hundred bytes. A
    file that grew since its size (``size``, else its stat now) was read is read on, up to the limit."""
    if size is None:
        size = os.fstat(fh.fileno()).st_size
    data = fh.read(min(size, MAX_BYTES) + 1)
    if size < len(data) <= MAX_BYTES:
        data += fh.read(MAX_BYTES + 1 - len(data))
    return data


@dataclass(slots=True)
class Loaded:
    """One file: its record (when it could be built), where each value stood, what is wrong."""

    path: Path
    record: Record | None = None
    spans: dict[str, Span] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def span(self, name: str) -> Span:
        return self.spans.get(name, Span())

    def diag(self, name: str, code: str, message: str,
             severity: Severity = Severity.ERROR) -> Diagnostic:
        return Diagnostic(self.path, self.span(name), code, message, severity)


@dataclass(slots=True)
class Library:
    loaded: list[Loaded]

    @property
    def records(self) -> list[Record]:
        return [lo.record for lo in self.loaded if lo.record is not None]


def record_paths(paths: Iterable[Path]) -> list[Path]:
    """Expand directories to their ``*.yaml`` files, in a stable order."""
    return [Path(p) for p in record_files(paths)]


def record_files(paths: Iterable[Path]) -> list[str]:
    """``record_paths`` as the strings pathlib would print, without making a Path of each (at
    10,000 records that is most of a warm run's own time)."""
    out: list[str] = []
    for p in paths:
        if p.is_dir():
            base = str(p)
            prefix = "" if base == "." else base if base.endswith(os.sep) else base + os.sep
            # By name: within one directory that is pathlib's order.
            with os.scandir(p) as entries:
                out.extend(prefix + name for name in sorted(e.name for e in entries if e.name.endswith(keys.SUFFIX)))
        else:
            out.append(str(p))
    return out


def has_record_files(paths: Iterable[Path]) -> bool:
    """Whether ``record_files(paths)`` has any: stops at the first (a run lists them all later)."""
    for p in paths:
        if not p.is_dir():
            return True
        with os.scandir(p) as entries:
            if any(e.name.endswith(keys.SUFFIX) for e in entries):
                return True
    return False
