"""Rich text (CSL's markup in record text) written by every exporter as its consumer reads it, and
case protection that BibTeX styles and CSL processors respect (docs/record-format.md)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from realworld_measure import bibtex_messages

from bibkit.exporters import ExportOptions, export
from bibkit.model import Date, Person, Record

from conftest import bibkit, require_tool

TITLE = ('<i>Attention</i> and <b>bold</b> claims: <sc>Small</sc> caps, x<sup>2</sup>, H<sub>2</sub>O '
         'and the <span class="nocase">Pile</span> at $16\\times 16$')
RECORD = Record(key="doe2023attention", type="article-journal", title=TITLE, author=(Person("Doe", "Jane"),),
                issued=Date(2023), text={"container-title": "Journal of Things", "volume": "3"})

BIBLATEX_DOC = r"""\documentclass{article}
\usepackage[backend=biber]{biblatex}
\addbibresource{refs.bib}
\begin{document}
\nocite{*}
\printbibliography
\end{document}
"""


def _biber_bbl(bib: bytes, work: Path) -> str:
    work.mkdir(parents=True, exist_ok=True)
    (work / "refs.bib").write_bytes(bib)
    (work / "doc.tex").write_text(BIBLATEX_DOC)
    subprocess.run([require_tool("pdflatex"), "-interaction=nonstopmode", "doc.tex"], cwd=work, capture_output=True,
                   check=False, timeout=300)
    done = subprocess.run([require_tool("biber"), "doc"], cwd=work, capture_output=True, text=True, check=False,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    return (work / "doc.bbl").read_text(encoding="utf-8")


@pytest.mark.slow
def test_bibtex_gets_latex_commands_and_braces_and_bibtex_keeps_them(tmp_path: Path) -> None:
    require_tool("bibtex")
    bib = export([RECORD], "bibtex")
    assert (r"title = {\textit{Attention} and \textbf{bold} claims: \textsc{Small} caps, x\textsuperscript{2}, "
            r"{H}\textsubscript{2}{O} and the {Pile} at $16\times 16$},") in bib.decode()
    assert bibtex_messages(bib, tmp_path) == []
    bbl = (tmp_path / "doc.bbl").read_text()
    # plainnat sets article titles in sentence case: the braced word keeps its capital.
    assert "the {Pile} at $16\\times 16$" in " ".join(bbl.split())


@pytest.mark.slow
def test_biber_reads_the_same_markup(tmp_path: Path) -> None:
    bbl = " ".join(_biber_bbl(export([RECORD], "biblatex"), tmp_path).split())
    assert r"\field{title}{\textit{Attention} and \textbf{bold} claims: \textsc{Small} caps" in bbl
    assert "the {Pile} at $16\\times 16$" in bbl


def test_csl_json_carries_the_markup_itself() -> None:
    (item,) = json.loads(export([RECORD], "csl-json"))
    assert item["title"] == TITLE


@pytest.mark.parametrize(("fmt", "expected"), [
    ("html", "<i>Attention</i> and <b>bold</b> claims: <span style=\"font-variant:small-caps;\">Small</span> caps, "
             "x<sup>2</sup>, H<sub>2</sub>O and the Pile at $16\\times 16$"),
    ("markdown", "*Attention* and **bold** claims: Small caps, x<sup>2</sup>, H<sub>2</sub>O and the Pile at "
                 "$16\\\\times 16$"),
    ("text", "Attention and bold claims: Small caps, x2, H2O and the Pile at $16\\times 16$"),
])
def test_formatted_lists_render_the_markup_in_their_own_terms(fmt: str, expected: str) -> None:
    out = export([RECORD], fmt, ExportOptions(style="ieee")).decode()
    assert expected in out
    assert "&lt;i&gt;" not in out and "<span class=\"nocase\">" not in out


def test_nocase_survives_a_style_that_changes_case(tmp_path: Path) -> None:
    """A CSL style in sentence case lowercases what rich text does not protect."""
    style = tmp_path / "sentence.csl"
    style.write_text("""<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><title>Sentence</title><id>sentence</id><updated>2024-01-01T00:00:00+00:00</updated></info>
  <citation><layout><text variable="title"/></layout></citation>
  <bibliography><layout><text variable="title" text-case="sentence"/></layout></bibliography>
</style>
""")
    plain = Record(key="a", type="article", title="Datasheet for the Pile", issued=Date(2022))
    marked = Record(key="b", type="article", title='Datasheet for the <span class="nocase">Pile</span>',
                    issued=Date(2022))
    out = export([plain, marked], "text", ExportOptions(style=str(style))).decode().splitlines()
    assert out == ["Datasheet for the pile", "Datasheet for the Pile"]


def test_bk060_suggests_nocase_and_the_mark_silences_it(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "a.yaml").write_text('type: article\ntitle: "Datasheet for the Pile"\nauthor: [Ada Lovelace]\n'
                                    'issued: 2022\narxiv: "2201.07311"\n')
    (records / "b.yaml").write_text('type: article\ntitle: \'Datasheet for the <span class="nocase">Pile</span>\'\n'
                                    'author: [Ada Lovelace]\nissued: 2022\narxiv: "2201.07312"\n')
    # Words bibkit protects by their shape or as known names are not suggested (LLaMA, Korean).
    (records / "c.yaml").write_text('type: article\ntitle: "Training LLaMA on a Korean corpus"\n'
                                    'author: [Ada Lovelace]\nissued: 2022\narxiv: "2201.07313"\n')
    result = bibkit("validate", records)
    assert result.stdout == (f"{records / 'a.yaml'}:2:8: warning BK060 a style that lowercases titles would print "
                             "'Pile' in lower case; if it is a name, mark it: <span class=\"nocase\">Pile</span>\n")
