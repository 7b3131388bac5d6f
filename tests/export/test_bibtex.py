"""The BibTeX and BibLaTeX exports, proven by bibtex, biber and LaTeX themselves."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from bibkit.exporters import export
from bibkit.loader import load_library

from conftest import RECORDS, TEST_RECORDS, bibkit, require_tool

BIBTEX_DOC = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{natbib}
\usepackage{url}
\begin{document}
\nocite{*}
\bibliographystyle{plainnat}
\bibliography{refs}
\end{document}
"""

BIBLATEX_DOC = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage[backend=biber]{biblatex}
\addbibresource{refs.bib}
\begin{document}
\nocite{*}
\printbibliography
\end{document}
"""


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False,
                          encoding="utf-8", errors="replace", timeout=300)


def _latex(cwd: Path) -> str:
    proc = _run([require_tool("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return (cwd / "doc.log").read_text(encoding="utf-8", errors="replace")


def _latex_problems(log: str) -> list[str]:
    # "Label(s) may have changed" and undefined citations disappear on the last run; anything else stays.
    return [ln for ln in log.splitlines() if re.search(r"^!|Warning|Error", ln) and "infwarerr" not in ln]


def _compile_bibtex(tmp_path: Path, records: Path) -> tuple[str, str]:
    assert bibkit("export", "-f", "bibtex", "-r", records, "-o", tmp_path / "refs.bib").exit_code == 0
    (tmp_path / "doc.tex").write_text(BIBTEX_DOC)
    _latex(tmp_path)
    proc = _run([require_tool("bibtex"), "doc"], tmp_path)
    assert proc.returncode == 0, proc.stdout
    _latex(tmp_path)
    log = _latex(tmp_path)
    return (tmp_path / "doc.blg").read_text(), log


@pytest.mark.slow
def test_bibtex_compiles_without_a_warning(tmp_path: Path) -> None:
    blg, log = _compile_bibtex(tmp_path, RECORDS)
    assert "Warning--" not in blg and "error message" not in blg, blg
    assert _latex_problems(log) == []
    bbl = (tmp_path / "doc.bbl").read_text()
    keys = {r.key for r in load_library([RECORDS]).records}
    assert set(re.findall(r"\\bibitem\[[^\]]*\]\{([^}]+)\}", bbl, re.S)) == keys
    # Protected case survives plainnat's lowercasing of titles.
    text = _run([require_tool("pdftotext"), "doc.pdf", "-"], tmp_path).stdout
    flat = " ".join(text.split())
    for word in ("BLOOM", "YaRN", "StarCoder", "OpenWebMath", "LEACE", "RoentGen", "Korean", "CLIP"):
        assert word in flat, word


@pytest.mark.slow
def test_biblatex_compiles_with_biber_without_a_warning(tmp_path: Path) -> None:
    assert bibkit("export", "-f", "biblatex", "-r", RECORDS, "-o", tmp_path / "refs.bib").exit_code == 0
    (tmp_path / "doc.tex").write_text(BIBLATEX_DOC)
    _latex(tmp_path)
    proc = _run([require_tool("biber"), "doc"], tmp_path)
    assert proc.returncode == 0, proc.stdout
    blg = (tmp_path / "doc.blg").read_text()
    assert not re.search(r"\] (WARN|ERROR) ", blg), blg
    _latex(tmp_path)
    log = _latex(tmp_path)
    assert _latex_problems(log) == []
    bbl = (tmp_path / "doc.bbl").read_text()
    assert len(re.findall(r"\\entry\{", bbl)) == len(list(RECORDS.glob("*.yaml")))
    assert r"\field{eprinttype}{arxiv}" in bbl


@pytest.mark.parametrize(("value", "as_is"), [
    (r"kept {as} is", True), (r"$\{x\}$", True), (r"{\'e}t\'e", True),
    ("\\", False), ("a\\", False), ("a\\\\", False),  # a last backslash takes the closing brace
    (r"a \{ b", False),  # LaTeX's escaped brace is a brace to bibtex: unbalanced there
    (r"a\\{b}", False),  # a line break, then a group, to LaTeX; an escaped brace to bibtexparser
    (r"\\{\}", False),  # balanced to bibtex and to bibtexparser, not to LaTeX
    (r"a}{b", False),
])
def test_a_verbatim_field_is_written_as_it_is_only_where_every_reader_finds_its_end(value: str, as_is: bool) -> None:
    """A field kept as its source wrote it (here one no table knows) is written as it is where
    bibtex, LaTeX and bibtexparser all find the same groups and the value's end; else as text."""
    import bibtexparser
    from pybtex.database import parse_string

    (record,) = load_library([RECORDS / "biderman2023pythia.yaml"]).records
    record = replace(record, extra={**record.extra, "customfield": value})
    for fmt in ("bibtex", "biblatex"):
        text = export([record], fmt).decode()
        assert (f"customfield = {{{value}}}," in text) is as_is
        library = bibtexparser.parse_string(text)
        assert not library.failed_blocks and len(library.entries) == 1, text
        assert len(parse_string(text, "bibtex").entries) == 1


