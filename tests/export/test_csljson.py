"""CSL-JSON: valid against the official schema, and read by pandoc --citeproc without a warning."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest

from bibkit.exporters import export
from bibkit.loader import load_library

from conftest import REALWORLD, RECORDS, TEST_RECORDS, bibkit, require_tool

CSL_SCHEMA = REALWORLD / "csl-schema" / "csl-data.json"


def _items(*dirs: Path) -> list[dict[str, object]]:
    return json.loads(export(load_library(list(dirs)).records, "csl-json"))  # type: ignore[no-any-return]


def test_valid_against_the_official_schema() -> None:
    schema = json.loads(CSL_SCHEMA.read_text())
    items = _items(RECORDS, TEST_RECORDS / "good")
    jsonschema.Draft7Validator(schema).validate(items)
    assert len(items) == len(list(RECORDS.glob("*.yaml"))) + len(list((TEST_RECORDS / "good").glob("*.yaml")))


def test_arxiv_preprint_the_way_zotero_and_pandoc_expect() -> None:
    (item,) = [i for i in _items(RECORDS) if i["id"] == "belrose2023eliciting"]
    assert item["type"] == "article"
    assert item["publisher"] == "arXiv"
    assert item["number"] == "arXiv:2303.08112"
    assert item["DOI"] == "10.48550/arXiv.2303.08112"
    assert item["URL"] == "https://arxiv.org/abs/2303.08112"
    assert item["issued"] == {"date-parts": [[2023, 3, 14]]}
    assert item["custom"] == {"arxiv": "2303.08112", "arxiv-class": "cs.LG", "venues": ["arXiv"],
                              "code": "https://github.com/AlignmentResearch/tuned-lens",
                              "derived": ["DOI", "URL", "number"]}


def test_published_paper_keeps_its_own_doi() -> None:
    (item,) = [i for i in _items(RECORDS) if i["id"] == "ahdritz2024openfold"]
    assert item["DOI"] == "10.1038/s41592-024-02272-z"
    (pythia,) = [i for i in _items(RECORDS) if i["id"] == "biderman2023pythia"]
    assert "DOI" not in pythia  # not arXiv's DOI for an ICML paper
    assert pythia["custom"]["arxiv"] == "2304.01373"  # type: ignore[index]


def _pandoc_html(tmp_path: Path, csl: Path | None = None) -> subprocess.CompletedProcess[str]:
    assert bibkit("export", "-f", "csl-json", "-r", RECORDS, "-o", tmp_path / "refs.json").exit_code == 0
    (tmp_path / "doc.md").write_text('---\nnocite: "@*"\n---\n')
    cmd = [require_tool("pandoc"), "--citeproc", "--bibliography", "refs.json", "-t", "html", "doc.md"]
    if csl is not None:
        cmd += ["--csl", str(csl)]
    return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.slow
def test_pandoc_renders_one_entry_per_record_without_warnings(tmp_path: Path) -> None:
    proc = _pandoc_html(tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    ids = re.findall(r'id="ref-([^"]+)" class="csl-entry"', proc.stdout)
    assert sorted(ids) == sorted(p.stem for p in RECORDS.glob("*.yaml"))


@pytest.mark.slow
def test_apa_order_agrees_with_pandoc(tmp_path: Path) -> None:
    from bibkit.exporters.citeproc import resolve_style

    proc = _pandoc_html(tmp_path, resolve_style("apa"))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    pandoc_order = re.findall(r'id="ref-([^"]+)" class="csl-entry"', proc.stdout)
    ours = bibkit("export", "-f", "html", "--style", "apa", "-r", RECORDS).stdout
    assert re.findall(r'id="ref-([^"]+)"', ours) == pandoc_order
