"""The record store: correct before fast. A changed record, style, day or bibkit code is never
answered from the store, a damaged store is rebuilt, not trusted, and an edit is parsed alone."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bibkit import across, collection
from bibkit.libcache import Checks, Store
from bibkit.loader import load_library
from bibkit.rules import validate

from conftest import RECORDS, ROOT, TEST_RECORDS, bibkit, count_splits, traced_statements


def _copy(tmp_path: Path) -> Path:
    records = tmp_path / "records"
    shutil.copytree(RECORDS, records)
    return records


def test_stored_records_equal_freshly_parsed_ones(tmp_path: Path) -> None:
    for folder in (RECORDS, TEST_RECORDS / "good", TEST_RECORDS / "bad"):
        fresh = load_library([folder]).loaded
        with Store(tmp_path / "c", [folder]) as store:
            store.refresh(Checks(date.today()))
        with Store(tmp_path / "c", [folder]) as store:
            assert store.refresh(Checks(date.today())).parsed == 0
            assert list(store.loaded()) == fresh


def test_store_findings_equal_validate(tmp_path: Path) -> None:
    """With and without opt-in rules, switched between runs on one store: the stored findings of
    each record were made for other rules, and must not be answered."""
    today = date(2026, 11, 23)
    bad = TEST_RECORDS / "bad"
    for folder in (RECORDS, TEST_RECORDS / "good", bad, *sorted(p for p in bad.iterdir() if p.is_dir())):
        for rules in ((), ("BK027", "BK050", "BK060"), ("BK050",), ()):
            expected = validate(load_library([folder]), today, enable=rules)
            for _ in range(2):  # filled, then answered from the store
                with Store(tmp_path / "c", [folder]) as store:
                    assert collection.validate(store, today, rules)[0] == expected


def test_one_edited_record_is_parsed_again_and_only_it(tmp_path: Path) -> None:
    records = _copy(tmp_path)
    with Store(tmp_path / "c", [records]) as store:
        assert store.refresh(Checks(date.today())).parsed == len(list(records.glob("*.yaml")))
    path = records / "biderman2023pythia.yaml"
    path.write_text(path.read_text().replace("Pythia: A Suite", "Pythia: The Suite"))
    with Store(tmp_path / "c", [records]) as store:
        assert store.refresh(Checks(date.today())).parsed == 1
        (pythia,) = [lo.record for lo in store.loaded() if lo.record and lo.record.key == "biderman2023pythia"]
    assert pythia.title.startswith("Pythia: The Suite")


def test_edits_keep_the_findings_what_a_fresh_run_finds(tmp_path: Path) -> None:
    """Duplicates and near-duplicates made and unmade by edits, added and removed files."""
    records = _copy(tmp_path)
    today = date(2026, 11, 23)
    pythia = (records / "biderman2023pythia.yaml").read_text()
    near = pythia.replace("Pythia: A Suite", "Pythia: a suite")
    steps = [
        (lambda: (records / "copy2023pythia.yaml").write_text(near), True),
        # The second of a pair moved down a line, its title as it was; the first's title edited,
        # still near: the finding is on the second's title and names the first's title.
        (lambda: (records / "copy2023pythia.yaml").write_text("note: Moved down.\n" + near), True),
        (lambda: (records / "biderman2023pythia.yaml").write_text(pythia.replace("A Suite", "The Suite")), True),
        (lambda: (records / "copy2023pythia.yaml").write_text(pythia.replace("Pythia", "Cobra")), None),
        (lambda: (records / "biderman2023pythia.yaml").write_text(pythia.replace("Pythia: A Suite", "Pythia, A Suite")),
         None),
        (lambda: (records / "copy2023pythia.yaml").unlink(), None),
        (lambda: (records / "biderman2023pythia.yaml").write_text("title: [unclosed\n"), None),
    ]
    for step, near_duplicate in steps:
        step()
        with Store(tmp_path / "c", [records]) as store:
            found = collection.validate(store, today)[0]
        assert found == validate(load_library([records]), today)
        if near_duplicate is not None:
            assert any(d.code == "BK043" for d in found) == near_duplicate


@pytest.mark.parametrize("edit", [
    lambda text: text.replace("type: paper-conference", "id: azerbayev2023proofnet\ntype: paper-conference"),
    lambda text: text.replace("type: paper-conference", "ids: [ahdritz2024openfold]\ntype: paper-conference"),
    lambda text: text.replace('arxiv: "2304.01373"', 'arxiv: "2302.12433"'),
    lambda text: text.replace("type: paper-conference", "DOI: 10.1038/S41592-024-02272-Z\ntype: paper-conference"),
], ids=["key", "former key", "arxiv", "doi"])
def test_a_name_edited_into_a_repeat_and_out_again_is_found_and_forgotten(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[str], str]) -> None:
    """The repeated names (BK040-BK042) are kept between runs: an edit of one record's name
    must be seen, whichever of the other records it repeats."""
    from bibkit import libcache

    monkeypatch.setattr(libcache, "_RACY_NS", 0)  # only the edited file is read again
    records = _copy(tmp_path)
    today = date(2026, 11, 23)
    path = records / "biderman2023pythia.yaml"
    original = path.read_text()
    for text in (original, edit(original), original):
        path.write_text(text)
        with Store(tmp_path / "c", [records]) as store:
            found = collection.validate(store, today)[0]
        assert found == validate(load_library([records]), today)
        assert any(d.code in {"BK040", "BK041", "BK042"} for d in found) == (text != original)


def test_cli_answers_from_the_store_until_something_changes(tmp_path: Path, isolated_cache: Path) -> None:
    records = _copy(tmp_path)
    first = bibkit("export", "-f", "bibtex", "-r", records)
    assert first.exit_code == 0
    assert list((isolated_cache / "store").glob("*.sqlite"))
    assert bibkit("export", "-f", "bibtex", "-r", records).stdout == first.stdout
    path = records / "biderman2023pythia.yaml"
    path.write_text(path.read_text().replace("volume: \"202\"", "volume: \"999\""))
    assert "volume = {999}" in bibkit("export", "-f", "bibtex", "-r", records).stdout
    path.write_text(path.read_text().replace("issued: 2023-07", "issued: 2023-13"))
    broken = bibkit("validate", records)
    assert broken.exit_code == 1 and " BK022 " in broken.stdout
    again = bibkit("export", "-f", "bibtex", "-r", records)
    assert again.exit_code == 0 and " BK022 " in again.stderr
    assert bibkit("export", "-f", "bibtex", "-r", records, "--strict").exit_code == 1


def test_an_output_that_holds_the_export_is_left_alone_without_reading_the_entries(
        tmp_path: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing changed and the file holds what the export writes: the entries are not read, the
    file is not touched. Another format or selection, an edited record, or an edited output
    file is written again."""
    from bibkit.libcache import Store as StoreClass

    records = _copy(tmp_path)
    out = tmp_path / "refs.bib"
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    written, stamp = out.read_bytes(), out.stat().st_mtime_ns
    read: list[str] = []
    entries = StoreClass.entries

    def counted(self: StoreClass, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        read.append("entries")
        return entries(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(StoreClass, "entries", counted)
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    assert (read, out.read_bytes(), out.stat().st_mtime_ns) == ([], written, stamp)
    out.write_bytes(written.replace(b"Pythia", b"Python"))  # edited by hand: written again
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    assert out.read_bytes() == written and read == ["entries"]
    assert bibkit("export", "-f", "biblatex", "-r", records, "-o", out).exit_code == 0
    assert out.read_bytes() != written and b"journaltitle" in out.read_bytes()
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    assert out.read_bytes() == written
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out, "--key", "biderman2023pythia").exit_code == 0
    assert out.read_bytes().count(b"\n@") == 0 and b"biderman2023pythia" in out.read_bytes()
    path = records / "biderman2023pythia.yaml"
    path.write_text(path.read_text().replace('volume: "202"', 'volume: "999"'))
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
    assert b"volume = {999}" in out.read_bytes()


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex", "csl-json", "text"])
def test_exports_from_the_store_equal_exports_from_the_model(tmp_path: Path, isolated_cache: Path, fmt: str) -> None:
    import bibkit as api

    records = _copy(tmp_path)
    expected = api.export(api.load(records).records, fmt)
    for _ in range(2):
        assert bibkit("export", "-f", fmt, "-r", records).stdout.encode() == expected
    selected = bibkit("export", "-f", fmt, "-r", records, "--year", "2023").stdout.encode()
    assert selected == api.export([r for r in api.load(records).records if r.issued and r.issued.year == 2023], fmt)


def test_a_paper_gets_its_citations_under_the_names_it_uses(tmp_path: Path) -> None:
    """--aux after a full export: the store holds each record's entry under its own key; a paper
    citing a former key gets the entry under that name (and in BibTeX no copy it did not cite)."""
    import bibkit as api
    from bibkit.aux import read_aux
    from bibkit.select import Selection, choose

    records = _copy(tmp_path)
    pythia = records / "biderman2023pythia.yaml"
    pythia.write_text(pythia.read_text() + "ids: [pythia2023, biderman2023suite]\n")
    aux = tmp_path / "paper.aux"
    aux.write_text("\\citation{pythia2023}\n\\citation{belrose2023leace}\n")
    for fmt in ("bibtex", "biblatex", "csl-json", "text"):
        assert bibkit("export", "-f", fmt, "-r", records).exit_code == 0  # every entry, stored
        chosen, _ = choose(api.load(records).records, Selection(cited=read_aux(aux)))
        assert sorted(r.key for r in chosen) == ["belrose2023leace", "pythia2023"]
        for _ in range(2):
            result = bibkit("export", "-f", fmt, "-r", records, "--aux", aux)
            assert result.exit_code == 0
            assert result.stdout.encode() == api.export(chosen, fmt)
    assert "biderman2023suite" not in bibkit("export", "-f", "bibtex", "-r", records, "--aux", aux).stdout
    assert "{biderman2023suite," in bibkit("export", "-f", "bibtex", "-r", records).stdout


def test_crossref_parents_follow_their_children_in_a_streamed_export(tmp_path: Path) -> None:
    """bibtex resolves a crossref only to a later entry: the store's key order is not enough."""
    import bibkit as api

    records = tmp_path / "records"
    records.mkdir()
    entries = {"series2019": None, "proc2020": "series2019", "a2020": "proc2020", "z2020": "proc2020",
               "b2021": "SERIES2019", "loop2020": "loop2021", "loop2021": "loop2020"}
    for key, parent in entries.items():
        kind = "paper-conference" if parent else "book"
        link = f"crossref: {parent}\n" if parent else ""
        (records / f"{key}.yaml").write_text(f"type: {kind}\ntitle: Paper {key}\nauthor: [Ada Lovelace]\n"
                                             f"issued: 2020\n{link}")
    for fmt in ("bibtex", "biblatex"):
        for selection in ((), ("--key", "z2020", "--key", "proc2020", "--key", "series2019")):
            expected = api.export(api.load(records).records if not selection else
                                  [r for r in api.load(records).records if r.key in selection], fmt)
            assert expected.index(b"{proc2020,") > expected.index(b"{z2020,")
            for _ in range(2):
                assert bibkit("export", "-f", fmt, "-r", records, *selection).stdout.encode() == expected


@pytest.mark.parametrize("fmt", ["text", "html", "markdown", "html-page"])
def test_a_changed_style_file_renders_again(tmp_path: Path, fmt: str) -> None:
    records = _copy(tmp_path)
    style = tmp_path / "mine.csl"
    house = (ROOT / "styles" / "lab-publications.csl").read_text()
    style.write_text(house)
    before = bibkit("export", "-f", fmt, "--style", str(style), "-r", records).stdout
    style.write_text(house.replace('<layout suffix=".">', '<layout suffix=" ENDMARK">'))
    after = bibkit("export", "-f", fmt, "--style", str(style), "-r", records).stdout
    assert "ENDMARK" in after and "ENDMARK" not in before


def test_a_dependent_styles_new_locale_renders_again(tmp_path: Path) -> None:
    """A dependent style is its parent's file and its own default-locale: a change of the locale
    alone is another list."""
    records = _copy(tmp_path)
    style = tmp_path / "journal.csl"
    dependent = ('<?xml version="1.0" encoding="utf-8"?>\n<style xmlns="http://purl.org/net/xbiblio/csl" '
                 'version="1.0" default-locale="{}"><info><title>A journal</title><id>journal</id>'
                 '<link href="http://www.zotero.org/styles/ieee" rel="independent-parent"/>'
                 '<updated>2024-01-01T00:00:00+00:00</updated></info></style>\n')
    style.write_text(dependent.format("en-US"))
    english = bibkit("export", "-f", "text", "--style", str(style), "-r", records).stdout
    style.write_text(dependent.format("de-DE"))
    german = bibkit("export", "-f", "text", "--style", str(style), "-r", records).stdout
    assert "pp. " in english and "pp. " not in german and "S. " in german


def test_a_new_day_checks_dates_again(tmp_path: Path) -> None:
    records = _copy(tmp_path)
    (records / "biderman2023pythia.yaml").write_text(
        (records / "biderman2023pythia.yaml").read_text().replace("issued: 2023-07", "issued: 2026-12"))
    with Store(tmp_path / "c", [records]) as store:
        assert any(d.code == "BK023" for d in collection.validate(store, date(2026, 11, 23))[0])
    with Store(tmp_path / "c", [records]) as store:
        assert not any(d.code == "BK023" for d in collection.validate(store, date(2026, 12, 1))[0])


def test_a_change_of_bibkits_code_is_never_answered_from_the_store(tmp_path: Path) -> None:
    """A real edit of bibkit's source, in a copy of the package run in its own processes."""
    package = tmp_path / "src"
    shutil.copytree(ROOT / "bibkit", package / "bibkit", ignore=shutil.ignore_patterns("__pycache__"))
    records = _copy(tmp_path)
    # -S: without site, the development install's import hook does not shadow the copy.
    command = [sys.executable, "-S", "-c", "from bibkit.cli import main; main()", "export", "-f", "bibtex",
               "-r", str(records)]
    env = {"PYTHONPATH": f"{package}:{sysconfig.get_paths()['purelib']}", "BIBKIT_CACHE_DIR": str(tmp_path / "cache"),
           "PATH": "/usr/bin:/bin"}

    def export() -> str:
        return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, check=True).stdout

    before = export()
    assert "  title = {" in before
    source = package / "bibkit" / "exporters" / "bibtex.py"
    source.write_text(source.read_text().replace('lines.append(f"  {name} = ', 'lines.append(f"  {name}  = '))
    after = export()
    assert "  title  = {" in after and "  title = {" not in after


