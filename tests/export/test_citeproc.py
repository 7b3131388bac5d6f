"""Formatted reference lists: one entry per record, in the style's order, escaped per format."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from conftest import RECORDS, ROOT, bibkit

pytestmark = pytest.mark.slow  # formatted lists: the CSL engine, which mutation testing leaves out

N_RECORDS = len(list(RECORDS.glob("*.yaml")))


def _entries(fmt: str, style: str, records: Path = RECORDS) -> list[str]:
    result = bibkit("export", "-f", fmt, "--style", style, "-r", records)
    assert result.exit_code == 0, result.stderr
    if fmt == "html":
        return re.findall(r'<div class="csl-entry" id="ref-[^"]+">(.*)</div>', result.stdout)
    return [e.strip() for e in result.stdout.split("\n\n" if fmt == "markdown" else "\n") if e.strip()]


@pytest.mark.parametrize("style", ["apa", "ieee", "chicago-author-date", "lab-publications"])
@pytest.mark.parametrize("fmt", ["text", "html", "markdown"])
def test_one_entry_per_record(fmt: str, style: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the house style lives in ./styles/
    assert len(_entries(fmt, style)) == N_RECORDS


@pytest.mark.parametrize("style", ["apa", "ieee"])
def test_formats_carry_the_same_content(style: str) -> None:
    text = _entries("text", style)
    as_html = [html.unescape(re.sub(r"<[^>]+>", "", e)) for e in _entries("html", style)]
    as_md = [re.sub(r"\\(.)", r"\1", e.replace("**", "").replace("*", "")) for e in _entries("markdown", style)]
    assert as_html == text
    assert as_md == [t.replace("*", "") for t in text]


def test_apa_is_sorted_by_author() -> None:
    families = [e.split(",")[0] for e in _entries("text", "apa")]
    assert families == sorted(families, key=str.casefold)


HOSTILE = """type: article
title: "<script>alert(1)</script> *not bold* [link](javascript:x) & more"
author: ["<b>Mallory</b> O'Hara"]
issued: 2023-03
arxiv: "2303.08112"
"""


def test_record_text_never_becomes_markup(tmp_path: Path) -> None:
    (tmp_path / "hostile2023.yaml").write_text(HOSTILE)
    out = bibkit("export", "-f", "html", "-r", tmp_path).stdout
    assert "<script>" not in out and "<b>Mallory" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    md = bibkit("export", "-f", "markdown", "-r", tmp_path).stdout
    assert r"\*not bold\*" in md and r"\[link\]" in md and r"\<script\>" in md


def test_unknown_style_names_close_matches() -> None:
    result = bibkit("export", "-f", "text", "--style", "ieeee", "-r", RECORDS)
    assert result.exit_code == 2
    assert result.stderr.startswith("bibkit: error: unknown style 'ieeee'; did you mean ieee")


def test_style_by_path_and_unknown_locale(tmp_path: Path) -> None:
    style = ROOT / "styles" / "lab-publications.csl"
    assert len(_entries("text", str(style))) == N_RECORDS
    bad = bibkit("export", "-f", "text", "--locale", "en-XX", "-r", RECORDS)
    assert bad.exit_code == 2 and "unknown locale 'en-XX'" in bad.stderr


def test_house_style_lists_newest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    years = [int(m) for e in _entries("text", "lab-publications") for m in re.findall(r", (\d{4})\.(?: |$)", e)[:1]]
    assert len(years) == N_RECORDS
    assert years == sorted(years, reverse=True)


def test_styles_command_lists_packaged_and_house_styles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = bibkit("styles", "ieee").stdout.split()
    assert "ieee" in out and all("ieee" in s for s in out)
    assert "lab-publications" in bibkit("styles").stdout.split()
    assert bibkit("styles", "no-such-style-anywhere").exit_code == 1