HOSTILE = r"""type: article
title: '\input{/etc/hostname} \write18{touch pwned} \immediate\def\x{} 100% {unbalanced & #_~^$'
author:
  - given: 'Mallory}'
    family: 'O''Brien\'
  - '{Eve} % and'
issued: 2023-03
arxiv: "2303.08112"
arxiv-class: '}\input{x}'
URL: "https://doi.org/10.1126%2Fscience.187#frag_1&x=~a"
note: '}} \end{document}'
"""


@pytest.mark.slow
def test_hostile_text_cannot_run_commands_or_break_the_document(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "mallory2023input.yaml").write_text(HOSTILE)
    build = tmp_path / "build"
    build.mkdir()
    blg, log = _compile_bibtex(build, records)
    assert "Warning--" not in blg
    assert _latex_problems(log) == []
    assert not (build / "pwned").exists()
    biber = tmp_path / "biber"
    biber.mkdir()
    assert bibkit("export", "-f", "biblatex", "-r", records, "-o", biber / "refs.bib").exit_code == 0
    (biber / "doc.tex").write_text(BIBLATEX_DOC)
    _latex(biber)
    assert _run([require_tool("biber"), "doc"], biber).returncode == 0
    assert not re.search(r"\] (WARN|ERROR) ", (biber / "doc.blg").read_text())
    _latex(biber)
    assert _latex_problems(_latex(biber)) == []
    biber_text = " ".join(_run([require_tool("pdftotext"), "doc.pdf", "-"], biber).stdout.split())
    assert "10.1126%2Fscience.187#frag_1&x=~a" in biber_text.replace(" ", "")
    text = " ".join(_run([require_tool("pdftotext"), "doc.pdf", "-"], build).stdout.split())
    assert r"\input{/etc/hostname}" in text  # printed, not executed
    assert "10.1126%2Fscience.187#frag_1&x=~a" in text.replace(" ", "")  # URLs go verbatim


def test_export_is_byte_stable_and_sorted() -> None:
    records = load_library([RECORDS]).records
    first = export(records, "bibtex")
    again = export(list(reversed(records)), "bibtex")
    assert first == again
    keys = re.findall(rb"^@\w+\{([^,]+),", first, re.M)
    assert keys == sorted(keys, key=lambda k: (k.lower(), k))


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_entries_parse_back_with_pybtex(fmt: str) -> None:
    from pybtex.database import parse_bytes

    records = load_library([RECORDS, TEST_RECORDS / "good"]).records
    data = parse_bytes(export(records, fmt), "bibtex")
    assert sorted(data.entries) == sorted(r.key for r in records)
    pythia = data.entries["biderman2023pythia"]
    assert pythia.type == "inproceedings"
    assert len(pythia.persons["author"]) == 13
    smith = data.entries["DBLP:conf/sigmod/Smith09"]
    assert [str(p) for p in smith.persons["author"]][1] == "van der Wal, Oskar"
    assert smith.persons["author"][-1].is_others() if hasattr(smith.persons["author"][-1], "is_others") \
        else str(smith.persons["author"][-1]) == "others"


