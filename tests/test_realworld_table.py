"""Bring your own bibliography: every real-world file in tests/data/realworld survives import ->
record files -> export with all its entries and keys, its fields and their values, and no
consumer warns about the export where it did not warn about the original: bibtex (plainnat) on
the BibTeX export, biber on the BibLaTeX export. The table is in docs/formats.md
(``.venv/bin/python tests/realworld_measure.py`` prints it, with every field not kept)."""

from __future__ import annotations

from pathlib import Path

import pytest
from realworld_measure import FILES, Row, measure

from conftest import require_tool

pytestmark = pytest.mark.slow  # bibtex and biber over 22 real bibliographies

# Fields not kept, and values that come back different, by file and field, each for a reason
# docs/formats.md gives (none at present: a change here is a regression or needs its reason).
LOST: dict[str, dict[str, int]] = {}
CHANGED: dict[str, dict[str, int]] = {}


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Row]:
    for tool in ("bibtex", "biber", "pdflatex"):
        require_tool(tool)
    # All files at once: biber reads them a few at a time (it is slow to start).
    return {r.name: r for r in measure(FILES, tmp_path_factory.mktemp("realworld"))}


def test_there_are_twenty_files_from_distinct_producers() -> None:
    assert len(FILES) >= 20


@pytest.mark.parametrize("source", FILES, ids=lambda p: p.name)
def test_import_export_keeps_entries_keys_fields_and_values(source: Path, rows: dict[str, Row]) -> None:
    row = rows[source.name]
    assert row.imported == row.entries, "every entry becomes a record"
    assert row.exported == {"bibtex": row.entries, "biblatex": row.entries, "csl-json": row.entries}
    assert row.keys_kept == row.keys, "every key is kept verbatim"
    assert row.fields_kept >= 0.99 * row.fields
    assert row.lost == LOST.get(source.name, {})
    assert row.changed == CHANGED.get(source.name, {}), row.examples


@pytest.mark.parametrize("source", [f for f in FILES if f.suffix == ".bib"], ids=lambda p: p.name)
def test_the_export_gives_no_warning_the_original_did_not(source: Path, rows: dict[str, Row]) -> None:
    row = rows[source.name]
    assert row.new_warnings("bibtex", "bibtex") == []
    assert row.new_warnings("biber", "biblatex") == []


@pytest.mark.parametrize("source", [f for f in FILES if f.suffix == ".json"], ids=lambda p: p.name)
def test_the_export_of_csl_json_reads_without_errors(source: Path, rows: dict[str, Row]) -> None:
    """CSL-JSON has no original for bibtex and biber to read: what they say about the export is
    about the data (a web page without a year), never about its syntax."""
    row = rows[source.name]
    assert all(w.startswith("Warning--") for w in row.warnings["bibtex:bibtex"]), row.warnings["bibtex:bibtex"]
    assert not [w for w in row.warnings["biber:biblatex"] if w.startswith("ERROR") or "BibTeX subsystem" in w]
