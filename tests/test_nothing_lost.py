"""Nothing lost: writes are atomic under SIGKILL and under concurrent writers, and an interrupted
enrichment leaves every record either old or new."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bibkit.diagnostics import BibkitError

from arxiv_server import FakeArxiv, entry
from conftest import RECORDS, ROOT

WRITER = """
import sys
from pathlib import Path
from bibkit.write import write_if_changed
write_if_changed(Path(sys.argv[1]), b"new " * 60_000_000)  # 240 MB: slow enough to be caught mid-write
"""


def _wait_for(predicate: object, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.002)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_sigkill_mid_write_leaves_the_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "refs.bib"
    out.write_bytes(b"old complete output\n")
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(out)], cwd=ROOT)
    try:
        _wait_for(lambda: any(p.name.startswith(".refs.bib.") and p.stat().st_size > 0 for p in tmp_path.iterdir()))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert out.read_bytes() == b"old complete output\n"


@pytest.mark.slow
def test_concurrent_exports_to_one_file_leave_one_whole_output(tmp_path: Path) -> None:
    out = tmp_path / "refs.bib"
    selections = [["--year", str(y)] for y in (2021, 2022, 2023, 2024)] * 2
    procs = [subprocess.Popen([sys.executable, "-m", "bibkit", "export", "-f", "bibtex", "-r", str(RECORDS),
                               "-o", str(out), *sel], cwd=ROOT) for sel in selections]
    assert [p.wait(timeout=120) for p in procs] == [0] * len(procs)
    candidates = {subprocess.run([sys.executable, "-m", "bibkit", "export", "-f", "bibtex", "-r", str(RECORDS),
                                  *sel], cwd=ROOT, capture_output=True, check=True).stdout for sel in selections}
    assert out.read_bytes() in candidates
    assert [p.name for p in tmp_path.iterdir()] == ["refs.bib"]  # no temporary file left behind


@pytest.mark.slow
def test_enrichment_killed_mid_run_leaves_each_record_old_or_new(arxiv_server: FakeArxiv, tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    old: dict[str, str] = {}
    new: dict[str, str] = {}  # the category goes right after the arXiv id (the field order)
    for i in range(400):
        base = f"2301.{10000 + i}"
        arxiv_server.entries[base] = entry(base, f"Paper number {i}", ["Ada Lovelace"], "2023-01-15", "cs.CL")
        text = f'# record {i}\ntype: article\ntitle: "Paper number {i}"\nauthor: [Ada Lovelace]\n' \
               f'issued: 2023-01-15\narxiv: "{base}"\npublisher: arXiv\n'
        (records / f"lovelace2023paper{i}.yaml").write_text(text)
        old[f"lovelace2023paper{i}.yaml"] = text
        new[f"lovelace2023paper{i}.yaml"] = text.replace("publisher:", "arxiv-class: cs.CL\npublisher:")
    env = {**os.environ, "BIBKIT_ARXIV_URL": arxiv_server.url, "BIBKIT_ARXIV_DELAY": "0",
           "BIBKIT_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "bibkit", "enrich", "-r", str(records), "--no-search", "-q"]
    child = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: any("arxiv-class" in p.read_text() for p in records.glob("*.yaml")))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    states = {"old": 0, "new": 0}
    for name, text in old.items():
        now = (records / name).read_text()
        assert now in (text, new[name]), name
        states["old" if now == text else "new"] += 1
    assert states["new"] >= 1
    # The file being written when the kill came is a hidden temporary file, never a record.
    leftovers = [p for p in records.iterdir() if not p.name.endswith(".yaml")]
    assert all(p.name.startswith(".") and p.name.endswith(".tmp") for p in leftovers)
    # The rerun finishes the job from the cache, without asking arXiv again.
    requests = len(arxiv_server.requests)
    assert subprocess.run(command, cwd=ROOT, env=env, check=False).returncode == 0
    assert len(arxiv_server.requests) == requests
    assert all((records / n).read_text() == new[n] for n in old)
    assert not [p for p in leftovers if p.exists()]  # the rerun removed the killed writer's files


def test_realworld_import_export_reimport_reports_differences(tmp_path: Path) -> None:
    """Records -> BibTeX or CSL-JSON -> records: CSL-JSON gives back the same records, field for
    field; BibTeX differs only where it cannot carry the record (docs/formats.md)."""
    from bibkit.exporters import export
    from bibkit.imports import read_file
    from bibkit.richtext import plain

    from conftest import REALWORLD

    differences: dict[str, int] = {}
    for source in sorted((REALWORLD / "bib").glob("*.bib")) + sorted((REALWORLD / "csl-json").glob("*.json")):
        first = read_file(source).records
        for fmt, suffix in (("bibtex", ".bib"), ("csl-json", ".json")):
            again = tmp_path / f"{source.stem}.{fmt}{suffix}"
            again.write_bytes(export(first, fmt))
            second = {r.key: r for r in read_file(again).records}
            assert set(second) == {r.key for r in first}, (source.name, fmt)
            for rec in first:
                for name in rec.__dataclass_fields__:
                    mine, theirs = getattr(rec, name), getattr(second[rec.key], name)
                    if name == "title" and fmt == "bibtex":  # bibkit's braces come back as nocase spans
                        mine, theirs = plain(mine), plain(theirs)
                    if mine != theirs:
                        differences[f"{fmt}:{name}"] = differences.get(f"{fmt}:{name}", 0) + 1
    # CSL-JSON carries every field of the model but provenance (bibkit's own curation data).
    assert not [d for d in differences if d.startswith("csl-json:")], differences
    # BibTeX cannot carry: CSL types it has no entry type for; CSL-JSON data that is not text
    # (extra); a name without a given name of several words (braced, read back as a literal);
    # white space runs and en dashes in text; and it writes what CSL keeps elsewhere (a thesis's
    # publisher as its school, a preprint's identifier in howpublished and its arXiv URL).
    assert set(differences) <= {"bibtex:type", "bibtex:text", "bibtex:extra", "bibtex:author", "bibtex:editor",
                                "bibtex:title", "bibtex:arxiv"}, differences


@pytest.mark.slow
def test_import_killed_mid_write_leaves_no_target_and_the_rerun_tidies(tmp_path: Path) -> None:
    bib = tmp_path / "many.bib"
    bib.write_text("".join(f"@misc{{k{i}, title = {{Paper {i}}}, author = {{Ada Lovelace}}, year = 2020}}\n"
                           for i in range(20_000)))
    into = tmp_path / "records"
    command = [sys.executable, "-m", "bibkit", "import", str(bib), "--into", str(into), "-q"]
    child = subprocess.Popen(command, cwd=ROOT)
    try:
        _wait_for(lambda: any(p.is_dir() and any(p.iterdir()) for p in tmp_path.glob(".records.*.tmp")), 120)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert not into.exists()  # the records appear all at once or not at all
    assert subprocess.run(command, cwd=ROOT, check=False).returncode == 0
    assert len(list(into.glob("*.yaml"))) == 20_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.bib", "records"]  # the killed import's files are gone


def test_a_new_directory_appears_whole_with_the_modes_mkdir_and_open_give(tmp_path: Path) -> None:
    from bibkit.write import write_new_directory

    into = tmp_path / "deep" / "records"
    assert write_new_directory(into, [("a.yaml", b"title: A\n"), ("b.yaml", b"title: B\n")])
    assert {p.name: p.read_bytes() for p in into.iterdir()} == {"a.yaml": b"title: A\n", "b.yaml": b"title: B\n"}
    (tmp_path / "made").mkdir()
    (tmp_path / "made" / "file").write_bytes(b"")
    assert into.stat().st_mode == (tmp_path / "made").stat().st_mode
    assert (into / "a.yaml").stat().st_mode == (tmp_path / "made" / "file").stat().st_mode
    # An existing directory is left to the caller, untouched, and nothing is left beside it.
    assert not write_new_directory(into, [("c.yaml", b"title: C\n")])
    assert sorted(p.name for p in into.iterdir()) == ["a.yaml", "b.yaml"]
    assert sorted(p.name for p in into.parent.iterdir()) == ["records"]


@pytest.mark.parametrize("count", [3, 700])
def test_a_new_directory_holds_every_file_whoever_creates_them(tmp_path: Path, count: int) -> None:
    """Past a few hundred files a forked child creates them (``write._FileWriter``); what it
    cannot do is raised as the OSError it was, and nothing is left behind."""
    from bibkit.write import write_new_directory

    files = [(f"r{i:04d}.yaml", f"title: T{i}\n".encode() * (i % 7)) for i in range(count)]
    into = tmp_path / "records"
    assert write_new_directory(into, iter(files))
    assert sorted((p.name, p.read_bytes()) for p in into.iterdir()) == files
    taken = tmp_path / "taken"
    with pytest.raises(FileExistsError) as raised:
        write_new_directory(taken, iter([*files, files[count // 2]]))
    assert raised.value.filename.endswith(files[count // 2][0])
    assert not taken.exists()

    def broken() -> Iterator[tuple[str, bytes]]:
        yield from files
        raise BibkitError("an entry that cannot be read")

    with pytest.raises(BibkitError):
        write_new_directory(taken, broken())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records"]
