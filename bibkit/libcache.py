"""A persistent cache of parsed records and of results, keyed by what the files hold.

A collection is read as a *snapshot*: every record file's bytes and their BLAKE2 hash. Then:

- a parsed record (``Loaded``: record, positions, load findings) is reused while its file's
  name and bytes are the same, so a one-record edit re-parses one record;
- the findings of ``validate`` and the bytes of an export are reused while the whole snapshot,
  the day (some rules compare dates with today), the format and its options are the same, so an
  unchanged collection is neither parsed nor validated nor rendered again.

Entries are stored as JSON (never pickle: a cache file must not be able to run code), written
atomically, and tagged with bibkit's version and a format number; anything that cannot be read
back exactly is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bibkit import __version__
from bibkit.diagnostics import Diagnostic, Severity, Span
from bibkit.load import MAX_BYTES, Library, Loaded, load_text, record_paths
from bibkit.model import Record
from bibkit.write import write_if_changed

# The findings for a collection, and the bytes of an export of it (None: nothing to write).
Answer = tuple[list[Diagnostic], bytes | None]


def cache_root() -> Path:
    """``BIBKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/bibkit``, else ``~/.cache/bibkit``."""
    explicit = os.environ.get("BIBKIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bibkit"


FORMAT = 2


def _code_stamp() -> str:
    """bibkit's version and its code as installed: a cached answer from other code (an upgrade,
    or an edit in a development checkout) is never used. Stats ~40 files: well under 1 ms."""
    package = Path(__file__).parent
    state = hashlib.blake2b(digest_size=8)
    for source in sorted(package.rglob("*.py")):
        stat = source.stat()
        state.update(f"{source.relative_to(package)}:{stat.st_mtime_ns}:{stat.st_size}\n".encode())
    return f"{FORMAT}:{__version__}:{state.hexdigest()}"


STAMP = _code_stamp()


@dataclass(frozen=True)
class Snapshot:
    files: tuple[tuple[Path, bytes | None, str], ...]  # (path, bytes or None if unreadable, hash)
    digest: str

    @classmethod
    def read(cls, paths: Iterable[Path]) -> Snapshot:
        files = []
        for path in record_paths(paths):
            try:
                with path.open("rb") as fh:
                    data: bytes | None = fh.read(MAX_BYTES + 1)
            except OSError:
                data = None
            files.append((path, data, hashlib.blake2b(data or b"", digest_size=16).hexdigest()))
        whole = hashlib.blake2b(STAMP.encode(), digest_size=16)
        for path, data, digest in files:
            whole.update(f"{path}\0{digest if data is not None else '-'}\n".encode())
        return cls(tuple(files), whole.hexdigest())


def _parse(item: tuple[Path, bytes | None]) -> Loaded:
    from bibkit.load import load_record

    path, data = item
    return load_record(path) if data is None else load_text(path, data)


def parse_all(items: Sequence[tuple[Path, bytes | None]]) -> list[Loaded]:
    """Parse files, one after the other.

    Parsing on both cores was measured and dropped: sending the parsed records back from worker
    processes (pickling 10,000 of them) cost as much as parsing them (docs/performance.md).
    """
    return [_parse(i) for i in items]


class LibraryCache:
    def __init__(self, root: Path | None) -> None:
        self.root = root

    # Parsed records

    def _records_path(self, snapshot: Snapshot) -> Path | None:
        if self.root is None:
            return None
        folders = sorted({str(p.parent.resolve()) for p, _, _ in snapshot.files})
        name = hashlib.blake2b("\n".join(folders).encode(), digest_size=12).hexdigest()
        return self.root / "records" / f"{name}.json"

    def _read_json(self, path: Path | None) -> dict[str, Any]:
        if path is None:
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("stamp") == STAMP else {}

    def _write_json(self, path: Path | None, data: dict[str, Any]) -> None:
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_if_changed(path, json.dumps({"stamp": STAMP, **data}, ensure_ascii=False).encode("utf-8"))
        except OSError:
            pass  # a cache that cannot be written costs time, never correctness

    def library(self, snapshot: Snapshot) -> Library:
        """The parsed collection, re-parsing only files whose name or bytes changed."""
        path = self._records_path(snapshot)
        stored = self._read_json(path).get("files", {})
        loaded: list[Loaded | None] = []
        todo: list[tuple[int, tuple[Path, bytes | None]]] = []
        for i, (file, data, digest) in enumerate(snapshot.files):
            entry = stored.get(str(file))
            hit = _loaded_from_json(file, entry["loaded"]) if isinstance(entry, dict) and \
                entry.get("hash") == digest and data is not None else None
            loaded.append(hit)
            if hit is None:
                todo.append((i, (file, data)))
        for (i, _), fresh in zip(todo, parse_all([item for _, item in todo]), strict=True):
            loaded[i] = fresh
        result = [lo for lo in loaded if lo is not None]
        if todo or len(stored) != len(result):
            self._write_json(path, {"files": {
                str(file): {"hash": digest, "loaded": _loaded_to_json(lo)}
                for (file, data, digest), lo in zip(snapshot.files, result, strict=True) if data is not None}})
        return Library(result)

    # Whole results: findings and exports

    def _result_path(self, *key: str) -> Path | None:
        if self.root is None:
            return None
        name = hashlib.blake2b("\0".join(key).encode(), digest_size=16).hexdigest()
        return self.root / "results" / f"{name}.json"

    def findings(self, snapshot: Snapshot, today: date, *key: str) -> Answer | None:
        data = self._read_json(self._result_path(snapshot.digest, today.isoformat(), *key))
        try:
            found = [_diagnostic_from_json(d) for d in data["findings"]]
            output = data.get("output")
            return found, (output.encode("utf-8") if isinstance(output, str) else None)
        except (KeyError, TypeError, ValueError):
            return None

    def answer(self, snapshot: Snapshot, today: date, key: Sequence[str],
               compute: Callable[[Library], Answer]) -> Answer:
        """The findings (and output) ``compute`` gives for the collection, from the cache while
        the snapshot, the day and ``key`` are the same; computed (and kept) otherwise."""
        hit = self.findings(snapshot, today, *key)
        if hit is not None:
            return hit
        found, output = compute(self.library(snapshot))
        self.put_findings(snapshot, today, found, *key, output=output)
        return found, output

    def put_findings(self, snapshot: Snapshot, today: date, found: Sequence[Diagnostic], *key: str,
                     output: bytes | None = None) -> None:
        data: dict[str, Any] = {"findings": [_diagnostic_to_json(d) for d in found]}
        if output is not None:
            try:
                data["output"] = output.decode("utf-8")
            except UnicodeDecodeError:
                return
        path = self._result_path(snapshot.digest, today.isoformat(), *key)
        self._write_json(path, data)
        if path is not None:
            _prune(path.parent, keep=64)


def _prune(folder: Path, keep: int) -> None:
    """Keep the newest ``keep`` result files: old snapshots are never asked for again."""
    try:
        files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[keep:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


# JSON forms of the values. Each reader raises on anything unexpected; callers treat that as a miss.

def _encode(value: Any) -> Any:
    """A model value as JSON: dataclasses as lists of their fields, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [_encode(getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(hint: Any, value: Any) -> Any:
    """The inverse of ``_encode``, led by the type hint of the field being read: a new field in
    the model needs no change here. Raises on anything unexpected (the caller's cache miss)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        return _decode(next(a for a in args if a is not type(None)), value)
    if hint is Any:
        return value
    if origin is tuple:
        return tuple(_decode(args[0], v) for v in value)
    if origin in (Mapping, dict):
        return {str(k): _decode(args[1], v) for k, v in dict(value).items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        fields = dataclasses.fields(hint)
        if len(value) != len(fields):
            raise ValueError("stale cache entry")
        return hint(**{f.name: _decode(hints[f.name], v) for f, v in zip(fields, value, strict=True)})
    if hint in (str, int, bool) and not isinstance(value, hint):
        raise TypeError(f"expected {hint.__name__}")
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _record_to_json(r: Record) -> Any:
    return _encode(r)


def _record_from_json(d: Any) -> Record:
    record: Record = _decode(Record, d)
    return record


def _diagnostic_to_json(d: Diagnostic) -> list[Any]:
    return [str(d.path), d.line, d.col, d.code, d.message, d.severity.value]


def _diagnostic_from_json(v: list[Any]) -> Diagnostic:
    path, line, col, code, message, severity = v
    return Diagnostic(Path(path), Span(int(line), int(col)), str(code), str(message), Severity(severity))


def _loaded_to_json(lo: Loaded) -> dict[str, Any]:
    return {"record": _record_to_json(lo.record) if lo.record else None,
            "spans": {k: [s.line, s.col] for k, s in lo.spans.items()},
            "diagnostics": [_diagnostic_to_json(d) for d in lo.diagnostics]}


def _loaded_from_json(path: Path, d: Any) -> Loaded | None:
    try:
        return Loaded(path, _record_from_json(d["record"]) if d["record"] else None,
                      {k: Span(*v) for k, v in d["spans"].items() if len(v) == 2},
                      [_diagnostic_from_json(x) for x in d["diagnostics"]])
    except (KeyError, TypeError, ValueError):
        return None
