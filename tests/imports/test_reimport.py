"""Re-importing a newer export of the same library: records are updated in place, field by field;
what was curated (comments, provenance, a corrected value) stays; --dry-run shows the diff first."""

from __future__ import annotations

from pathlib import Path

from conftest import bibkit

FIRST = """@article{smith2020fine,
  title = {Fine Work on Things},
  author = {Smith, Ann and Jones, Bo},
  journal = {Journal of Things},
  year = {2020},
  volume = {3},
}

@misc{lee2021notes,
  title = {Notes},
  author = {Lee, Cy},
  year = {2021},
  howpublished = {\\url{https://example.org/notes}},
}
"""

# The same library exported again after the authors' changes upstream: smith2020fine got its
# pages and DOI, and a title with different capitalisation; one entry is new.
SECOND = """@article{smith2020fine,
  title = {Fine work on things},
  author = {Smith, Ann and Jones, Bo},
  journal = {Journal of Things},
  year = {2020},
  volume = {3},
  pages = {10--20},
  doi = {10.1234/things.2020.3},
}

@misc{lee2021notes,
  title = {Notes},
  author = {Lee, Cy},
  year = {2021},
  howpublished = {\\url{https://example.org/notes}},
}

@book{park2022book,
  title = {A Book},
  author = {Park, Di},
  year = {2022},
  publisher = {Press},
}
"""

CURATED = """# Curated by hand: the title as the journal prints it.
type: article-journal
title: Fine Work on Things
author:
  - Ann Smith
  - Bo Jones
issued: '2020'
container-title: Journal of Things
volume: '3'
tags: [reading-group]  # our own tag
provenance:
  verified:
    - https://example.org/journal/3
  note: Checked against the printed issue.
"""


def _library(tmp_path: Path) -> tuple[Path, Path]:
    into = tmp_path / "records"
    first = tmp_path / "first.bib"
    first.write_text(FIRST)
    assert bibkit("import", first, "--into", into).exit_code == 0
    (into / "smith2020fine.yaml").write_text(CURATED)
    second = tmp_path / "second.bib"
    second.write_text(SECOND)
    return into, second


def test_dry_run_shows_only_what_changed_and_writes_nothing(tmp_path: Path) -> None:
    into, second = _library(tmp_path)
    before = {p.name: p.read_text() for p in into.iterdir()}
    result = bibkit("import", second, "--into", into, "--dry-run")
    assert result.exit_code == 0, result.stderr
    # The curated record gains the two new fields (where the write-back puts new fields, after
    # the fields of the paper's place of publication); the title it corrected is not touched;
    # the unchanged record is not mentioned; the new record is created.
    smith, park = into / "smith2020fine.yaml", into / "park2022book.yaml"
    assert result.stdout == (
        f"--- {smith}\n+++ {smith}\n"
        "@@ -7,6 +7,8 @@\n"
        " issued: '2020'\n"
        " container-title: Journal of Things\n"
        " volume: '3'\n"
        "+page: 10-20\n"
        "+DOI: 10.1234/things.2020.3\n"
        " tags: [reading-group]  # our own tag\n"
        " provenance:\n"
        "   verified:\n"
        f"--- /dev/null\n+++ {park}\n"
        "@@ -0,0 +1,6 @@\n"
        "+type: book\n"
        "+title: A Book\n"
        "+author:\n"
        "+  - Di Park\n"
        "+issued: '2022'\n"
        "+publisher: Press\n")
    assert f"{into / 'smith2020fine.yaml'}: kept title: the import has another value (--force takes it)" \
        in result.stderr
    assert result.stderr.endswith(f"bibkit: would import 3 record(s) into {into}: 1 new, 1 updated, 1 unchanged\n")
    assert {p.name: p.read_text() for p in into.iterdir()} == before


