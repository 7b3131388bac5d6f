"""Bring your own bibliography: every real-world file in tests/data/realworld survives
import -> export with all its entries and keys and (nearly) all its fields, and the export makes
bibtex and biber warn no more than the original did. The table is in docs/formats.md
(``python tests/realworld_measure.py`` prints it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from realworld_measure import FILES, _bcf, measure

from conftest import require_tool


@pytest.fixture(scope="module")
def bcf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for tool in ("bibtex", "biber", "pdflatex"):
        require_tool(tool)
    return _bcf(tmp_path_factory.mktemp("bcf"))


@pytest.mark.parametrize("source", FILES, ids=lambda p: p.name)
def test_import_export_keeps_entries_keys_fields(source: Path, bcf: Path, tmp_path: Path) -> None:
    row = measure(source, tmp_path, bcf)
    assert row.imported == row.entries, "every entry becomes a record"
    assert row.exported == row.entries, "every record is exported"
    assert row.keys_kept == row.keys, "every key is kept verbatim"
    assert row.fields_kept >= 0.95 * row.fields, row.lost
    for tool in ("bibtex", "biber"):
        original, exported = row.warnings[f"{tool}:original"], row.warnings[f"{tool}:export"]
        if original is not None and tool == "biber":
            assert exported <= original, (tool, row.warnings)
