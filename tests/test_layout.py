"""An export into the file the last export wrote copies the entries that did not change from it
(bibkit/layout.py): the file it writes is the one a fresh export writes, whatever changed, and
an old file that is not exactly what was written is never copied from."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from array import array
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bibkit as api
from bibkit.layout import Layout, Previous
from bibkit.libcache import Store

from conftest import RECORDS, bibkit, traced_statements


def _copy(tmp_path: Path) -> Path:
    records = tmp_path / "records"
    shutil.copytree(RECORDS, records)
    return records


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The records whose entries an export reads from the store one by one (not copied)."""
    read: list[str] = []
    entry = Store._stored_entry

    def counted(self: Store, path: str, what: str) -> str | None:
        read.append(Path(path).name)
        return entry(self, path, what)

    monkeypatch.setattr(Store, "_stored_entry", counted)
    return read


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex", "csl-json"])
def test_an_export_after_edits_copies_the_rest_and_writes_what_a_fresh_export_writes(
        tmp_path: Path, isolated_cache: Path, reads: list[str], fmt: str) -> None:
    records = _copy(tmp_path)
    out = tmp_path / "refs.out"
    pythia = records / "biderman2023pythia.yaml"
    steps: list[tuple[Callable[[], object], list[str]]] = [
        (lambda: None, []),  # nothing changed: the file is left as it is
        (lambda: _edit(pythia, 'volume: "202"', 'volume: "999"'), ["biderman2023pythia.yaml"]),
        # A new first entry, and one moved to the end: every other entry shifts, none is read.
        (lambda: (records / "aaa2020first.yaml").write_text("type: book\ntitle: First\nauthor: [Ada Lovelace]\n"
                                                            "issued: 2020\n"), ["aaa2020first.yaml"]),
        (lambda: pythia.rename(records / "zzz2023pythia.yaml"), ["zzz2023pythia.yaml"]),
        (lambda: (records / "aaa2020first.yaml").unlink(), []),
        (lambda: [p.write_text(p.read_text() + "note: Edited.\n") for p in sorted(records.glob("a*.yaml"))],
         sorted(p.name for p in records.glob("a*.yaml"))),
    ]
    for change, read in steps:
        change()
        reads.clear()
        result = bibkit("export", "-f", fmt, "-r", records, "-o", out)
        assert result.exit_code == 0
        assert out.read_bytes() == api.export(api.load(records).records, fmt)
        assert sorted(reads) == read


def test_an_old_output_that_is_not_what_was_written_is_not_copied_from(
        tmp_path: Path, isolated_cache: Path, reads: list[str]) -> None:
    records = _copy(tmp_path)
    out = tmp_path / "refs.bib"
    pythia = records / "biderman2023pythia.yaml"
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    # Edited by hand, size kept: only its hash tells.
    out.write_bytes(out.read_bytes().replace(b"Scaling", b"Scalinx"))
    _edit(pythia, 'volume: "202"', 'volume: "999"')
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    assert out.read_bytes() == api.export(api.load(records).records, "bibtex")
    assert len(reads) == 0  # read whole, in one pass: nothing held
    # A damaged layout in the store (sizes that still add up, cut beside the edited entry): not trusted.
    (store,) = (isolated_cache / "store").glob("*.sqlite")
    db = sqlite3.connect(store)
    ((what, blob),) = db.execute("SELECT what, output FROM results WHERE what LIKE 'layout:%'").fetchall()
    layout = Layout.unpack(blob)
    i = layout.paths.index(str(pythia))
    layout.sizes[i - 1], layout.sizes[i] = layout.sizes[i - 1] + 5, layout.sizes[i] - 5
    db.execute("UPDATE results SET output = ? WHERE what = ?", (layout.pack(), what))
    db.commit()
    db.close()
    _edit(pythia, 'volume: "999"', 'volume: "998"')
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    assert out.read_bytes() == api.export(api.load(records).records, "bibtex")


def test_an_old_output_changed_while_it_is_copied_is_written_afresh(
        tmp_path: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _copy(tmp_path)
    out = tmp_path / "refs.bib"
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    before = out.read_bytes()
    copied: list[bool] = []
    monkeypatch.setattr(Previous, "unchanged", lambda self: copied.append(True) or False)
    _edit(records / "biderman2023pythia.yaml", 'volume: "202"', 'volume: "999"')
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    assert copied == [True]
    assert out.read_bytes() == api.export(api.load(records).records, "bibtex") != before


paths = st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(paths, st.text("0123456789abcdef", min_size=16, max_size=16),
                          st.integers(0, 2**40)), max_size=30))