def test_page_ranges_keep_their_dash() -> None:
    (rec,) = [r for r in load_library([RECORDS]).records if r.key == "biderman2023pythia"]
    assert "  pages = {2397--2430},\n" in export([rec], "bibtex").decode()


def test_arxiv_fields() -> None:
    (rec,) = [r for r in load_library([RECORDS]).records if r.key == "belrose2023eliciting"]
    bib = export([rec], "bibtex").decode()
    assert "@misc{belrose2023eliciting," in bib
    assert "  eprint = {2303.08112},\n  archivePrefix = {arXiv},\n  primaryClass = {cs.LG}," in bib
    assert "  howpublished = {arXiv:2303.08112}," in bib
    assert "  month = mar," in bib
    blx = export([rec], "biblatex").decode()
    assert "@online{belrose2023eliciting," in blx
    assert "  date = {2023-03-14}," in blx and "  eprinttype = {arxiv}," in blx


@pytest.mark.slow
def test_ascii_option_writes_latex_commands_and_compiles(tmp_path: Path) -> None:
    out = bibkit("export", "-f", "bibtex", "--ascii", "-r", RECORDS, "--key", "ahdritz2024openfold",
                 "--key", "srivastava2023beyond")
    assert out.exit_code == 0
    data = out.stdout
    assert r"Zanichelli, Niccol{\`o}" in data
    non_ascii = {c for c in data if ord(c) > 127}
    assert not non_ascii - set("中文日本語한국어"), sorted(non_ascii)  # only what LaTeX has no command for
    (tmp_path / "refs.bib").write_text(data, encoding="utf-8")
    (tmp_path / "doc.tex").write_text(BIBTEX_DOC)
    _latex(tmp_path)
    assert _run([require_tool("bibtex"), "doc"], tmp_path).returncode == 0
    assert "Warning--" not in (tmp_path / "doc.blg").read_text()
    _latex(tmp_path)
    assert _latex_problems(_latex(tmp_path)) == []


@pytest.mark.parametrize(("own", "bibtex", "biblatex"), [
    ("proceedings", "proceedings", "proceedings"),
    ("b\u00f6ok", "book", "book"),  # BK032: no reader takes it, so the type's own is written
    ("my type", "book", "book"),
    ("A-", "book", "book"),  # BibTeX and biber would read it; bibtexparser does not (found by test_fuzz)
    ("mv_book2", "mv_book2", "mv_book2"),
])
def test_entrytype_is_written_when_readers_take_it(own: str, bibtex: str, biblatex: str) -> None:
    from bibkit.model import Record

    rec = Record(key="k2020", type="book", title="T", text={"entrytype": own})
    assert export([rec], "bibtex").decode().startswith(f"@{bibtex}{{k2020,")
    assert export([rec], "biblatex").decode().startswith(f"@{biblatex}{{k2020,")


def test_former_keys_give_one_copy_each_and_never_the_key_again() -> None:
    """A record whose former keys repeat (BK040, forced past) still makes a file without a
    repeated entry: one copy per name, compared without case as BibTeX does."""
    from bibkit.model import Record

    rec = Record(key="k2020", type="book", title="T", ids=("old", "OLD", "K2020", "older", "old", "=", "a b"))
    keys = re.findall(r"^@\w+\{([^,]+),", export([rec], "bibtex").decode(), re.M)
    assert keys == ["k2020", "old", "older"]  # no copy under a key no reader takes (BK031)
    assert "  ids = {old,OLD,K2020,older,old}," in export([rec], "biblatex").decode()


