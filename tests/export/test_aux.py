"""``export --aux``: only what a paper cites, proven by compiling the paper from it.

Each paper is compiled twice, from scratch, by pdflatex and the real bibliography processor:
once against the whole collection's export, once against the export of only what its first
LaTeX run cited (``--aux paper.aux``). The PDFs must read the same (pdftotext), in both
dialects: natbib with BibTeX, biblatex with biber (refsections included).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bibkit.aux import read_aux

from conftest import RECORDS, bibkit, require_tool

# A former key: the paper cites the BLOOM record by the key it had before (ids).
FORMER = "bigscience2022bloom"
NATBIB = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage[numbers]{natbib}
\usepackage{url}
\begin{document}
\citet{biderman2023pythia} train models that \citep{belrose2023leace,peng2024yarn} build on;
see also \citep{%s} and, unprinted in the text, \nocite{li2023starcoder}%s.
\include{chapter}
\bibliographystyle{plainnat}
\bibliography{refs}
\end{document}
"""
BIBLATEX = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage[backend=biber,style=authoryear]{biblatex}
\addbibresource{refs.bib}
\begin{document}
\textcite{biderman2023pythia} train models that \parencite{belrose2023leace,peng2024yarn} build on;
see also \parencite{%s} and, unprinted in the text, \nocite{li2023starcoder}%s.
\include{chapter}
\printbibliography
\begin{refsection}
A section of its own cites \cite{tigges2023linear}.
\printbibliography[heading=subbibliography]
\end{refsection}
\end{document}
"""
CHAPTER = r"A chapter cites \cite{azerbayev2024llemma}." + "\n"
CITED = {"biderman2023pythia", "belrose2023leace", "peng2024yarn", FORMER, "li2023starcoder",
         "azerbayev2024llemma"}


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, encoding="utf-8",
                          errors="replace", timeout=300)


def _latex(cwd: Path) -> None:
    proc = _run([require_tool("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd)
    assert proc.returncode == 0, proc.stdout[-3000:]


def _records(tmp_path: Path) -> Path:
    records = tmp_path / "records"
    shutil.copytree(RECORDS, records)
    bloom = records / "bigscienceworkshop2022bloom.yaml"
    bloom.write_text(bloom.read_text() + f"ids: [{FORMER}]\n")
    return records


def _paper(where: Path, template: str, extra: str = "", cite: str = FORMER) -> Path:
    where.mkdir()
    (where / "paper.tex").write_text(template % (cite, extra))
    (where / "chapter.tex").write_text(CHAPTER)
    return where


def _compile(where: Path, records: Path, fmt: str, processor: str, aux: bool) -> str:
    """The PDF's text after LaTeX, the processor, LaTeX, LaTeX; refs.bib exported after the
    first LaTeX run, from what it cited (``aux``) or from the whole collection."""
    _latex(where)
    options = ["--aux", where / "paper.aux"] if aux else []
    result = bibkit("export", "-f", fmt, "-r", records, *options, "-o", where / "refs.bib")
    assert result.exit_code == 0, result.stderr
    proc = _run([require_tool(processor), "paper"], where)
    assert proc.returncode == 0, proc.stdout[-3000:]
    blg = (where / "paper.blg").read_text(encoding="utf-8", errors="replace")
    assert not re.search(r"^WARN|Warning--|error message", blg, re.M), blg
    _latex(where)
    _latex(where)
    log = (where / "paper.log").read_text(encoding="utf-8", errors="replace")
    assert "undefined" not in log and "Please (re)run" not in log, log[-2000:]
    return _run([require_tool("pdftotext"), "paper.pdf", "-"], where).stdout


def _keys(bib: Path) -> list[str]:
    return re.findall(r"^@\w+\{([^,]+),", bib.read_text(), re.M)


@pytest.mark.slow
@pytest.mark.parametrize(("template", "fmt", "processor"), [
    (NATBIB, "bibtex", "bibtex"),
    (BIBLATEX, "biblatex", "biber"),
], ids=["natbib-bibtex", "biblatex-biber"])
def test_the_cited_only_bib_gives_the_same_pdf_as_the_whole_collection(
        template: str, fmt: str, processor: str, tmp_path: Path) -> None:
    records = _records(tmp_path)
    whole = _compile(_paper(tmp_path / "whole", template), records, fmt, processor, aux=False)
    cited_dir = _paper(tmp_path / "cited", template)
    cited = _compile(cited_dir, records, fmt, processor, aux=True)
    assert cited == whole
    expected = CITED | ({"tigges2023linear"} if processor == "biber" else set())
    # Exactly what the paper cites, under the keys it cites them by (the former key included).
    assert sorted(_keys(cited_dir / "refs.bib")) == sorted(expected)
    flat = " ".join(whole.split())
    for word in ("Pythia", "LEACE", "YaRN", "BLOOM", "StarCoder", "Llemma"):
        assert word in flat, word


@pytest.mark.slow
def test_nocite_star_cites_everything(tmp_path: Path) -> None:
    records = _records(tmp_path)
    where = _paper(tmp_path / "all", NATBIB, extra=r"\nocite{*}")
    text = _compile(where, records, "bibtex", "bibtex", aux=True)
    keys = _keys(where / "refs.bib")
    assert len(keys) == len(list(RECORDS.glob("*.yaml"))) + 1  # and the former key's copy
    assert "Multitask Finetuning" in " ".join(text.split())  # a record the text never cites


def test_biblatex_aux_forms_are_read(tmp_path: Path) -> None:
    aux = tmp_path / "paper.aux"
    aux.write_text("\\relax\n\\abx@aux@refcontext{nty/global//global/global}\n\\abx@aux@cite{0}{a}\n"
                   "\\abx@aux@segm{0}{0}{a}\n\\abx@aux@cite{b}\n\\abx@aux@refsection{1}{1}\n"
                   "\\abx@aux@cite{1}{c}\n\\citation{d,e}\n")
    cited = read_aux(aux)
    assert [(c.key, c.line, c.col) for c in cited.citations] == [
        ("a", 3, 1), ("b", 5, 1), ("c", 7, 1), ("d", 8, 1), ("e", 8, 1)]
    assert not cited.everything
    aux.write_text(aux.read_text() + "\\abx@aux@nociteall\n")
    assert read_aux(aux).everything


@pytest.mark.slow
def test_a_key_no_record_has_is_reported_where_it_is_cited(tmp_path: Path) -> None:
    records = _records(tmp_path)
    where = _paper(tmp_path / "typo", NATBIB, cite="bigscience2022blom")
    _latex(where)
    out = where / "refs.bib"
    result = bibkit("export", "-f", "bibtex", "-r", records, "--aux", where / "paper.aux", "-o", out)
    assert result.exit_code == 1
    line = next(i for i, ln in enumerate((where / "paper.aux").read_text().splitlines(), 1)
                if "bigscience2022blom" in ln)
    assert f"{where / 'paper.aux'}:{line}:1: error BK070 citation 'bigscience2022blom' is not the key, or a " \
           "former key (ids), of any record: LaTeX will print it as undefined" in result.stderr
    assert "bibkit: error: the paper cites keys no record has; nothing was exported" in result.stderr
    assert not out.exists()


@pytest.mark.slow
def test_a_paper_citing_a_record_by_two_names_is_warned(tmp_path: Path) -> None:
    records = _records(tmp_path)
    where = _paper(tmp_path / "both", NATBIB, extra=r"\nocite{bigscienceworkshop2022bloom}")
    _latex(where)
    result = bibkit("export", "-f", "bibtex", "-r", records, "--aux", where / "paper.aux")
    assert result.exit_code == 0
    assert "warning BK072 'bigscienceworkshop2022bloom' and 'bigscience2022bloom' name the same record " \
           "(bigscienceworkshop2022bloom): BibTeX lists it twice, biblatex once" in result.stderr
    assert {"bigscienceworkshop2022bloom", FORMER} <= set(re.findall(r"^@\w+\{([^,]+),", result.stdout, re.M))


def test_nested_aux_files_count_and_a_missing_one_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "chapters").mkdir()
    (tmp_path / "paper.aux").write_text("\\relax\n\\citation{a}\n\\@input{chapters/one.aux}\n"
                                        "\\@input{two.aux}\n\\@input{paper.aux}\n")
    (tmp_path / "chapters" / "one.aux").write_text("\\relax\n\\citation{b}\n\\@input{chapters/one.aux}\n")
    cited = read_aux(tmp_path / "paper.aux")
    assert [c.key for c in cited.citations] == ["a", "b"]  # and no loop
    assert [(d.code, d.line) for d in cited.notes] == [("BK071", 4)]


def test_a_missing_aux_file_is_a_usage_error(tmp_path: Path) -> None:
    result = bibkit("export", "-f", "bibtex", "--aux", tmp_path / "paper.aux")
    assert result.exit_code == 2
    assert f"bibkit: error: {tmp_path / 'paper.aux'}: no such file; run LaTeX once" in result.stderr


@pytest.mark.slow
def test_build_writes_the_cited_only_bib_from_the_configuration(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    records = _records(tmp_path)
    where = _paper(tmp_path / "paper", NATBIB)
    _latex(where)
    (tmp_path / "bibkit.toml").write_text(
        f'records = "{records.name}"\n\n[[outputs]]\nformat = "bibtex"\npath = "paper/refs.bib"\n'
        'aux = "paper/paper.aux"\n')
    monkeypatch.chdir(tmp_path)
    result = bibkit("build")
    assert (result.exit_code, result.stdout) == (0, "wrote paper/refs.bib\n"), result.stderr
    assert sorted(_keys(where / "refs.bib")) == sorted(CITED)
    # A new citation in the paper changes the output; an unknown one stops the build.
    (where / "paper.aux").write_text((where / "paper.aux").read_text() + "\\citation{tigges2023linear}\n")
    assert bibkit("build").stdout == "wrote paper/refs.bib\n"
    assert "tigges2023linear" in _keys(where / "refs.bib")
    before = (where / "refs.bib").read_bytes()
    (where / "paper.aux").write_text((where / "paper.aux").read_text() + "\\citation{nosuchkey}\n")
    blocked = bibkit("build")
    assert blocked.exit_code == 1 and "error BK070 citation 'nosuchkey'" in blocked.stderr
    assert "the paper cites keys no record has; nothing was built" in blocked.stderr
    assert (where / "refs.bib").read_bytes() == before
