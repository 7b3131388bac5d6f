"""The record store: what bibkit derived from each record file, kept per file in SQLite.

One database per collection (the set of record folders) in the cache directory holds, per file:
its size, times and BLAKE2 hash; the parsed record with its positions and load findings; the
findings of the rules that look at one record (with what they were made for: the day, as BK023
compares dates with today, and the opt-in rules the configuration turns on); the compact keys
the rules across records need; and each export entry rendered from it (per format and options,
and per name when a paper cites the record under another key). A run stats every file and
reads, hashes and parses only those whose size, times or inode changed (and whose bytes then
differ), so an edit costs what it changes:

- ``validate``: the stored findings of unchanged files, plus the rules across records on
  compact keys (near-duplicate titles compared again only around the titles that changed); an
  unchanged collection's findings are read back whole;
- ``export`` to BibTeX, BibLaTeX or CSL-JSON: an entry per record, rendered once and streamed
  from the store in key order, so that memory does not grow with the collection;
- formatted lists (text, html, markdown): their sorting, numbering and year suffixes depend on
  every entry, so an edit renders the whole list again; an unchanged collection's list is
  answered from the store.

Safety: values are stored as JSON (``bibkit.codec``: never pickle, a cache must not be able to
run code) and decoded with their types checked; a value that cannot be read back exactly is a
miss, and its file is parsed again. The database's name carries a stamp of bibkit's code (every
module's size and time), so other code never reads it. A file whose time is within ``_RACY_NS``
of when it was read is hashed again next time (an edit in the same clock tick must not hide).
Writers take SQLite's write lock for the whole update, so concurrent runs wait for each other and
never mix half-updates.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bibkit import __version__, across
from bibkit.across import Facts
from bibkit.codec import decoder, encode
from bibkit.collector import paused
from bibkit.diagnostics import Diagnostic, Severity, Span
from bibkit.library import Library, Loaded, read_capped, record_files
from bibkit.replay import cache_dir

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

    from bibkit.layout import Batch
    from bibkit.model import Record  # (imported where a record is read back: _decode_record)

T = TypeVar("T")
R = TypeVar("R")


def cache_root() -> Path:
    """``BIBKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/bibkit``, else ``~/.cache/bibkit``."""
    return Path(cache_dir(os.environ))


FORMAT = 7


def _code_stamp() -> str:
    """bibkit's version and its code as installed: a store written by other code (an upgrade,
    or an edit in a development checkout) is never read. Stats ~50 files: well under 1 ms."""
    package = Path(__file__).parent
    state = hashlib.blake2b(digest_size=8)
    for source in sorted(package.rglob("*.py")):
        stat = source.stat()
        state.update(f"{source.relative_to(package)}:{stat.st_mtime_ns}:{stat.st_size}\n".encode())
    return f"{FORMAT}:{__version__}:{state.hexdigest()}"


STAMP = _code_stamp()
_RACY_NS = 2_000_000_000  # a file changed this close to its reading is read again next time
_BATCH = 500  # rows written (and entries read) at a time: bounded memory at any size
_FEW_CHANGES = 64  # up to this many files changed, near-duplicate titles are found from the indexes
_NAMES = ("key", "ids", "arxiv", "doi", "tkey")  # what the rules across records compare, the title last

# An export entry renderer: (what it is, for the store's key; the function).
Renderer = tuple[str, Callable[["Record"], str]]

# The columns of ``files``: what a file was when read, what was made of it (``basis``: the day and
# the opt-in rules its findings were made for), and the compact keys (key, former keys as a JSON
# list, arXiv id, DOI, folded title and the same reversed, crossref parent) the rules across
# records and the export order need.
_COLUMNS = ("path", "size", "mtime", "ctime", "ino", "checked", "hash", "loaded", "basis", "findings", "facts",
            "sortkey", "key", "ids", "arxiv", "doi", "tkey", "rkey", "crossref")
# Rows hold a parsed record each, a few kilobytes: a scan of the table reads all of them. Each
# run compares every file with its state, so that state has a covering index of its own (a
# quarter of the time to read); the titles are indexed in across's two orders, so that an edit
# reads the windows around its titles, not every title.
# The indexes of ``files`` besides its key: a store filled from empty builds them once at the end
# (a sort each), instead of updating six B-trees row by row (``_update``).
_FILE_INDEXES = {
    "files_order": "ON files (sortkey, key, path)",
    "files_state": "ON files (path, size, mtime, ctime, ino, checked, basis, hash)",
    "files_titles": "ON files (tkey, path)",
    "files_rtitles": "ON files (rkey, path)",
    "files_found": "ON files (path) WHERE findings != '[]'",
    "files_crossref": "ON files (sortkey, key, path, crossref) WHERE crossref IS NOT NULL",
}
_SCHEMA = "\n".join([
    f"CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, {', '.join(_COLUMNS[1:])});",
    *(f"CREATE INDEX IF NOT EXISTS {name} {spec};" for name, spec in _FILE_INDEXES.items()),
    "CREATE TABLE IF NOT EXISTS entries (path TEXT, what TEXT, data TEXT, tag TEXT, PRIMARY KEY (path, what))"
    " WITHOUT ROWID;",
    # A near-duplicate pair of titles, with its finding (BK043 on b: [line, col, message]).
    "CREATE TABLE IF NOT EXISTS pairs (a TEXT, b TEXT, finding TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;",
    "CREATE INDEX IF NOT EXISTS pairs_b ON pairs (b);",
    "CREATE TABLE IF NOT EXISTS results (what TEXT PRIMARY KEY, digest TEXT, findings TEXT, output BLOB);",
    "CREATE TABLE IF NOT EXISTS counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;",
])


@dataclass
class _Row:
    size: int
    mtime: int
    ctime: int
    ino: int
    checked: int
    basis: str
    hash: str


@dataclass(frozen=True)
class Checks:
    """What, besides a record, decides the findings of the rules that look at one record: the day
    (BK023: a date in the future) and the opt-in rules the configuration turns on."""

    today: date
    rules: tuple[str, ...] = ()

    @property
    def basis(self) -> str:
        return " ".join((self.today.isoformat(), *sorted(set(self.rules))))


@dataclass
class Refreshed:
    """What a refresh found: how many files it parsed, the record files in the collection's
    order, and what the per-record rules were run for (``Checks.basis``)."""

    parsed: int = 0
    paths: list[str] = field(default_factory=list)
    basis: str = ""


@dataclass(frozen=True)
class _Job:
    """What examining a file needs besides its path: the stored rows, and what to derive."""

    rows: dict[str, _Row]
    checks: Checks
    render: Renderer | None


def _examine(path: str, job: _Job) -> tuple[str, str, tuple[Any, ...]]:
    """(path, "touch", its new stat) for a file whose bytes are what the store holds, else
    (path, "write", the row to store: the file parsed, checked and rendered)."""
    checked = time.time_ns()
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            data: bytes | None = read_capped(fh, st.st_size)
    except OSError:
        data = None
    row = job.rows.get(path)
    digest = hashlib.blake2b(data, digest_size=16).hexdigest() if data is not None else "-"
    if data is not None and row is not None and row.hash == digest:
        return path, "touch", (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, checked, path)
    from bibkit.loader import load_record, load_text  # PyYAML: only for a run that parses

    loaded = load_text(Path(path), data) if data is not None else load_record(Path(path))
    stat = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) if data is not None else (-1, 0, 0, 0)
    values = _row_values(path, loaded, stat, checked, digest, job.checks)
    if job.render is not None and loaded.record is not None:
        values = (*values, job.render[0], job.render[1](loaded.record))
    return path, "write", values


# Each file is parsed (and each entry rendered) on its own, so the work is shared among processes
# forked from this one, one a core, which hand back plain values that this process alone writes.
#
# Parsing up to _SHARED_UP_TO files (``_shared``): forked workers and this process take the paths
# a chunk at a time and the rows are written once all are parsed; this process compiles what
# the caller needs meanwhile (``refresh``'s ``meanwhile``) and parses its share, where a pool's
# workers leave it waiting (1,000 new files, an APA list's style compiled meanwhile: the
# store's update in 0.28 s against 0.32 s with a pool, medians of eight).
# More (``_Pool``): workers forked once, before the run has grown, are sent paths and send back
# rows as they finish them, which the run writes meanwhile (memory stays bounded); below
# _PARALLEL_FROM files, starting them costs more than they save. (Forking anew for each part of
# the files copied the run's growing memory page by page again at each fork: at 100,000 files,
# 800,000 page faults against 64,000, and 1.1x the time.)
_SHARED_UP_TO = 5000
_PARALLEL_FROM = 256
_CHUNK = 64
_work: Callable[[Any], Any] | None = None  # the forked workers' work, set before the fork


def _work_on(items: list[Any]) -> list[Any]:
    assert _work is not None
    return [_work(item) for item in items]


class _Pool(Generic[T, R]):
    """``work`` mapped over lists of items, results in order: in forked workers when ``expected``
    items are enough and there are cores and a safe ``fork`` (Linux; not Windows, and on macOS
    fork is unsafe with system frameworks), else here."""

    def __init__(self, work: Callable[[T], R], expected: int) -> None:
        self.work = work
        self.pool: Pool | None = None
        from bibkit.fanout import workers as cores  # (the store's one count of cores with the list's)

        workers = cores()
        if expected >= _PARALLEL_FROM and workers > 1 and sys.platform == "linux":
            import multiprocessing  # only here: ~10 ms of start-up that small runs do not need

            global _work
            _work = work
            self.pool = multiprocessing.get_context("fork").Pool(workers)

    def map(self, items: list[T]) -> Iterator[R]:
        """The results, in order; the items are handed to the workers now (here: as they are asked for)."""
        if self.pool is None:
            return map(self.work, items)
        chunks = self.pool.imap(_work_on, [items[i:i + _CHUNK] for i in range(0, len(items), _CHUNK)])
        return itertools.chain.from_iterable(chunks)

    def __enter__(self) -> _Pool[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        global _work
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None
        _work = None


# Rendering the entries the store lacks (``_shared``, with ``bibkit.fanout``): the work is each
# record's stored text, a kilobyte a record, which a pool's workers would be sent one by one;
# forked workers inherit a part of them instead, and this process renders its share of the part
# too (an export after ``validate`` of 10,000 records: 0.88 s, against 1.0 s with the pool). A
# part at a time: what waits to be written stays bounded at any size.
_PART = 2000


def _shared(work: Callable[[T], R], items: Sequence[T], meanwhile: Callable[[], object] | None = None,
            ahead: int = 0) -> list[R]:
    """``[work(item) for item in items]``, in forked workers where ``fanout`` splits them;
    ``meanwhile`` runs once, while the workers start (writing what the last part gave).

    The item at ``ahead`` is done first, here, before any worker is forked: what the work imports
    and builds on its first call (the YAML parser and the record model, an exporter) is then
    inherited, not done again in every worker (a list's parse: 25 ms of each worker's time)."""
    from bibkit.fanout import fanout  # only here: a run that renders no stored entry does not need it

    if not items:
        if meanwhile is not None:
            meanwhile()
        return []
    first = work(items[ahead])
    rest = [*items[:ahead], *items[ahead + 1:]]
    done = fanout(work, rest, lambda: True, meanwhile=meanwhile)
    if done is None:
        done = [work(item) for item in rest]
    done.insert(ahead, first)
    return done


def _meanwhile(work: Callable[[], object]) -> None:
    """The caller's work while files are parsed, and what comparing their titles imports."""
    across.load()
    work()