def _damage_store(cache: Path, sql: str) -> None:
    (path,) = (cache / "store").glob("*.sqlite")
    db = sqlite3.connect(path)
    db.execute(sql)
    db.commit()
    db.close()


@pytest.mark.parametrize("damage", [
    "UPDATE files SET loaded = '{not json'",
    "UPDATE files SET loaded = '[[1], {}, []]'",
    "UPDATE files SET findings = '[[1, 2]]'",
    "UPDATE files SET facts = '[1]' WHERE key = 'biderman2023pythia'",
    "UPDATE entries SET data = substr(data, 1, 20)",
    "UPDATE entries SET data = NULL",
    "DELETE FROM entries WHERE path = (SELECT min(path) FROM entries)",
])
def test_a_damaged_store_is_never_trusted(tmp_path: Path, damage: str, isolated_cache: Path) -> None:
    records = _copy(tmp_path)
    pythia = (records / "biderman2023pythia.yaml").read_text()
    (records / "copy2023pythia.yaml").write_text(
        pythia.replace("Pythia: A Suite", "Pythia: a suite").replace("2304.01373", "2304.01374"))
    expected = bibkit("export", "-f", "bibtex", "-r", records)
    findings = bibkit("validate", records).stdout
    assert " BK043 " in findings and " BK042 " not in findings
    _damage_store(isolated_cache, damage)
    result = bibkit("export", "-f", "bibtex", "-r", records)
    assert (result.exit_code, result.stdout) == (expected.exit_code, expected.stdout)
    assert bibkit("validate", records).stdout == findings


