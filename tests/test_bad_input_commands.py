"""The bad-input corpus through every command that reads records: the same finding, the same
exit status, no traceback, and nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_validate_corpus import EXPECT, _cases

from bibkit.loader import load_record

from conftest import TEST_RECORDS, bibkit

SINGLE_FILES = [(t, h) for t, h in _cases() if t.is_file()]


def _expected(holder: Path, shown_as: Path) -> tuple[str, str]:
    m = EXPECT.match(holder.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    assert m is not None
    return f"{shown_as}:{m[2].decode()}:{m[3].decode()}: ", f" {m[1].decode()} "


def _one_record_dir(tmp_path: Path, source: Path) -> tuple[Path, Path]:
    records = tmp_path / "records"
    records.mkdir()
    target = records / source.name
    shutil.copy(source, target)
    return records, target


@pytest.mark.parametrize(("target", "holder"), SINGLE_FILES, ids=lambda p: p.name)
def test_export_reports_and_writes_what_the_record_allows(target: Path, holder: Path, tmp_path: Path) -> None:
    """A record that cannot be read stops the export (nothing written, exit 1); any other finding
    is reported with file:line:col and the entry is written as completely as the record allows
    (as biber does). With --strict, an error stops the export too."""
    from bibkit.loader import load_record

    records, copied = _one_record_dir(tmp_path, target)
    out = tmp_path / "refs.bib"
    result = bibkit("export", "-f", "bibtex", "-r", records, "-o", out)
    where, code = _expected(holder, copied)
    finding = [ln for ln in result.stderr.splitlines() if ln.startswith(where) and code in ln]
    assert finding, result.stderr
    assert "Traceback" not in result.stderr
    loaded = load_record(copied).record
    if loaded is None:
        assert result.exit_code == 1, result
        assert not out.exists()
        assert "a record cannot be read; nothing was exported" in result.stderr
        return
    assert result.exit_code == 0, result
    assert out.read_text(encoding="utf-8").startswith("@") and f"{{{loaded.key}," in out.read_text(encoding="utf-8")
    strict_out = tmp_path / "strict.bib"
    strict = bibkit("export", "-f", "bibtex", "-r", records, "-o", strict_out, "--strict")
    if finding[0].startswith(f"{where}error "):
        assert strict.exit_code == 1 and not strict_out.exists(), strict
        assert "the records have errors (strict); nothing was exported" in strict.stderr
    else:
        assert strict.exit_code == 0 and strict_out.exists(), strict


@pytest.mark.parametrize(("target", "holder"), SINGLE_FILES, ids=lambda p: p.name)
def test_enrich_leaves_a_broken_record_alone(target: Path, holder: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIBKIT_CACHE_DIR", str(tmp_path / "cache"))
    records, copied = _one_record_dir(tmp_path, target)
    before = copied.read_bytes()
    result = bibkit("enrich", "-r", records, "--offline", "--no-search")
    assert copied.read_bytes() == before
    assert "Traceback" not in result.stderr
    where, code = _expected(holder, copied)
    if result.exit_code == 1 and code.strip() < "BK012":  # found while loading: reported as skipped
        assert any(where in ln and code in ln for ln in result.stderr.splitlines()), result.stderr


BAD_IMPORTS = {
    "invalid.json": (b'[{"id": "a", "title": "x",}]', ":1:27: not CSL-JSON: "),
    "scalar.json": (b'"just a string"', ": not CSL-JSON: expected a list of items"),
    "not-utf8.json": (b'[{"title": "caf\xe9"}]', ": not CSL-JSON: not UTF-8 (byte 0xe9 at offset 15)"),
    "refs.ris": (b"TY  - JOUR\n", ": cannot import .ris files (supported: .bib, .json)"),
    "refs": (b"@misc{a, title={x}}\n", ": cannot import a file without a suffix (supported: .bib, .json)"),
}


@pytest.mark.parametrize("name", sorted(BAD_IMPORTS))
def test_import_of_broken_files_is_one_line_and_exit_2(name: str, tmp_path: Path) -> None:
    data, message = BAD_IMPORTS[name]
    source = tmp_path / name
    source.write_bytes(data)
    result = bibkit("import", source, "--into", tmp_path / "records")
    assert result.exit_code == 2, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"bibkit: error: {source}{message}"), lines
    assert not (tmp_path / "records").exists() or not list((tmp_path / "records").iterdir())


def test_import_of_broken_bibtex_reads_what_it_can_and_says_what_it_skipped(tmp_path: Path) -> None:
    source = tmp_path / "broken.bib"
    source.write_bytes(b"@article{x, title = {unbal}anced}}}\n@misc{y, title={Fine}, year=2020}\n"
                       b"@article{z, title = {cut")
    result = bibkit("import", source, "--into", tmp_path / "records")
    assert result.exit_code == 0, result.stderr
    # bibkit's own reader says where, as bibtex would: the entry that cannot be read is skipped
    # up to the next entry, and the others are imported.
    assert f"{source}:1: expected ',' or '}}' after field 'title'" in result.stderr
    assert f"{source}:3: unbalanced braces in a value" in result.stderr
    assert sorted(p.stem for p in (tmp_path / "records").iterdir()) == ["y"]


def test_import_of_latin1_bibtex_says_how_it_was_read(tmp_path: Path) -> None:
    source = tmp_path / "old.bib"
    source.write_bytes(b"@article{x, title = {Caf\xe9 Society}, author = {M\xfcller, A}, year = 2001, journal = {J}}\n")
    result = bibkit("import", source, "--into", tmp_path / "records")
    assert result.exit_code == 0, result.stderr
    assert "not UTF-8 (byte 0xe9 at offset 24); read as Windows-1252 (it declares no encoding)" in result.stderr
    assert "title: Café Society" in (tmp_path / "records" / "x.yaml").read_text()


def _title(path: Path) -> str:
    record = load_record(path).record
    assert record is not None
    return record.title


@pytest.mark.parametrize(("head", "body", "title"), [
    # JabRef's header names Java's charset; BibDesk's the one macOS shows.
    (b"% This file was created with JabRef 2.6.\n% Encoding: MacRoman\n\n", b"\xbfkland: \x8ee", "økland: ée"),
    (b"%% Saved with string encoding Western (Mac OS Roman)\n\n", b"\xbfkland", "økland"),
    (b"% Encoding: ISO8859_2\n", b"\xb3\xf3d\xbc", "łódź"),
    (b"% Encoding: Cp1251\n", b"\xcc\xee\xf1\xea\xe2\xe0", "Москва"),
    # Undeclared: Windows-1252's quotes and dashes, not Latin-1's control characters.
    (b"", b"\x93Quoted\x94 \x96 dashed", "“Quoted” – dashed"),
    # A declaration the bytes do not fit: Windows-1252 again.
    (b"% Encoding: UTF-8\n", b"Caf\xe9", "Café"),
    (b"% Encoding: no-such-codec\n", b"Caf\xe9", "Café"),
    (b"% Encoding: rot13\n", b"Caf\xe9", "Café"),  # a transform Python names, not a text encoding
    (b"% Encoding: zlib\n", b"Caf\xe9", "Café"),
    # Undefined in Windows-1252: Latin-1, which keeps every byte.
    (b"", b"Caf\xe9 \x81", "Café \x81"),
])
def test_import_reads_a_file_in_the_encoding_it_declares(tmp_path: Path, head: bytes, body: bytes, title: str) -> None:
    source = tmp_path / "old.bib"
    source.write_bytes(head + b"@article{x, title = {" + body + b"}, year = 2001, journal = {J}}\n")
    result = bibkit("import", source, "--into", tmp_path / "records")
    assert result.exit_code == 0, result.stderr
    assert "not UTF-8" in result.stderr
    assert _title(tmp_path / "records" / "x.yaml") == title


def test_import_reads_utf8_as_utf8_whatever_the_file_declares(tmp_path: Path) -> None:
    """A file saved again as UTF-8 often keeps its old declaration."""
    source = tmp_path / "new.bib"
    source.write_bytes("% Encoding: Cp1252\n@article{x, title = {Café}, year = 2001, journal = {J}}\n".encode())
    result = bibkit("import", source, "--into", tmp_path / "records")
    assert result.exit_code == 0, result.stderr
    assert "not UTF-8" not in result.stderr
    assert _title(tmp_path / "records" / "x.yaml") == "Café"


def test_import_keys_that_would_escape_the_directory(tmp_path: Path) -> None:
    source = tmp_path / "evil.json"
    items = [{"id": key, "type": "article", "title": f"T {i}", "author": [{"family": "Doe"}],
              "issued": {"date-parts": [[2020]]}} for i, key in enumerate(["../evil", "a/../../b", ".hidden", "/abs"])]
    source.write_text(json.dumps(items))
    into = tmp_path / "records"
    result = bibkit("import", source, "--into", into)
    assert result.exit_code == 0, result.stderr
    written = sorted(p.name for p in into.iterdir())
    assert all(not n.startswith(".") and "/" not in n for n in written)
    assert sorted(tmp_path.iterdir()) == sorted([source, into])  # nothing outside --into
    assert "a_.._.._b.yaml" in written  # a valid (if odd) key keeps its name by the rule


def test_good_corpus_is_still_clean() -> None:
    assert bibkit("validate", "--ignore", "BK060", TEST_RECORDS / "good").exit_code == 0