def test_a_layout_reads_back_as_it_was_packed(entries: list[tuple[str, str, int]]) -> None:
    layout = Layout([p for p, _, _ in entries], [t for _, t, _ in entries], array("q", [s for _, _, s in entries]))
    assert Layout.unpack(layout.pack()) == layout


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_anything_else_is_no_layout(blob: bytes) -> None:
    """Bytes are a layout only in the one form ``pack`` writes; else ValueError, nothing else."""
    try:
        layout = Layout.unpack(blob)
    except ValueError:
        return
    assert layout.pack() == blob


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text("abc", min_size=1, max_size=3), unique=True, max_size=12), st.data())
def test_assembled_output_is_the_fresh_output_copied_in_as_few_slices_as_runs(names: list[str],
                                                                               data: st.DataObject) -> None:
    """Old entries are copied from the old file, each maximal run of them (in their old order,
    across batches of any size) as one slice; the rest is written; the bytes are the fresh ones."""
    import hashlib
    import tempfile

    from bibkit.layout import Frame, assemble

    frame = Frame(b"[", b",\n", b"]", b"[]")
    old_text = {name: f"<{name}:{len(name)}>" for name in names}
    tag = {name: hashlib.blake2b(text.encode(), digest_size=8).hexdigest() for name, text in old_text.items()}
    old_bytes = frame.head + frame.separator.join(t.encode() for t in old_text.values()) + frame.tail if names \
        else frame.empty
    layout = Layout(list(names), [tag[n] for n in names], array("q", [len(t.encode()) for t in old_text.values()]))
    new_names = data.draw(st.permutations(names + ["new1", "new2"]).map(lambda ns: ns[:data.draw(
        st.integers(0, len(ns)))]))
    edited = set(data.draw(st.lists(st.sampled_from(names), max_size=2))) if names else set()
    new_text = {n: (f"<{n}!>" if n in edited or n not in old_text else old_text[n]) for n in new_names}
    new_tags = [hashlib.blake2b(new_text[n].encode(), digest_size=8).hexdigest() for n in new_names]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "old.out"
        path.write_bytes(old_bytes)
        old = Previous(path, layout, frame, len(old_bytes), hashlib.blake2b(old_bytes, digest_size=16).hexdigest())
        assert old.valid
        size = data.draw(st.integers(1, 5))
        batches = []
        for start in range(0, len(new_names), size):
            paths, tags = new_names[start:start + size], new_tags[start:start + size]
            places = old.held(paths, tags)
            whole = [names.index(p) if p in old_text and p not in edited else None for p in paths]
            assert isinstance(places, range) == (None not in whole and whole == list(range(whole[0], whole[0] + len(
                whole))))  # a batch that is a run of the old file is found as one
            batches.append((paths, tags, places if isinstance(places, range) else
                            [new_text[p] if i is None else i for p, i in zip(paths, places, strict=True)]))
        written = Layout()
        chunks = [bytes(c) if isinstance(c, memoryview) else c for c in assemble(frame, batches, old, written)]
        slices = sum(1 for c in assemble(frame, batches, old, Layout()) if isinstance(c, memoryview))
        old.close()
    fresh = frame.head + frame.separator.join(new_text[n].encode() for n in new_names) + frame.tail if new_names \
        else frame.empty
    assert b"".join(chunks) == fresh
    assert (written.paths, written.tags) == (new_names, new_tags)
    assert list(written.sizes) == [len(new_text[n].encode()) for n in new_names]
    places = [names.index(n) if n in old_text and n not in edited else None for n in new_names]
    runs = sum(1 for i, p in enumerate(places) if p is not None and (i == 0 or places[i - 1] != p - 1))
    assert slices == runs


def test_the_command_exits_with_its_code_its_output_written_and_exit_handlers_run(tmp_path: Path) -> None:
    """``launch.run`` leaves the process without Python's teardown: nothing of that may be lost."""
    probe = "import atexit; atexit.register(print, 'handler ran'); from bibkit.launch import run; run()"
    env = {"BIBKIT_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}

    def command(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", probe, *map(str, args)], env=env, capture_output=True,
                              text=True, check=False)

    exported = command("export", "-f", "bibtex", "-r", RECORDS)
    assert exported.returncode == 0
    assert exported.stdout == api.export(api.load(RECORDS).records, "bibtex").decode() + "handler ran\n"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x2020y.yaml").write_text("title: [unclosed\n")
    failed = command("validate", bad)
    assert (failed.returncode, failed.stdout.count(" BK001 "), failed.stdout.endswith("handler ran\n")) == (1, 1, True)
    assert command("export", "-f", "nope").returncode == 2


def test_an_edited_title_reads_no_other_record(tmp_path: Path, isolated_cache: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """After one edited title, every query of the export reaches the other records through an
    index of the store (their states, keys, titles and checksums), never by reading each stored
    record: at 100,000 records a scan of the table reads hundreds of megabytes."""
    records = _copy(tmp_path)
    out = tmp_path / "refs.bib"
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    _edit(records / "biderman2023pythia.yaml", "Pythia: A Suite", "Pythia: The Suite")
    queries = traced_statements(monkeypatch)
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    (store,) = (isolated_cache / "store").glob("*.sqlite")
    db = sqlite3.connect(store)
    selects = [q for q in queries if q.lstrip().upper().startswith("SELECT")]
    assert any("FROM files" in q for q in selects)
    # A scan of the table, or of an index that sends each row back to the table, reads every
    # record; a covering index, or a partial one (the few rows its WHERE holds), does not.
    partial = [name for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
               if sql and " WHERE " in sql]

    def reads_every_record(step: str) -> bool:
        return step.startswith("SCAN files") and "COVERING INDEX" not in step \
            and not any(step.endswith(f"INDEX {name}") for name in partial)

    plans = {q: [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + q)] for q in selects}
    assert {q: plan for q, plan in plans.items() if any(map(reads_every_record, plan))} == {}


def test_a_damaged_entry_found_while_copying_starts_the_export_again(
        tmp_path: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store found damaged half-way through a copied export: the run starts again from an
    emptied store (``collection.with_store``), and the old file, mapped meanwhile, is let go."""
    from bibkit.libcache import StoreDamaged

    records = _copy(tmp_path)
    out = tmp_path / "refs.bib"
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    raised: list[str] = []
    entry = Store._stored_entry

    def damaged(self: Store, path: str, what: str) -> str | None:
        if not raised:
            raised.append(path)
            raise StoreDamaged(path)
        return entry(self, path, what)

    monkeypatch.setattr(Store, "_stored_entry", damaged)
    for name in ("biderman2023pythia.yaml", "ahdritz2024openfold.yaml"):  # in the middle, and first
        (records / name).write_text((records / name).read_text() + f"note: Edited for {name}.\n")
        raised.clear()
        assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
        assert raised == [str(records / name)]
        assert out.read_bytes() == api.export(api.load(records).records, "bibtex")