def test_entries_are_looked_for_after_a_validate_not_after_an_export(
        tmp_path: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An export renders what it parses, so the next one does not look through every record
    for a missing entry; after a ``validate`` parsed an edit, it does, and renders it. An entry
    missing all the same (a damaged store) is noticed, and the export is whole."""
    statements = traced_statements(monkeypatch)
    records = _copy(tmp_path)
    out = tmp_path / "refs.bib"
    path = records / "biderman2023pythia.yaml"

    def export_after(edit: str | None, validate_first: bool = False) -> bool:
        if edit is not None:
            path.write_text(path.read_text().replace('volume: "', f'volume: "{edit}', 1))
        if validate_first:
            assert bibkit("validate", records).exit_code == 0
        statements.clear()
        assert bibkit("export", "-f", "bibtex", "-r", records, "-o", out).exit_code == 0
        assert out.read_text() == bibkit("export", "-f", "bibtex", "-r", records, "--no-cache").stdout
        return any("NOT EXISTS" in s for s in statements)

    export_after(None)
    assert not export_after("1")
    assert export_after("2", validate_first=True)
    assert b'volume = {21' in out.read_bytes()
    assert not export_after("3")
    _damage_store(isolated_cache, "DELETE FROM entries WHERE path = "
                                  "(SELECT min(path) FROM entries WHERE path NOT LIKE '%pythia%')")
    export_after("4")  # whole (compared with --no-cache above), though the store lacked an entry


def test_a_store_that_is_not_a_database_is_replaced(tmp_path: Path, isolated_cache: Path) -> None:
    records = _copy(tmp_path)
    expected = bibkit("export", "-f", "bibtex", "-r", records).stdout
    for path in (isolated_cache / "store").glob("*.sqlite*"):
        path.write_bytes(b"not a database" * 100)
    result = bibkit("export", "-f", "bibtex", "-r", records)
    assert result.exit_code == 0 and result.stdout == expected


def test_no_cache_writes_nothing(tmp_path: Path, isolated_cache: Path) -> None:
    records = _copy(tmp_path)
    assert bibkit("validate", "--no-cache", records).exit_code == 0
    assert bibkit("export", "-f", "bibtex", "--no-cache", "-r", records).exit_code == 0
    assert not list(isolated_cache.rglob("*"))


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize(("command", "validated"), [
    (("validate",), False), (("export", "-f", "bibtex"), False), (("export", "-f", "bibtex"), True),
    (("export", "-f", "csl-json"), False), (("export", "-f", "text"), False)])
def test_files_parsed_in_worker_processes_give_what_one_process_gives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...], validated: bool,
        shared: bool) -> None:
    """The parsing, and the rendering of entries, is shared among forked workers: the same
    findings and the same output, in the same order, bad records included; and the store they
    fill is the one the next run reads. ``shared``: the files are parsed by forked workers and
    this process, a chunk at a time (else by a pool's workers). ``validated``: the records were
    parsed by a ``validate`` before, and the export renders the entries the store lacks, a part
    of them at a time."""
    from bibkit import fanout, libcache
    records = _copy(tmp_path)
    if command == ("validate",):  # bad records last, where the last chunk is
        for bad in sorted((TEST_RECORDS / "bad").rglob("*.yaml")):
            shutil.copy(bad, records / f"zz-{bad.parent.name}-{bad.name}")
    monkeypatch.setattr(libcache, "_PARALLEL_FROM", 4)
    monkeypatch.setattr(libcache, "_CHUNK", 3)
    monkeypatch.setattr(fanout, "MIN_PER_WORKER", 2)
    monkeypatch.setattr(libcache, "_PART", 11)  # parts of several chunks, the last a short one
    if not shared:
        monkeypatch.setattr(libcache, "_SHARED_UP_TO", 0)
    split = count_splits(monkeypatch, fanout)
    parsing: list[bool] = []  # whether each sharing of the parsing split it
    real_shared = libcache._shared

    def spy(work: Any, items: Any, meanwhile: Any = None, ahead: int = 0) -> Any:
        before = len(split)
        done = real_shared(work, items, meanwhile, ahead)
        if getattr(work, "func", None) is libcache._examine:
            parsing.append(any(split[before:]))
        return done

    monkeypatch.setattr(libcache, "_shared", spy)
    pooled: list[bool] = []
    pool_init = libcache._Pool.__init__

    def counted_pool(self: Any, *args: Any) -> None:
        pool_init(self, *args)
        pooled.append(self.pool is not None)

    monkeypatch.setattr(libcache._Pool, "__init__", counted_pool)
    runs = {}
    for workers in (1, 2, 3):
        monkeypatch.setattr(fanout, "workers", lambda workers=workers: workers)
        monkeypatch.setenv("BIBKIT_CACHE_DIR", str(tmp_path / f"cache{workers}"))
        target = tmp_path / f"out{workers}"
        if validated:
            bibkit("validate", records)
        args = (*command, records) if command == ("validate",) else (*command, "-r", records, "-o", target)
        first = bibkit(*args)
        out = target.read_bytes() if target.exists() else b""
        again = bibkit(*args)
        assert (again.exit_code, again.stdout, again.stderr) == (first.exit_code, first.stdout, first.stderr)
        runs[workers] = (first.exit_code, first.stdout, first.stderr, out)
    assert runs[1] == runs[2] == runs[3]
    # the files were parsed in workers (with one worker, here)
    assert (any(parsing) and not any(pooled)) if shared else (any(pooled) and not parsing)
    if validated:
        assert sum(split) > 3  # the entries' parts were shared out
        # ... and they are the entries an export renders as it parses (not after a validate)
        monkeypatch.setenv("BIBKIT_CACHE_DIR", str(tmp_path / "cache-direct"))
        assert bibkit(*command, "-r", records, "-o", tmp_path / "direct").exit_code == 0
        assert (tmp_path / "direct").read_bytes() == runs[1][3]
    if command == ("validate",):
        assert runs[1][1].count("zz-") > 30  # the bad records' findings
    else:
        assert runs[1][0] == 0 and len(runs[1][3]) > 10_000


_WARM: dict[str, bool] = {}


def _warming(item: int) -> tuple[int, int, bool]:
    """(item, the process that did it, whether this process had done one, or inherited one)."""
    inherited = _WARM.get("done", False)
    _WARM["done"] = True
    time.sleep(0.0005)  # (work that takes time: every process gets some)
    return item, os.getpid(), inherited


@pytest.mark.parametrize("ahead", [0, 7])
def test_the_workers_inherit_what_the_first_file_parsed_imports(monkeypatch: pytest.MonkeyPatch,
                                                                 ahead: int) -> None:
    """The store's shared work does one item here before forking (a new file's parse imports
    the YAML parser and the record model): no worker starts cold, and the results keep their
    order."""
    from bibkit import fanout, libcache
    monkeypatch.setattr(fanout, "workers", lambda: 2)
    _WARM.clear()
    items = list(range(400))
    done = libcache._shared(_warming, items, ahead=ahead)
    assert [item for item, _, _ in done] == items
    assert done[ahead][1:] == (os.getpid(), False)  # the first done, here
    workers = {pid for _, pid, _ in done} - {os.getpid()}
    assert workers  # (the work was split)
    assert all(inherited for item, _, inherited in done if item != ahead)


def test_concurrent_runs_agree(tmp_path: Path) -> None:
    records = _copy(tmp_path)
    env = {"BIBKIT_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-c", "from bibkit.cli import main; main()", "export", "-f", "bibtex",
               "-r", str(records)]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    outputs = [run.communicate()[0] for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert len(set(outputs)) == 1 and outputs[0]


titles = st.dictionaries(st.sampled_from([f"p{i:02d}" for i in range(40)]),
                         st.lists(st.sampled_from(["a", "b", "c", "de", "fgh"]), min_size=1, max_size=6).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(old=titles, new=titles)
def test_near_duplicates_after_edits_equal_a_fresh_search(old: dict[str, str], new: dict[str, str]) -> None:
    pairs = across.near_duplicates(old)
    assert across.near_duplicates_update(old, new, pairs) == across.near_duplicates(new)


@settings(max_examples=200, deadline=None)
@given(present=titles, asked=st.sampled_from([f"p{i:02d}" for i in range(40)]),
       title=st.lists(st.sampled_from(["a", "b", "c", "de", "fgh"]), min_size=1, max_size=6).map(" ".join),
       reverse=st.booleans())
def test_the_stores_title_windows_are_those_of_the_sorted_titles(tmp_path_factory: pytest.TempPathFactory,
                                                                  present: dict[str, str], asked: str, title: str,
                                                                  reverse: bool) -> None:
    from bibkit.libcache import _StoredTitles

    with Store(tmp_path_factory.mktemp("c"), []) as store:
        rows = [(p, t, t[::-1]) for p, t in present.items()] + [("empty", "", ""), ("unread", None, None)]
        store.db.executemany("INSERT INTO files (path, tkey, rkey) VALUES (?, ?, ?)", rows)
        title = present.get(asked, title)
        expected = across.SortedTitles(present).around(title, asked, reverse)
        assert _StoredTitles(store.db).around(title, asked, reverse) == expected


def test_titles_edited_a_few_at_a_time_keep_the_pairs_a_fresh_search_finds(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Edits, removals and additions of a few files (found from the store's windows) and of
    many (compared in memory): the stored pairs are those of a search over every title."""
    from bibkit import libcache

    monkeypatch.setattr(libcache, "_RACY_NS", 0)  # files written a moment ago are not all read again
    rng = random.Random(14)
    # Few titles, each held by more records than a window: which pairs are compared depends on
    # what lies between them, so an edit anywhere in a run of equal titles changes the pairs.
    choices = ["Deep nets", "Deep net", "Deep nets.", "Graph learning on nets", "Graph learning of nets",
               "A survey of deep nets"]
    records = tmp_path / "records"
    records.mkdir()

    def write(i: int) -> None:
        title = rng.choice(choices)
        (records / f"r{i:03d}.yaml").write_text(f"id: r{i:03d}\ntype: report\ntitle: {title}\nissued: 2020\n")

    for i in range(80):
        write(i)
    for step in range(12):
        for _ in range(70 if step == 6 else rng.randint(1, 3)):
            i = rng.randrange(90)
            if (records / f"r{i:03d}.yaml").exists() and rng.random() < 0.2:
                (records / f"r{i:03d}.yaml").unlink()
            else:
                write(i)
        with Store(tmp_path / "c", [records]) as store:
            store.refresh(Checks(date.today()))
            pairs = set(store.db.execute("SELECT a, b FROM pairs"))
            titles = dict(store.db.execute("SELECT path, tkey FROM files"))
        assert pairs == across.near_duplicates(titles)
        assert len(pairs) > 10


def _lcs(a: str, b: str) -> int:
    row = [0] * (len(b) + 1)
    for ca in a:
        diagonal = 0
        for j, cb in enumerate(b, 1):
            diagonal, row[j] = row[j], diagonal + 1 if ca == cb else max(row[j], row[j - 1])
    return row[-1]


@settings(max_examples=500, deadline=None)
@given(a=st.text("abcd ", max_size=30), b=st.text("abcd ", max_size=30))
def test_near_duplicate_titles_are_those_whose_common_subsequence_reaches_the_ratio(a: str, b: str) -> None:
    """BK043's definition, computed here by the textbook dynamic programme: twice the longest
    common subsequence over the two lengths, at least NEAR_DUPLICATE_RATIO."""
    expected = bool(a and b) and 2 * _lcs(a, b) >= across.NEAR_DUPLICATE_RATIO * (len(a) + len(b))
    found = across.near_duplicates({"x.yaml": a, "y.yaml": b})
    assert found == ({("x.yaml", "y.yaml")} if expected else set())


def test_near_duplicate_titles_at_the_ratio() -> None:
    base = "abcdefghij" * 2  # 20 characters
    one_off = base[:-2] + "zz"  # LCS 18 of 20 + 20: exactly 0.9
    two_off = base[:-3] + "yyy"  # 17 with either: 0.85
    found = across.near_duplicates({"a.yaml": base, "b.yaml": one_off, "c.yaml": two_off})
    assert found == {("a.yaml", "b.yaml")}


def test_the_code_stamp_follows_every_module_of_bibkit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stamp in the store's name: the same for the same code, another after an edit of any
    module (in a subpackage too), whatever else changes beside the code."""
    from bibkit import libcache

    assert libcache._code_stamp() == libcache.STAMP
    package = tmp_path / "bibkit"
    shutil.copytree(ROOT / "bibkit", package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(libcache, "__file__", str(package / "libcache.py"))
    first = libcache._code_stamp()
    assert first == libcache._code_stamp()
    (package / "schema" / "notes.txt").write_text("not code")
    assert libcache._code_stamp() == first
    module = package / "exporters" / "bibtex.py"
    module.write_text(module.read_text() + "# an edit\n")
    edited = libcache._code_stamp()
    assert edited != first
    (package / "imports" / "new.py").write_text("")
    assert libcache._code_stamp() not in (first, edited)


def test_a_store_written_by_other_code_is_never_read_and_is_removed(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from bibkit import libcache

    records = _copy(tmp_path)
    count = len(list(records.glob("*.yaml")))
    with Store(tmp_path / "c", [records]) as store:
        assert store.refresh(Checks(date.today())).parsed == count
        old = store.path
    monkeypatch.setattr(libcache, "STAMP", libcache.STAMP + "-upgraded")
    with Store(tmp_path / "c", [records]) as store:
        assert store.path != old
        assert store.refresh(Checks(date.today())).parsed == count
    assert not list(old.parent.glob(old.name + "*"))


def test_a_cache_directory_that_cannot_be_made_costs_time_never_correctness(tmp_path: Path) -> None:
    records = _copy(tmp_path)
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache would go")
    with Store(blocked, [records]) as store:
        assert store.refresh(Checks(date.today())).parsed == len(list(records.glob("*.yaml")))
        assert list(store.loaded()) == load_library([records]).loaded
        private = store.path.parent
    assert blocked.read_text() == "a file where the cache would go" and not private.exists()


def test_a_stored_record_that_cannot_be_read_on_a_new_day_is_parsed_again(tmp_path: Path) -> None:
    records = _copy(tmp_path)
    with Store(tmp_path / "c", [records]) as store:
        store.refresh(Checks(date(2026, 11, 23)))
    db = sqlite3.connect(next((tmp_path / "c" / "store").glob("*.sqlite")))
    db.execute("UPDATE files SET loaded = '{not json' WHERE key = 'biderman2023pythia'")
    db.commit()
    db.close()
    with Store(tmp_path / "c", [records]) as store:
        store.refresh(Checks(date(2026, 11, 24)))
    with Store(tmp_path / "c", [records]) as store:
        assert store.refresh(Checks(date(2026, 11, 24))).parsed == 1
        assert list(store.loaded()) == load_library([records]).loaded


def test_a_kept_result_is_given_back_for_its_digest_only(tmp_path: Path) -> None:
    records = _copy(tmp_path)
    found = validate(load_library([TEST_RECORDS / "bad"]), date(2026, 11, 23))
    assert found
    with Store(tmp_path / "c", [records]) as store:
        store.refresh(Checks(date(2026, 11, 23)))
        digest = store.digest(date(2026, 11, 23))
        assert digest != store.digest(date(2026, 11, 24))
        store.keep_result("list:text", digest, found, b"the output")
        assert store.result("list:text", digest) == (found, b"the output")
        assert store.result("list:text", store.digest(date(2026, 11, 24))) is None
        assert store.result("list:html", digest) is None


def test_a_folder_given_twice_is_checked_once_and_a_removed_file_is_gone(tmp_path: Path,
                                                                        isolated_cache: Path) -> None:
    records = _copy(tmp_path)
    pythia = records / "biderman2023pythia.yaml"
    copy = records / "copy2023pythia.yaml"
    copy.write_text(pythia.read_text())  # the same key and identifiers twice
    assert " BK04" in bibkit("validate", records).stdout
    count = len(list(records.glob("*.yaml")))
    copy.unlink()
    twice = bibkit("validate", "-v", records, records, pythia)
    assert (twice.exit_code, twice.stdout) == (0, "")
    assert f"{count - 1} record file(s) checked" in twice.stderr


def test_the_digest_changes_with_a_files_content_and_with_files_that_come_or_go(tmp_path: Path) -> None:
    """Kept results are found by the digest: an edit, a new file and a removed file each give
    another; a file only touched (same bytes), a run with nothing changed, or a store opened
    again give the same one."""
    records = _copy(tmp_path)
    day = date(2026, 11, 23)

    def digest_after(change: Callable[[], object]) -> tuple[str, int]:
        change()
        with Store(tmp_path / "c", [records]) as store:
            parsed = store.refresh(Checks(day)).parsed
            return store.digest(day), parsed

    first, _ = digest_after(lambda: None)
    assert digest_after(lambda: None) == (first, 0)
    victim = sorted(records.glob("*.yaml"))[0]
    text = victim.read_text()
    assert digest_after(lambda: victim.write_text(text)) == (first, 0)  # touched: stat differs, bytes do not
    edited, parsed = digest_after(lambda: victim.write_text(text.replace("title:", "note: edited\ntitle:", 1)))
    assert parsed == 1 and edited != first
    reverted, _ = digest_after(lambda: victim.write_text(text))
    added, _ = digest_after(lambda: (records / "zz-new.yaml").write_text(text.replace(
        victim.stem, "zznew", 1)))
    removed, _ = digest_after(lambda: (records / "zz-new.yaml").unlink())
    assert len({first, edited, reverted, added, removed}) == 5
    with Store(tmp_path / "fresh", [records]) as store:
        store.refresh(Checks(day))
        store.keep_result("list:text", store.digest(day), [], b"the output")
        store.reset()
        store.refresh(Checks(day))
        assert store.result("list:text", store.digest(day)) is None  # nothing kept survives a reset


def test_a_paper_exported_first_stores_its_entries_and_reads_them_back(tmp_path: Path, isolated_cache: Path) -> None:
    """--aux before any full export: each cited entry is rendered, kept, and read from the store
    the next time, the same bytes."""
    import bibkit as api
    from bibkit.aux import read_aux
    from bibkit.select import Selection, choose

    records = _copy(tmp_path)
    aux = tmp_path / "paper.aux"
    aux.write_text("\\citation{biderman2023pythia}\n\\citation{belrose2023leace}\n")
    chosen, _ = choose(api.load(records).records, Selection(cited=read_aux(aux)))
    for fmt in ("bibtex", "csl-json"):
        for _ in range(2):
            result = bibkit("export", "-f", fmt, "-r", records, "--aux", aux)
            assert result.exit_code == 0, result.stderr
            assert result.stdout.encode() == api.export(chosen, fmt)
            (path,) = (isolated_cache / "store").glob("*.sqlite")
            db = sqlite3.connect(path)
            stored = db.execute("SELECT count(*) FROM entries WHERE what LIKE ?", (f"{fmt}:%",)).fetchone()[0]
            db.close()
            assert stored >= len(chosen)


def test_the_cache_directory_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """BIBKIT_CACHE_DIR, else $XDG_CACHE_HOME/bibkit, else ~/.cache/bibkit."""
    from bibkit.libcache import cache_root

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BIBKIT_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_root() == tmp_path / "home" / ".cache" / "bibkit"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "bibkit"
    monkeypatch.setenv("BIBKIT_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"


def test_unchanged_findings_are_read_back_not_made_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm run reads the findings kept for the collection as it stands; an edit makes them
    again, with what the edit changed."""
    records = _copy(tmp_path)
    today = date(2026, 11, 29)
    with Store(tmp_path / "c", [records]) as store:
        first = collection.validate(store, today)[0]
    made: list[int] = []
    real = Store._findings

    def counting(self: Store, refreshed: object) -> object:
        made.append(1)
        return real(self, refreshed)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "_findings", counting)
    with Store(tmp_path / "c", [records]) as store:
        assert collection.validate(store, today)[0] == first
    assert made == []
    victim = records / "biderman2023pythia.yaml"
    twin = records / "twin.yaml"
    twin.write_text(victim.read_text())  # the same title, DOI and arXiv id: findings across records
    with Store(tmp_path / "c", [records]) as store:
        found = collection.validate(store, today)[0]
    assert made == [1]
    assert found == validate(load_library([records]), today) != first