def _render_stored(stored: tuple[str, str], fn: Callable[[Record], str]) -> tuple[str, str | None]:
    """(path, the entry of the record stored as ``text``), or (path, None) if it cannot be read."""
    path, text = stored
    record = _record_from_json(text)
    return path, None if record is None else fn(record)


# One encoder for every row (json.dumps with options builds one per call); values are trees of
# lists, dicts and scalars made here, without cycles to look for.
_json_text = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def _row_values(path: str, loaded: Loaded, stat: tuple[int, int, int, int], checked: int,
                digest: str, checks: Checks) -> tuple[Any, ...]:
    facts = Facts.of(loaded)
    rec = loaded.record
    return (path, *stat, checked, digest, _json_text(_loaded_to_json(loaded)),
            checks.basis, _json_text(_per_record(loaded, checks)),
            _json_text(facts) if facts else None,
            rec.key.casefold() if rec else None, rec.key if rec else None,
            json.dumps(rec.ids) if rec and rec.ids else None,
            facts.arxiv if facts else None, facts.doi if facts else None, facts.title_key if facts else None,
            facts.title_key[::-1] if facts else None, rec.get("crossref") if rec else None)


class _StoredTitles:
    """``across.Orders`` of the titles in the store, read from its indexes a window at a time."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def around(self, title: str, path: str, reverse: bool) -> list[across.Entry]:
        # Each query has one range on the index: from the title down to the empty titles, and
        # from the title up (a title is never empty here, so no empty one follows it). Two lower
        # bounds on one query would leave SQLite scanning from the first title.
        column, text = ("rkey", title[::-1]) if reverse else ("tkey", title)
        before = self.db.execute(f"SELECT {column}, path FROM files WHERE {column} > '' AND ({column}, path) < (?, ?) "
                                 f"ORDER BY {column} DESC, path DESC LIMIT ?", (text, path, across.WINDOW)).fetchall()
        after = self.db.execute(f"SELECT {column}, path FROM files WHERE ({column}, path) >= (?, ?) "
                                f"ORDER BY {column}, path LIMIT ?", (text, path, across.WINDOW + 1)).fetchall()
        return before[::-1] + after


class Store:
    """The store of one collection. ``root`` None: a private store in a temporary directory,
    removed on ``close`` (``--no-cache``: nothing is left behind, and exports still stream)."""

    def __init__(self, root: Path | None, targets: Sequence[Path]) -> None:
        self.targets = list(targets)
        self._temp = None if root is not None else Path(tempfile.mkdtemp(prefix="bibkit-store-"))
        folder = (root / "store") if root is not None else self._temp
        assert folder is not None
        folders = sorted({str(t.resolve()) for t in self.targets})
        collection = hashlib.blake2b("\n".join(folders).encode(), digest_size=12).hexdigest()
        stamp = hashlib.blake2b(STAMP.encode(), digest_size=6).hexdigest()
        self.path = folder / f"{collection}-{stamp}.sqlite"
        self.db = self._open(folder, collection)
        self._updates: str | None = None  # the count of updates that changed a file, read once a run

    def _open(self, folder: Path, collection: str) -> sqlite3.Connection:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fresh = not self.path.exists()
            db = self._connect(self.path)
        except (OSError, sqlite3.Error):
            # A cache that cannot be opened or read costs time, never correctness.
            self._temp = self._temp or Path(tempfile.mkdtemp(prefix="bibkit-store-"))
            self.path = self._temp / "store.sqlite"
            return self._connect(self.path)
        if fresh:
            for old in folder.glob(f"{collection}-*.sqlite*"):
                if not old.name.startswith(self.path.name):
                    old.unlink(missing_ok=True)  # written by other code: never read again
        return db

    def _connect(self, path: Path) -> sqlite3.Connection:
        for attempt in range(2):
            db = sqlite3.connect(path, timeout=600, isolation_level=None, check_same_thread=False)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
                db.execute(f"SELECT {', '.join(_COLUMNS)} FROM files LIMIT 1").fetchall()
                return db
            except sqlite3.DatabaseError:
                db.close()
                if attempt:
                    raise
                for damaged in path.parent.glob(path.name + "*"):
                    damaged.unlink(missing_ok=True)  # not a database, or not ours: start again
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.db.close()
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Bringing the store up to date with the files

    def refresh(self, checks: Checks, render: Renderer | None = None,
                meanwhile: Callable[[], object] | None = None) -> Refreshed:
        """Parse what changed since the last run, drop what went, and keep everything derived
        from it (findings, compact keys, near-duplicate pairs, and with ``render`` its entry).
        ``meanwhile`` runs while the files are parsed, once one has changed: work of the
        caller's that would otherwise wait for the parsing to end."""
        with paused():
            paths = self.paths()
            basis = checks.basis
            suspects, gone, stale = self._compare(paths, self._states(), basis)
            result = Refreshed(paths=paths, basis=basis)
            self._updates = None
            if suspects or gone or stale:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    result.parsed = self._update(suspects, gone, stale, checks, render, meanwhile)
                    self.db.execute("COMMIT")
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
            return result

    def _states(self) -> dict[str, tuple[Any, ...]]:
        """Every file's stored (path, size, mtime, ctime, ino, checked, basis): plain tuples, as
        every run reads one for each file (a dataclass each took longer than the reading)."""
        return {row[0]: row for row in self.db.execute(
            "SELECT path, size, mtime, ctime, ino, checked, basis FROM files")}

    def _rows(self, only: Sequence[str]) -> dict[str, _Row]:
        """The stored state and hash of the paths ``only``."""
        return {p: _Row(*rest) for p, *rest in self._select(
            "SELECT path, size, mtime, ctime, ino, checked, basis, hash FROM files WHERE path IN ({})", only)}

    @staticmethod
    def _compare(paths: list[str], states: dict[str, tuple[Any, ...]],
                 basis: str) -> tuple[list[str], Iterable[str], list[str]]:
        """The files that may have changed since they were stored (new ones, and those whose
        size, times or inode differ, or that were checked too soon after a change to tell:
        ``_RACY_NS``); the stored files that are gone; those whose findings were made for another
        ``basis``. One loop with no call but the stat and plain comparisons: every run makes it for
        every file, and its own work took a third of the stat's."""
        suspects: list[str] = []
        stale: list[str] = []
        stat, get, found = os.stat, states.get, 0
        for path in paths:
            state = get(path)
            if state is not None:
                found += 1
                if state[6] != basis:
                    stale.append(path)
            try:
                st = stat(path)
            except OSError:
                suspects.append(path)
                continue
            if state is None:
                suspects.append(path)
                continue
            mtime, ctime = st.st_mtime_ns, st.st_ctime_ns
            if st.st_size != state[1] or mtime != state[2] or ctime != state[3] or st.st_ino != state[4] \
                    or state[5] - (mtime if mtime > ctime else ctime) <= _RACY_NS:
                suspects.append(path)
        # Every stored file was found (``paths`` are distinct, as ``refresh`` makes them): none is gone.
        gone = () if found == len(states) else states.keys() - set(paths)
        return suspects, gone, stale

    def _update(self, suspects: list[str], gone: Iterable[str], stale: list[str], checks: Checks,
                render: Renderer | None, meanwhile: Callable[[], object] | None = None) -> int:
        gone = list(gone)
        # Again, under the write lock (another run may have just written), and only what is needed.
        rows = self._rows(sorted({*suspects, *stale}))
        # A few changes: the near-duplicate titles are looked at again around them, in windows the
        # store's indexes give. Many: every title is read, before and after, and compared in memory.
        few = len(suspects) + len(gone) <= _FEW_CHANGES
        old_titles = {} if few else dict(self.db.execute("SELECT path, tkey FROM files"))
        parsed: set[str] = set()
        writes: list[tuple[Any, ...]] = []
        touches: list[tuple[Any, ...]] = []
        filling = not few and not old_titles  # (every stored file has a row there, title or not)
        if filling:  # (in the transaction: a run stopped half-way leaves them as they were)
            for name in _FILE_INDEXES:
                self.db.execute(f"DROP INDEX IF EXISTS {name}")
        work = functools.partial(_examine, job=_Job(rows, checks, render))
        from bibkit.fanout import split

        shared = len(suspects) <= _SHARED_UP_TO and split(len(suspects)) > 1
        with _Pool(work, 0 if shared else len(suspects)) as pool:
            results: Iterable[tuple[str, str, tuple[Any, ...]]]
            if shared:
                early = None
                unseen = next((i for i, path in enumerate(suspects) if path not in rows), None)
                if meanwhile is not None and unseen is not None:
                    early, meanwhile = functools.partial(_meanwhile, meanwhile), None  # a new file is parsed
                # (done ahead: a new file, which is parsed, rather than one that may be unchanged)
                results = _shared(work, suspects, early, ahead=unseen or 0)
            else:
                results = pool.map(suspects)
            for path, kind, values in results:
                if kind == "touch":
                    touches.append(values)
                    continue
                if meanwhile is not None:  # a file did change: while the workers parse the rest
                    if pool.pool is not None:
                        across.load()  # (what the titles' comparison below imports)
                    meanwhile()
                    meanwhile = None
                parsed.add(path)
                writes.append(values)
                if len(writes) >= _BATCH and not few:
                    self._write(writes)
        if few:
            stored = _StoredTitles(self.db)
            compact = [_COLUMNS.index(c) for c in _NAMES]
            old = {p: tuple(rest) for p, *rest in self._select(
                f"SELECT path, {', '.join(_NAMES)} FROM files WHERE path IN ({{}})", sorted(parsed) + gone)}
            new = {w[0]: tuple(w[i] for i in compact) for w in writes}
            renamed = any(old.get(p, ())[:-1] != new.get(p, ())[:-1] for p in old.keys() | new.keys())
            before = {p: v[-1] for p, v in old.items()}
            after = {p: v[-1] for p, v in new.items()}
            changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
            near = across.neighbours(stored, {p: before[p] for p in changed if before.get(p)})
        if not few or renamed:
            self.db.execute("DELETE FROM results WHERE what = 'repeats'")  # see _repeats
        self._write(writes)
        if filling:
            for name, spec in _FILE_INDEXES.items():
                self.db.execute(f"CREATE INDEX {name} {spec}")
        self.db.executemany("UPDATE files SET size=?, mtime=?, ctime=?, ino=?, checked=? WHERE path=?", touches)
        for path in gone:
            self.db.execute("DELETE FROM files WHERE path = ?", (path,))
            self.db.execute("DELETE FROM entries WHERE path = ?", (path,))
        # A new day, or other opt-in rules: the rules that look at one record run again on every
        # record, from the stored record (BK023 compares dates with today).
        redo = [p for p in stale if p in rows and rows[p].basis != checks.basis and p not in parsed]
        for path, text in list(self._select("SELECT path, loaded FROM files WHERE path IN ({})", redo)):
            again = _loaded_from_json(Path(path), text)
            if again is None:
                self.db.execute("UPDATE files SET hash = '-', size = -1 WHERE path = ?", (path,))
                continue
            self.db.execute("UPDATE files SET basis = ?, findings = ? WHERE path = ?",
                            (checks.basis, json.dumps(_per_record(again, checks), ensure_ascii=False), path))
        if parsed or gone or redo:  # (not for files only touched: their bytes are what they were)
            updates = self._count("updates")
            self._set_count("updates", updates + 1)
            if render is not None and self._count(f"rendered:{render[0]}") == updates:
                self._set_count(f"rendered:{render[0]}", updates + 1)  # what it parsed, it rendered
        pairs = set(self.db.execute("SELECT a, b FROM pairs"))
        fresh = pairs
        if few:
            if changed:
                near |= across.neighbours(stored, {p: after[p] for p in changed if after.get(p)})
                now = dict(self._select("SELECT path, tkey FROM files WHERE tkey > '' AND path IN ({})",
                                        sorted(near)))
                fresh = across.repaired(pairs, near, stored, now)
        else:
            new_titles = dict(self.db.execute("SELECT path, tkey FROM files"))
            if new_titles != old_titles or not old_titles:
                fresh = across.near_duplicates_update(old_titles, new_titles, pairs) if old_titles \
                    else across.near_duplicates(new_titles)
        self.db.executemany("DELETE FROM pairs WHERE a = ? AND b = ?", pairs - fresh)
        self.db.executemany("INSERT OR IGNORE INTO pairs VALUES (?, ?, NULL)", fresh - pairs)
        self._pair_findings(parsed)
        return len(parsed)

    def _pair_findings(self, parsed: set[str]) -> None:
        """Each near-duplicate pair keeps its finding (BK043 on its second record, at its title,
        naming the first and its title): made for new pairs, and again for the pairs of a file
        parsed, the only way a title or where it stands changes. After one edit among 10,000
        records with a thousand such findings, making them all from the records' facts took
        16 ms of every run."""
        ordered = sorted(parsed)
        for column in ("a", "b"):
            for start in range(0, len(ordered), _BATCH):
                chunk = ordered[start:start + _BATCH]
                self.db.execute(f"UPDATE pairs SET finding = NULL WHERE {column} IN ({', '.join('?' * len(chunk))})",
                                chunk)
        todo = list(self.db.execute("SELECT a, b FROM pairs WHERE finding IS NULL"))
        if not todo:
            return
        facts = {path: _facts(text) for path, text in self._select(
            "SELECT path, facts FROM files WHERE path IN ({})", sorted({p for pair in todo for p in pair}))}
        self.db.executemany("UPDATE pairs SET finding = ? WHERE a = ? AND b = ?", [
            (_json_text([d.line, d.col, d.message]), a, b)
            for (a, b), d in zip(todo, across.near_duplicate_findings(todo, facts), strict=True)])

    def _write(self, writes: list[tuple[Any, ...]]) -> None:
        n = len(_COLUMNS)
        self.db.executemany(f"INSERT OR REPLACE INTO files VALUES ({', '.join('?' * n)})", [w[:n] for w in writes])
        self.db.executemany("DELETE FROM entries WHERE path = ?", [(w[0],) for w in writes])
        self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)",
                            [(w[0], w[n], w[n + 1], _tag(w[n + 1])) for w in writes if len(w) > n])
        writes.clear()

    def _count(self, name: str) -> int:
        row = self.db.execute("SELECT n FROM counts WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row is not None else 0

    def _set_count(self, name: str, n: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO counts VALUES (?, ?)", (name, n))

    def _select(self, sql: str, keys: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        for start in range(0, len(keys), _BATCH):
            chunk = keys[start:start + _BATCH]
            yield from self.db.execute(sql.format(", ".join("?" * len(chunk))), chunk)

    # What the store answers

    def findings(self, refreshed: Refreshed) -> list[Diagnostic]:
        """Every finding, as ``validate`` gives it: per-record ones as stored, then the rules
        across records on compact keys; kept for as long as no file, the files' order and the
        rules' basis change (a warm run then reads them, not the compact keys of every record)."""
        try:
            key = self._state_digest(refreshed.basis, _order(refreshed.paths))
            kept = self.result("findings", key)
            if kept is not None:
                return kept[0]
            found = self._findings(refreshed)
            with contextlib.suppress(ValueError):  # a name that is no text keeps nothing
                self.keep_result("findings", key, found, None)
            return found
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise StoreDamaged(str(exc)) from None

    def _findings(self, refreshed: Refreshed) -> list[Diagnostic]:
        found: list[Diagnostic] = []
        for path, text in self.db.execute("SELECT path, findings FROM files WHERE findings != '[]'"):
            found.extend(_diagnostics_from_json(path, text))
        repeated = self._repeats(refreshed.paths)
        facts = {path: _facts(text) for path, text in
                 self._select("SELECT path, facts FROM files WHERE path IN ({})", sorted({r[0] for r in repeated}))}
        found.extend(facts[path].at(name, code, message) for path, name, code, message in repeated)
        found.extend(_pair_finding(path, text) for path, text in self.db.execute("SELECT b, finding FROM pairs"))
        return sorted(found, key=Diagnostic.sort_key)

    def _repeats(self, paths: list[str]) -> list[tuple[str, str, str, str]]:
        """``across.repeats`` of every record in the order of ``paths``. It reads every record's
        names, so it is kept, for that order, until an update changes a name or a file comes or
        goes (``_update`` drops it, in the transaction that writes the change)."""
        order = _order(paths)
        self.db.execute("BEGIN IMMEDIATE")  # the names read and the result kept are of one state
        try:
            kept = self.db.execute("SELECT digest, findings FROM results WHERE what = 'repeats'").fetchone()
            found = _repeated_from_json(kept[1]) if kept is not None and kept[0] == order else None
            if found is not None:
                self.db.execute("COMMIT")
                return found
            place = {p: i for i, p in enumerate(paths)}
            rows = sorted(self.db.execute("SELECT path, key, ids, arxiv, doi FROM files WHERE key IS NOT NULL"),
                          key=lambda r: place.get(r[0], len(place)))
            found = list(across.repeats((path, key, _ids(ids), aid, doi) for path, key, ids, aid, doi in rows))
            self.db.execute("INSERT OR REPLACE INTO results VALUES ('repeats', ?, ?, NULL)", (order, _json_text(found)))
            self.db.execute("COMMIT")
            return found
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def entries(self, render: Renderer, selected: set[str] | None = None, crossref_last: bool = False,
                held: Callable[[list[str], list[str]], Sequence[int | None]] | None = None) -> Iterator[Batch]:
        """Each chosen record's entry, in export order (by key, case-insensitively, then exactly;
        with ``crossref_last``, crossref parents after their children), in batches of (paths,
        tags, entries); rendered now for records that have none for ``render`` yet, else read
        from the store. With ``held``, an entry it knows by path and tag is not read: its place
        comes instead (``layout``), and a batch it holds whole, in order, is one range."""
        what = render[0]
        self._render_missing(render)
        # Every record chosen has an entry: one without would be left out of the join unseen.
        expected = len(selected) if selected is not None else \
            self.db.execute("SELECT count(*) FROM files WHERE key IS NOT NULL").fetchone()[0]
        given = 0
        for rows in self._ordered(what, "e.tag, e.data" if held is None else "e.tag", selected, crossref_last):
            given += len(rows)
            paths, tags = [row[0] for row in rows], [row[1] for row in rows]
            if held is None:
                yield paths, tags, [_checked(path, data, tag) for path, tag, data in rows]
                continue
            places = held(paths, tags)
            if isinstance(places, range):
                yield paths, tags, places
                continue
            entries: list[str | int] = []
            for path, place in zip(paths, places, strict=True):
                entry = place if place is not None else self._stored_entry(path, what)
                if entry is None:
                    raise StoreDamaged(path)  # gone since the order was read
                entries.append(entry)
            yield paths, tags, entries
        if given != expected:
            raise StoreDamaged(f"{expected - given} entries missing")  # (another run changed the store meanwhile)

    def _render_missing(self, render: Renderer) -> None:
        """Render the entries for ``render`` that records lack: those ``validate`` parsed, or all
        of them for another format or options. The store counts, per renderer, the updates after
        which no record lacked one, and ``_update`` keeps that count level when it renders what it
        parses: so a run after an edit does not look at every record for one (6 ms at 10,000)."""
        what, fn = render
        marker = f"rendered:{what}"
        counts = dict(self.db.execute("SELECT name, n FROM counts WHERE name IN ('updates', ?)", (marker,)))
        if counts.get(marker, 0) == counts.get("updates", 0):
            return
        rendered: list[tuple[str, str, str, str]] = []

        def write() -> None:  # a part's entries, while the workers render the next (the last: below)
            self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", rendered)
            rendered.clear()

        with paused():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                missing = [p for (p,) in self.db.execute(
                    "SELECT f.path FROM files f WHERE f.key IS NOT NULL AND NOT EXISTS "
                    "(SELECT 1 FROM entries e WHERE e.path = f.path AND e.what = ?)", (what,))]
                for start in range(0, len(missing), _PART):
                    stored = list(self._select("SELECT path, loaded FROM files WHERE path IN ({})",
                                               missing[start:start + _PART]))
                    for path, entry in _shared(functools.partial(_render_stored, fn=fn), stored, write):
                        if entry is None:
                            raise StoreDamaged(path)
                        rendered.append((path, what, entry, _tag(entry)))
                write()
                self._set_count(marker, self._count("updates"))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def _ordered(self, what: str, columns: str, selected: set[str] | None,
                 crossref_last: bool) -> Iterator[list[tuple[Any, ...]]]:
        """(path, *columns) of each selected record's entry for ``what``, in export order, a batch
        at a time: as SQLite gives them, when every record is taken in the order of the keys."""
        depth = self._crossref_depths(selected) if crossref_last else {}
        later: dict[int, list[tuple[Any, ...]]] = {}
        sortkey = "f.sortkey, " if depth else ""
        cursor = self.db.execute(f"SELECT f.path, {sortkey}{columns} FROM files f JOIN entries e "
                                 "ON e.path = f.path AND e.what = ? ORDER BY f.sortkey, f.key, f.path", (what,))
        while batch := cursor.fetchmany(_BATCH):
            if selected is None and not depth:
                yield batch
                continue
            rows = []
            for row in batch:
                if selected is None or row[0] in selected:
                    if depth:
                        level, row = depth.get(row[1], 0), (row[0], *row[2:])
                        if level:
                            later.setdefault(level, []).append(row)  # parents: few, held till the end
                            continue
                    rows.append(row)
            if rows:
                yield rows
        for level in sorted(later):
            yield later[level]

    def _stored_entry(self, path: str, what: str) -> str | None:
        """The entry stored for ``path`` and ``what``, None if there is none."""
        row = self.db.execute("SELECT data, tag FROM entries WHERE path = ? AND what = ?", (path, what)).fetchone()
        return None if row is None else _checked(path, row[0], row[1])

    def _crossref_depths(self, selected: set[str] | None) -> dict[str, int]:
        """``crossref_depths`` of the selected records, from the compact keys: only records
        that name a crossref parent, and the parents, are looked at."""
        from bibkit.exporters.crossref import crossref_depths

        children: dict[str, list[str]] = {}
        for path, key, parent in self.db.execute("SELECT path, key, crossref FROM files WHERE crossref IS NOT NULL "
                                                 "AND key IS NOT NULL ORDER BY sortkey, key, path"):
            if selected is None or path in selected:
                children.setdefault(str(parent).casefold(), []).append(str(key))
        parents = [key for path, key in self._select("SELECT path, key FROM files WHERE sortkey IN ({}) "
                                                     "ORDER BY sortkey, key, path", sorted(children))
                   if selected is None or path in selected]
        # _select asks in chunks: each chunk is in order, and chunks follow the sorted keys.
        return crossref_depths(children, parents)

    def entry(self, path: str, render: Renderer, record: Record) -> str:
        """The entry of the record stored for ``path`` (``record``), rendered now if the store
        has none for ``render``."""
        what, fn = render
        stored = self._stored_entry(path, what)
        if stored is not None:
            return stored
        entry = fn(record)
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", (path, what, entry, _tag(entry)))
        return entry

    def names(self) -> Iterator[tuple[str, str, tuple[str, ...]]]:
        """(path, key, former keys) of every record."""
        for path, key, ids in self.db.execute("SELECT path, key, ids FROM files WHERE key IS NOT NULL"):
            yield path, key, _ids(ids)

    def unreadable(self) -> bool:
        """A file could not be made a record of (the export has nothing to write for it)."""
        return self.db.execute("SELECT 1 FROM files WHERE key IS NULL LIMIT 1").fetchone() is not None

    def loaded(self, only: set[str] | None = None) -> Iterator[Loaded]:
        """Every file's parsed record with its positions (or those of the paths ``only``), in
        the collection's order."""
        order = [p for p in self.paths() if only is None or p in only]
        for start in range(0, len(order), _BATCH):
            chunk = order[start:start + _BATCH]
            texts = dict(self._select("SELECT path, loaded FROM files WHERE path IN ({})", chunk))
            for path in chunk:
                loaded = _loaded_from_json(Path(path), texts.get(path))
                if loaded is None:
                    raise StoreDamaged(path)
                yield loaded

    def reset(self) -> None:
        """Forget everything: the next refresh parses every file again."""
        for table in ("files", "entries", "pairs", "results", "counts"):
            self.db.execute(f"DELETE FROM {table}")
        self._updates = None

    def paths(self) -> list[str]:
        """The record files, each once (validate records/ records/a.yaml checks a.yaml once)."""
        paths = record_files(self.targets)
        return list(dict.fromkeys(paths)) if len(self.targets) > 1 else paths

    def library(self) -> Library:
        with paused():
            return Library(list(self.loaded()))

    def result(self, what: str, digest: str) -> tuple[list[Diagnostic], bytes | None] | None:
        row = self.db.execute("SELECT digest, findings, output FROM results WHERE what = ?", (what,)).fetchone()
        if row is None or row[0] != digest:
            return None
        try:
            return [_diagnostic_from_json(Path(d[0]), d[1:]) for d in json.loads(row[1])], row[2]
        except (ValueError, TypeError, IndexError):
            return None

    def kept(self, what: str) -> tuple[str, bytes | None] | None:
        """The digest and output kept for ``what``, whatever state they were kept for."""
        row = self.db.execute("SELECT digest, output FROM results WHERE what = ?", (what,)).fetchone()
        return (row[0], row[1]) if row is not None and type(row[0]) is str and type(row[1]) in (bytes, type(None)) \
            else None

    def keep_result(self, what: str, digest: str, found: Sequence[Diagnostic], output: bytes | None) -> None:
        text = json.dumps([[str(d.path), *_diagnostic_to_json(d)] for d in found], ensure_ascii=False)
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)", (what, digest, text, output))

    def digest(self, today: date) -> str:
        """The collection as it stands, and the day."""
        return self._state_digest(today.isoformat())

    def _state_digest(self, *context: str) -> str:
        """What a kept result was made from: bibkit's code, ``context`` (what else it depends on),
        and the collection as it stands. That is the count of updates that changed a file (added
        in the update's transaction), not a hash of every file's path and hash: reading those took
        a tenth of a run after one edit among 10,000 records. Results are kept in this store only,
        and emptying it (``reset``) drops them with the count."""
        if self._updates is None:
            self._updates = str(self._count("updates"))
        state = hashlib.blake2b(digest_size=16)
        for piece in (STAMP, *context, self._updates):
            state.update(piece.encode("utf-8", "surrogateescape") + b"\0")
        return state.hexdigest()


class StoreDamaged(Exception):
    """A stored value that cannot be read back exactly: the store is emptied and the run starts
    again (``with_store``)."""


def _order(paths: list[str]) -> str:
    """The files' order: a kept result that depends on it is kept for that order."""
    return hashlib.blake2b("\n".join(paths).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def _tag(entry: str) -> str:
    """A check on an entry's text: a damaged entry is never written out."""
    return hashlib.blake2b(entry.encode(), digest_size=8).hexdigest()


def _checked(path: str, data: object, tag: object) -> str:
    """``data``, a stored entry, if it is the text its ``tag`` was made from; else the store is damaged."""
    if type(data) is not str or _tag(data) != tag:
        raise StoreDamaged(path)
    return data


def _per_record(loaded: Loaded, checks: Checks) -> list[Any]:
    from bibkit.rules import per_record_rules

    found = list(loaded.diagnostics)
    library = Library([loaded])
    for rule in per_record_rules(checks.rules):
        found.extend(rule(library, checks.today))
    return [_diagnostic_to_json(d) for d in found]


def _facts(text: str) -> Facts:
    v = json.loads(text)
    return Facts(v[0], v[1], Span(*v[2]), _ids(v[3]), Span(*v[4]), v[5], Span(*v[6]), v[7], Span(*v[8]), v[9],
                 Span(*v[10]), v[11])


def _ids(value: str | list[str] | None) -> tuple[str, ...]:
    """Former keys as stored (a JSON list, or None for none); ValueError when not that."""
    names = json.loads(value) if isinstance(value, str) else value if value is not None else []
    if type(names) is not list or not all(type(n) is str for n in names):
        raise ValueError("former keys")
    return tuple(names)


# JSON forms. Each reader raises on anything unexpected; callers treat that as a miss.

def _pair_finding(path: str, text: str) -> Diagnostic:
    line, col, message = json.loads(text)
    return Diagnostic(Path(path), Span(int(line), int(col)), "BK043", str(message), Severity.WARNING)


def _diagnostic_to_json(d: Diagnostic) -> list[Any]:
    return [d.line, d.col, d.code, d.message, d.severity.value]


def _diagnostic_from_json(path: Path, v: list[Any]) -> Diagnostic:
    line, col, code, message, severity = v
    return Diagnostic(path, Span(int(line), int(col)), str(code), str(message), Severity(severity))


def _diagnostics_from_json(path: str, text: str) -> list[Diagnostic]:
    where = Path(path)
    return [_diagnostic_from_json(where, d) for d in json.loads(text)]


def _repeated_from_json(text: str) -> list[tuple[str, str, str, str]] | None:
    try:
        rows = json.loads(text)
        if type(rows) is list and all(type(r) is list and len(r) == 4 and all(type(v) is str for v in r)
                                      for r in rows):
            return [(r[0], r[1], r[2], r[3]) for r in rows]
    except ValueError:
        pass
    return None


def _loaded_to_json(lo: Loaded) -> list[Any]:
    return [encode(lo.record) if lo.record else None, {k: [s.line, s.col] for k, s in lo.spans.items()},
            [_diagnostic_to_json(d) for d in lo.diagnostics]]


@functools.cache
def _decode_record() -> Callable[[Any], Record]:
    from bibkit.model import Record  # (not at the top: a run answered from the store reads no record)

    return decoder(Record)


def _record_from_json(text: str | None) -> Record | None:
    """The record of a stored ``_loaded_to_json`` alone, for rendering: its positions are for
    findings, and making them took as long as the record."""
    if text is None:
        return None
    try:
        record = json.loads(text)[0]
        return _decode_record()(record) if record is not None else None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None


def _loaded_from_json(path: Path, text: str | None) -> Loaded | None:
    if text is None:
        return None
    try:
        record, spans, diagnostics = json.loads(text)
        return Loaded(path, _decode_record()(record) if record is not None else None,
                      {str(k): Span(int(v[0]), int(v[1])) for k, v in spans.items() if len(v) == 2},
                      [_diagnostic_from_json(path, d) for d in diagnostics])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None
