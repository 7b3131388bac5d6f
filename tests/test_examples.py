"""The examples in examples/, built the way their READMEs say: bibkit build, then latexmk or pandoc.

Each example is copied, with its layout (``../../records``), into a temporary directory so that
nothing is written into the checkout.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import RECORDS, ROOT, bibkit, require_tool

pytestmark = pytest.mark.slow  # latexmk with bibtex and biber, and pandoc

EXAMPLES = ROOT / "examples"


def _tracked(folder: Path) -> list[Path]:
    """The example's own files, not what following its README left beside them (refs.bib,
    paper.pdf, latexmk's files: the example's .gitignore names them)."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                             "--", str(folder.relative_to(ROOT))],
                            capture_output=True, check=True).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name]


def _copy(example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "records").symlink_to(RECORDS, target_is_directory=True)
    here = tmp_path / "examples" / example
    for source in _tracked(EXAMPLES / example):
        target = here / source.relative_to(EXAMPLES / example)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    # As a user would: run bibkit build inside the example, where it finds the example's bibkit.toml.
    monkeypatch.chdir(here)
    return here


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, encoding="utf-8", errors="replace",
                          check=False, timeout=300)


def _cited(tex: str) -> set[str]:
    keys = re.findall(r"\\(?:cite[tp]?|parencite|textcite)\*?(?:\[[^\]]*\])*\{([^}]+)\}", tex)
    return {k.strip() for group in keys for k in group.split(",")}


def _problems(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if re.search(r"^!|Warning|Error|WARN", ln) and "infwarerr" not in ln]


@pytest.mark.parametrize(("paper", "bib", "processor"), [
    ("paper.tex", "refs.bib", "bibtex"),
    ("paper-biblatex.tex", "refs-biblatex.bib", "biber"),
])
def test_latex_paper_builds_against_the_export(paper: str, bib: str, processor: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    here = _copy("latex-paper", tmp_path, monkeypatch)
    result = bibkit("build")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "wrote refs.bib\nwrote refs-biblatex.bib\n"
    require_tool(processor)
    proc = _run([require_tool("latexmk"), "-pdf", "-interaction=nonstopmode", "-halt-on-error", paper], here)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    stem = paper.removesuffix(".tex")
    # latexmk ran the bibliography processor on the exported file, and nothing complained.
    blg = (here / f"{stem}.blg").read_text(encoding="utf-8", errors="replace")
    assert bib.removesuffix(".bib") in blg
    assert _problems(blg) == [] and "Warning--" not in blg
    assert _problems((here / f"{stem}.log").read_text(encoding="utf-8", errors="replace")) == []
    cited = _cited((here / paper).read_text())
    assert len(cited) == 6
    bbl = (here / f"{stem}.bbl").read_text()
    found = re.findall(r"\\bibitem\[[^\]]*\]\{([^}]+)\}" if processor == "bibtex" else r"\\entry\{([^}]+)\}", bbl, re.S)
    assert set(found) == cited
    text = " ".join(_run([require_tool("pdftotext"), f"{stem}.pdf", "-"], here).stdout.split())
    for word in ("Pythia", "BLOOM", "StarCoder", "Llemma", "YaRN", "LEACE"):
        assert word in text, word
    assert "?" not in re.sub(r"https?://\S+", "", text)  # an unresolved citation prints as [?] or (?)


def _pandoc(here: Path, source: str = "paper.md") -> subprocess.CompletedProcess[str]:
    return _run([require_tool("pandoc"), "--citeproc", source, "-t", "html"], here)


def test_pandoc_document_renders_every_citation_without_a_warning(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    here = _copy("pandoc", tmp_path, monkeypatch)
    result = bibkit("build")
    assert (result.exit_code, result.stdout) == (0, "wrote refs.json\n"), result.stderr
    proc = _pandoc(here)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    cited = set(re.findall(r"@([\w:-]+)", (here / "paper.md").read_text()))
    assert len(cited) == 7
    assert set(re.findall(r'<div id="ref-([^"]+)" class="csl-entry"', proc.stdout)) == cited
    flat = " ".join(proc.stdout.split())
    assert "(see <a href=\"#ref-azerbayev2024llemma\" role=\"doc-biblioref\">Azerbayev et al. 2024, sec. 3</a>)" in flat
    # The zero-warning check can fail: a key the records lack is reported on standard error.
    (here / "typo.md").write_text((here / "paper.md").read_text().replace("@peng2024yarn", "@peng2024yran"))
    typo = _pandoc(here, "typo.md")
    assert "peng2024yran" in typo.stderr