def test_kept_findings_follow_the_order_of_the_folders(tmp_path: Path) -> None:
    """The first of two records with one key is the one named first: ``validate b a`` reports
    the other record than ``validate a b``, from the same store."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copy(RECORDS / "biderman2023pythia.yaml", a / "biderman2023pythia.yaml")
    shutil.copy(RECORDS / "biderman2023pythia.yaml", b / "biderman2023pythia.yaml")
    today = date(2026, 11, 29)
    for folders in ([a, b], [b, a], [a, b]):
        with Store(tmp_path / "c", folders) as store:
            found = collection.validate(store, today)[0]
        assert found == validate(load_library(folders), today)
        assert any(d.code == "BK040" and d.path.parent == folders[1] for d in found)


def test_a_store_filled_from_empty_builds_every_index_it_dropped(tmp_path: Path) -> None:
    """Filling an empty store with many records drops the indexes of ``files`` and builds them
    once at the end: every one is there afterwards, and the store answers as a fresh run does."""
    from bibkit import libcache

    records = tmp_path / "records"
    records.mkdir()
    for n in range(2):  # more files than a few: the store is filled in bulk
        for path in RECORDS.glob("*.yaml"):
            shutil.copy(path, records / f"{n}-{path.name}")
    count = len(list(records.glob("*.yaml")))
    assert count > libcache._FEW_CHANGES
    today = date(2026, 11, 29)
    with Store(tmp_path / "c", [records]) as store:
        assert collection.validate(store, today, ())[0] == validate(load_library([records]), today)
        indexes = {name for (name,) in store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'files'")}
    assert set(libcache._FILE_INDEXES) <= indexes


def test_a_formatted_list_reads_the_csl_items_made_where_its_records_were_parsed(
        tmp_path: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A text, HTML or Markdown list is rendered from each record's CSL item, which the store
    makes where it parses the record (in the worker processes of a large collection) and keeps:
    an export reads the items, not the stored records. After a ``validate``, which makes no
    item, the export makes the items it lacks. The list is the list rendered from the records."""
    import bibkit as api
    from bibkit.exporters import ExportOptions, export

    statements = traced_statements(monkeypatch)
    records = _copy(tmp_path)
    n = len(list(records.glob("*.yaml")))

    def items_stored() -> int:
        (path,) = (isolated_cache / "store").glob("*.sqlite")
        db = sqlite3.connect(path)
        try:
            return int(db.execute("SELECT count(*) FROM entries WHERE what = 'csl-item'").fetchone()[0])
        finally:
            db.close()

    for fmt in ("text", "html", "markdown"):
        statements.clear()
        result = bibkit("export", "-f", fmt, "-r", records, "--style", "ieee")
        assert result.exit_code == 0, result.stderr
        assert result.stdout.encode() == export(api.load(records).records, fmt, ExportOptions(style="ieee"))
        assert items_stored() == n
        assert not any("loaded FROM files" in s for s in statements)  # the records are not read back
    before = bibkit("export", "-f", "text", "-r", records).stdout
    path = records / "biderman2023pythia.yaml"
    path.write_text(path.read_text().replace('volume: "', 'volume: "9', 1))
    assert bibkit("validate", records).exit_code == 0
    result = bibkit("export", "-f", "text", "-r", records)
    assert result.stdout.encode() == api.export(api.load(records).records, "text")
    assert result.stdout != before and items_stored() == n