def test_the_curated_record_keeps_every_line(tmp_path: Path) -> None:
    into, second = _library(tmp_path)
    lee = (into / "lee2021notes.yaml").read_bytes()
    result = bibkit("import", second, "--into", into)
    assert result.exit_code == 0, result.stderr
    assert (into / "smith2020fine.yaml").read_text() == CURATED.replace(
        "volume: '3'\n", "volume: '3'\npage: 10-20\nDOI: 10.1234/things.2020.3\n")
    assert (into / "lee2021notes.yaml").read_bytes() == lee  # unchanged: not even rewritten
    assert (into / "park2022book.yaml").exists()
    # Importing the same export again changes nothing at all.
    again = bibkit("import", second, "--into", into)
    assert again.stderr.endswith(f"bibkit: imported 3 record(s) into {into}: 0 new, 0 updated, 3 unchanged\n")


def test_force_takes_the_imported_value_and_names_it(tmp_path: Path) -> None:
    into, second = _library(tmp_path)
    result = bibkit("import", second, "--into", into, "--force")
    assert result.exit_code == 0, result.stderr
    assert f"{into / 'smith2020fine.yaml'}: replaced title with the imported value (--force)" in result.stderr
    text = (into / "smith2020fine.yaml").read_text()
    assert "title: Fine work on things\n" in text
    # Everything else of the curated file is still there, line for line.
    assert [ln for ln in CURATED.splitlines() if not ln.startswith("title:")] == \
        [ln for ln in text.splitlines() if ln in CURATED.splitlines() and not ln.startswith("title:")]


def test_bibkits_own_export_imported_again_changes_nothing(tmp_path: Path) -> None:
    """The braces bibkit's BibTeX export adds ({Pythia}, {LLMs}) read back as nocase spans; the
    record they came from is not told it has another title."""
    import shutil

    from conftest import RECORDS

    into = tmp_path / "records"
    into.mkdir()
    for name in ("biderman2023pythia.yaml", "biderman2022datasheet.yaml"):
        shutil.copy(RECORDS / name, into / name)
    before = {p.name: p.read_bytes() for p in into.iterdir()}
    exported = tmp_path / "refs.bib"
    assert bibkit("export", "-f", "bibtex", "-r", into, "-o", exported).exit_code == 0
    result = bibkit("import", exported, "--into", into)
    assert result.exit_code == 0, result.stderr
    assert "kept title" not in result.stderr
    assert {p.name: p.read_bytes() for p in into.iterdir()} == before


def test_a_title_braced_by_hand_where_bibtex_braces_it_anyway_is_the_same_title(tmp_path: Path) -> None:
    """Another tool's .bib that braces only some of the words bibkit's export braces ({BLOOM}
    but not iPhone) gives the title the record has: nothing to keep or replace."""
    into = tmp_path / "records"
    into.mkdir()
    record = into / "lee2021bloom.yaml"
    record.write_text("type: article-journal\ntitle: BLOOM and iPhone\nauthor: [Cy Lee]\nissued: 2021\n"
                      "container-title: Journal of Things\n")
    before = record.read_bytes()
    source = tmp_path / "other.bib"
    source.write_text("@article{lee2021bloom, title = {{BLOOM} and iPhone}, author = {Lee, Cy}, year = 2021,\n"
                      "  journal = {Journal of Things}}\n")
    for force in ((), ("--force",)):
        result = bibkit("import", source, "--into", into, *force)
        assert result.exit_code == 0, result.stderr
        assert "kept title" not in result.stderr and "replaced title" not in result.stderr
        assert result.stderr.endswith("0 new, 0 updated, 1 unchanged\n")
        assert record.read_bytes() == before


def test_the_library_writes_what_force_replaces(tmp_path: Path) -> None:
    from bibkit.imports import read_file, write_records

    into, second = _library(tmp_path)
    records = read_file(second).records
    write_records(records, into)
    assert "title: Fine Work on Things\n" in (into / "smith2020fine.yaml").read_text()  # the curated title
    write_records(records, into, force=True)
    assert "title: Fine work on things\n" in (into / "smith2020fine.yaml").read_text()