NAMES_TO_SPLIT = [
    # (given, particle, family, suffix): the parts BibTeX must find again in what is written.
    ("Luis", "", "Vázquez de Parga", ""),  # a lower-case word of the family name's own: not a von part
    ("Oskar", "van der", "Wal", ""),
    ("", "", "Smith", "Jr."),
    ("Jane", "", "Doe", "III"),
    ("Ann Marie", "", "Lovelace", ""),
    ("", "", "Plato", ""),
    ("", "et al.", "H. Taennler, A. Wicki", ""),  # Mendeley's et al. {H. Taennler, A. Wicki}: no comma for BibTeX
    ("", "", "Taennler, Wicki", ""),
    ("Ada", "", "King, Countess", ""),
]


@pytest.mark.parametrize("dialect", ["bibtex", "biblatex"])
def test_every_name_part_is_where_bibtex_splits_it(dialect: str) -> None:
    """Each author's parts as pybtex (BibTeX's name-splitting rules, not bibkit's importer) reads
    them from the export."""
    import bibtexparser
    from pybtex.database import Person as BibPerson

    from bibkit.model import Person, Record

    people = tuple(Person(family, given or None, non_dropping_particle=particle or None, suffix=suffix or None)
                   for given, particle, family, suffix in NAMES_TO_SPLIT)
    data = export([Record(key="k2020", type="article-journal", title="T", author=people)], dialect).decode()
    (entry,) = bibtexparser.parse_string(data).entries
    written = re.split(r"\s+and\s+", entry.fields_dict["author"].value)
    assert len(written) == len(NAMES_TO_SPLIT)

    def join(words: list[str]) -> str:
        return " ".join(words).replace("{", "").replace("}", "")

    parts = [BibPerson(w) for w in written]
    assert [(join(p.first_names + p.middle_names), join(p.prelast_names), join(p.last_names),
             join(p.lineage_names)) for p in parts] == NAMES_TO_SPLIT


def test_a_source_that_gives_one_field_twice_under_two_names_gets_both_back(tmp_path: Path) -> None:
    """journal and journaltitle, address and location, school and institution with different
    values: an import keeps the second as written, and each export writes both, as the source did."""
    import bibtexparser

    from bibkit.imports import read_file

    source = tmp_path / "in.bib"
    given = {"journal": "J One", "journaltitle": "J Two", "address": "Here", "location": "There",
             "institution": "I One", "school": "I Two"}
    source.write_text("@article{a, title = {T}, " + ", ".join(f"{k} = {{{v}}}" for k, v in given.items()) + "}\n")
    for dialect in ("bibtex", "biblatex"):
        (entry,) = bibtexparser.parse_string(export(read_file(source).records, dialect).decode()).entries
        fields = {f.key.lower(): f.value for f in entry.fields}
        assert len(fields) == len(entry.fields)
        assert {k: fields.get(k) for k in given} == given, dialect


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_another_archives_eprint_keeps_its_own_archive(fmt: str, tmp_path: Path) -> None:
    """A source with an arXiv URL and a PubMed eprint: the eprint comes back with its archive,
    never labelled as arXiv's (biblatex reads archivePrefix as eprinttype)."""
    import bibtexparser

    from bibkit.imports import read_file

    source = tmp_path / "x.bib"
    source.write_text("@article{k2020, title = {T}, author = {A, B}, journal = {J}, year = {2020},\n"
                      "  url = {https://arxiv.org/abs/2003.08112}, eprint = {31415926}, archivePrefix = {PubMed}}\n")
    (record,) = read_file(source).records
    assert str(record.arxiv) == "2003.08112"
    (entry,) = bibtexparser.parse_string(export([record], fmt).decode()).entries
    fields = {f.key.lower(): f.value for f in entry.fields}
    assert fields["eprint"] == "31415926"
    assert fields["archiveprefix"] == "PubMed"
    assert not {"eprinttype", "primaryclass", "eprintclass"} & set(fields)