@pytest.mark.parametrize("shared", [True, False])
def test_a_run_compiles_the_style_while_its_records_are_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               shared: bool) -> None:
    """``refresh``'s ``meanwhile`` (a formatted list compiles its style there) runs once when
    files are parsed, after the workers have started on them (``shared``: forked workers that
    take the files in chunks, and this process too, which runs it first; else a pool's workers,
    handed every file); not when nothing changed, nor when the files looked at are the bytes
    the store holds (touched: a warm run would compile a style it does not use)."""
    from bibkit import fanout, libcache

    monkeypatch.setattr(libcache, "_RACY_NS", 0)  # files written a moment ago are not all read again
    monkeypatch.setattr(fanout, "workers", lambda: 2)
    if not shared:
        monkeypatch.setattr(libcache, "_SHARED_UP_TO", 0)
    records = _copy(tmp_path)
    for n in range(300):  # enough files to be parsed in worker processes
        (records / f"copy{n}.yaml").write_text((records / "biderman2023pythia.yaml").read_text())
    handed: list[int] = []  # files handed to the pool's workers, or forks of the workers that share them
    real_map, real_fork = libcache._Pool.map, os.fork

    def spy(self: Any, items: list[Any]) -> Any:
        handed.append(len(items))
        return real_map(self, items)

    def fork() -> int:
        pid = real_fork()
        if pid:
            handed.append(1)
        return pid

    monkeypatch.setattr(libcache._Pool, "map", spy)
    if shared:
        monkeypatch.setattr(os, "fork", fork)
    calls: list[list[int]] = []
    with Store(tmp_path / "cache", [records]) as store:
        def refresh() -> int:
            return store.refresh(Checks(date(2026, 1, 1)), meanwhile=lambda: calls.append(list(handed))).parsed

        n = len(list(records.glob("*.yaml")))
        started = [1] if shared else [n]
        assert refresh() == n and calls == [started]
        assert refresh() == 0 and calls == [started]  # nothing changed
        for path in records.glob("*.yaml"):
            os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 10**9))
        assert refresh() == 0 and calls == [started]  # every file looked at, none changed
        assert handed == [*started, *started]
        (records / "copy7.yaml").write_text((records / "copy7.yaml").read_text().replace('volume: "', 'volume: "9'))
        assert refresh() == 1 and calls == [started, [*started, *started, 1]]


def test_a_style_that_cannot_be_used_is_reported_where_the_list_is_rendered(tmp_path: Path) -> None:
    """The style compiled while the records are parsed is a head start, not a check of its own:
    a style or locale that cannot be used fails as before, with one line, and a blocked export
    reports its findings, not the style."""
    records = _copy(tmp_path)
    for n in range(300):
        (records / f"copy{n}.yaml").write_text((records / "biderman2023pythia.yaml").read_text())
    bad = tmp_path / "bad.csl"
    bad.write_text("<style/>")
    result = bibkit("export", "-f", "text", "--style", str(bad), "-r", records)
    assert result.exit_code != 0 and result.stderr.count("\n") == 1
    assert "cannot use style" in result.stderr and "Traceback" not in result.stderr
    result = bibkit("export", "-f", "text", "--style", "ieeee", "-r", records)
    assert result.exit_code == 2 and "unknown style 'ieeee'" in result.stderr
