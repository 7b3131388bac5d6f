"""The record and result cache: correct before fast. A changed record, style, date or bibkit
version is never answered from the cache, and a damaged cache is rebuilt, not trusted."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

import bibkit.libcache as libcache
from bibkit.libcache import LibraryCache, Snapshot
from bibkit.load import load_library

from conftest import RECORDS, ROOT, TEST_RECORDS, bibkit


def _copy(tmp_path: Path) -> Path:
    records = tmp_path / "records"
    shutil.copytree(RECORDS, records)
    return records


def test_cached_records_equal_freshly_parsed_ones(tmp_path: Path) -> None:
    cache = LibraryCache(tmp_path / "c")
    for folder in (RECORDS, TEST_RECORDS / "good", TEST_RECORDS / "bad"):
        fresh = load_library([folder]).loaded
        cache.library(Snapshot.read([folder]))  # fills the cache
        again = cache.library(Snapshot.read([folder])).loaded
        assert again == fresh


def test_one_edited_record_is_parsed_again_and_only_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _copy(tmp_path)
    cache = LibraryCache(tmp_path / "c")
    cache.library(Snapshot.read([records]))
    parsed: list[int] = []
    real = libcache.parse_all
    monkeypatch.setattr(libcache, "parse_all", lambda items: parsed.append(len(items)) or real(items))
    path = records / "biderman2023pythia.yaml"
    path.write_text(path.read_text().replace("Pythia: A Suite", "Pythia: The Suite"))
    library = cache.library(Snapshot.read([records]))
    assert parsed == [1]
    (pythia,) = [r for r in library.records if r.key == "biderman2023pythia"]
    assert pythia.title.startswith("Pythia: The Suite")


def test_cli_answers_from_the_cache_until_something_changes(tmp_path: Path, isolated_cache: Path) -> None:
    records = _copy(tmp_path)
    first = bibkit("export", "-f", "bibtex", "-r", records)
    assert first.exit_code == 0
    assert list((isolated_cache / "results").glob("*.json"))
    assert bibkit("export", "-f", "bibtex", "-r", records).stdout == first.stdout
    # A record edited: the change shows at once.
    path = records / "biderman2023pythia.yaml"
    path.write_text(path.read_text().replace("volume: \"202\"", "volume: \"999\""))
    assert "volume = {999}" in bibkit("export", "-f", "bibtex", "-r", records).stdout
    # An error introduced: found, although the last answer was cached.
    path.write_text(path.read_text().replace("issued: 2023-07", "issued: 2023-13"))
    broken = bibkit("validate", records)
    assert broken.exit_code == 1 and " BK022 " in broken.stdout
    again = bibkit("export", "-f", "bibtex", "-r", records)
    assert again.exit_code == 0 and " BK022 " in again.stderr
    assert bibkit("export", "-f", "bibtex", "-r", records, "--strict").exit_code == 1


def test_a_changed_style_file_renders_again(tmp_path: Path) -> None:
    records = _copy(tmp_path)
    style = tmp_path / "mine.csl"
    house = (ROOT / "styles" / "lab-publications.csl").read_text()
    style.write_text(house)
    before = bibkit("export", "-f", "text", "--style", str(style), "-r", records).stdout
    style.write_text(house.replace('<layout suffix=".">', '<layout suffix=" [END]">'))
    after = bibkit("export", "-f", "text", "--style", str(style), "-r", records).stdout
    assert "[END]" in after and "[END]" not in before


def test_a_new_bibkit_version_or_a_new_day_invalidates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _copy(tmp_path)
    cache = LibraryCache(tmp_path / "c")
    snapshot = Snapshot.read([records])
    cache.put_findings(snapshot, date(2026, 11, 23), [], "validate")
    assert cache.findings(snapshot, date(2026, 11, 23), "validate") == ([], None)
    assert cache.findings(snapshot, date(2026, 11, 24), "validate") is None  # "in the future" moves daily
    monkeypatch.setattr(libcache, "STAMP", "1:99.0")
    assert cache.findings(Snapshot.read([records]), date(2026, 11, 23), "validate") is None


@pytest.mark.parametrize("damage", ["", "{not json", '{"stamp": "STAMP", "files": {"x": 1}}',
                                    '{"stamp": "STAMP", "files": {"FILE": {"hash": "HASH", "loaded": {"record": 1}}}}',
                                    '{"stamp": "STAMP", "findings": [["p", "x", 1, "BK001", "m", "error"]]}'])
def test_a_damaged_cache_file_is_ignored_and_rebuilt(tmp_path: Path, damage: str, isolated_cache: Path) -> None:
    records = _copy(tmp_path)
    expected = bibkit("export", "-f", "bibtex", "-r", records).stdout
    path0, _, digest = Snapshot.read([records]).files[0]
    for path in isolated_cache.rglob("*.json"):
        path.write_text(damage.replace("STAMP", libcache.STAMP).replace("FILE", str(path0)).replace("HASH", digest))
    result = bibkit("export", "-f", "bibtex", "-r", records)
    assert result.exit_code == 0 and result.stdout == expected
    assert bibkit("validate", records).exit_code == 0


def test_no_cache_writes_nothing(tmp_path: Path, isolated_cache: Path) -> None:
    records = _copy(tmp_path)
    assert bibkit("validate", "--no-cache", records).exit_code == 0
    assert bibkit("export", "-f", "bibtex", "--no-cache", "-r", records).exit_code == 0
    assert not list(isolated_cache.rglob("*.json"))
