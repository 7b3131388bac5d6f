"""Import from BibTeX and CSL-JSON: real-world files, kept keys, and round trips."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bibkit.exporters import export
from bibkit.imports import KeyBook, read_file
from bibkit.loader import load_library
from bibkit.model import ArxivId, Date, Doi, Person, Provenance, Record
from bibkit.richtext import plain
from bibkit.rules import validate

from conftest import REALWORLD, RECORDS, TEST_RECORDS, bibkit

REALWORLD = sorted((REALWORLD / "bib").glob("*.bib")) + \
    sorted((REALWORLD / "csl-json").glob("*.json"))
# Real files whose entries have all that BibTeX's and biblatex's data models ask for: freshly
# imported, they validate without a finding.
CLEAN = {"bbt-export_better-bibtex-027.bib", "bbt-import_bibdesk-2374.bib", "bbt-import_calibre-2743.bib",
         "bbt-import_endnote-no-key.bib", "bbt-import_jabref5-1730.bib", "dblp-bibly_lin-crdt.bib",
         "manubot_input-bibliography.json", "zotero-bbt_deterministic-ordering-1178-1400.csl.json"}


@pytest.mark.slow
@pytest.mark.parametrize("source", REALWORLD, ids=lambda p: p.name)
def test_realworld_files_import_and_export_again(source: Path, tmp_path: Path) -> None:
    into = tmp_path / "records"
    result = bibkit("import", source, "--into", into)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    written = sorted(into.glob("*.yaml"))
    assert written and result.stderr.endswith(
        f"bibkit: imported {len(written)} record(s) into {into}: {len(written)} new, 0 updated, 0 unchanged\n")
    # Every file written is a record bibkit reads back as it wrote it: validation finds only what
    # the source itself lacks or repeats (a journal, a year, a title, one DOI in two entries, a
    # name a style would lowercase), never a problem of bibkit's making (a key, a file name, a
    # value it cannot read back).
    library = load_library([into])
    assert len(library.records) == len(written)
    findings = validate(library)
    assert {d.code for d in findings} <= {"BK012", "BK023", "BK024", "BK040", "BK041", "BK042", "BK043", "BK060"}, \
        [str(d) for d in findings if d.code not in ("BK012", "BK024", "BK041", "BK042", "BK043", "BK060")]
    (tmp_path / "bibkit.toml").write_text('records = "records"\n')  # the defaults, as a new user has them
    checked = bibkit("validate", "-c", tmp_path / "bibkit.toml")
    if source.name in CLEAN:
        assert (checked.exit_code, checked.stdout) == (0, "")
    else:
        assert checked.exit_code == 1 and all(f":{d.line}:{d.col}: " in checked.stdout for d in findings)
    for fmt in ("bibtex", "biblatex", "csl-json"):
        assert export(library.records, fmt)


def test_entries_without_title_key_or_unique_key_are_imported_and_reported(tmp_path: Path) -> None:
    bib = tmp_path / "in.bib"
    bib.write_text("@article{notitle, author={A. B}, year=2020}\n"
                   "@article{ok, title={Fine}, author={A. B}, year=2020, journal={J}}\n"
                   "@misc{ok, title={Second}, author={C. D}, year=2021}\n"
                   "@misc{ howpublished = {\\url{https://example.org}}, title = {No Key}, year = 2019}\n")
    result = bibkit("import", bib, "--into", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert f"{bib}: notitle: line 1: no title; imported as it is\n" in result.stderr
    assert "line 3: key 'ok' appears twice in the file (bibtex and biber use the first)" in result.stderr
    assert "line 4: key '' is missing; imported as" in result.stderr
    records = {r.key: r for r in load_library([tmp_path / "out"]).records}
    assert len(records) == 4 and {"notitle", "ok"} <= set(records)
    assert records["notitle"].title == "" and records["ok"].title == "Fine"
    assert sorted(r.title for r in records.values()) == ["", "Fine", "No Key", "Second"]


def test_an_id_twice_in_a_csl_json_file_is_reported_without_bibtex_s_rule(tmp_path: Path) -> None:
    """Two CSL-JSON items with one id: the second gets a key of its own, and the note says so
    without BibTeX's rule for repeated keys, which no CSL processor follows."""
    src = tmp_path / "in.json"
    src.write_text(json.dumps([{"id": "same", "type": "book", "title": "First"},
                               {"id": "same", "type": "book", "title": "Second"}]))
    result = bibkit("import", src, "--into", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert "key 'same' appears twice in the file; imported as" in result.stderr
    assert "biber" not in result.stderr
    records = load_library([tmp_path / "out"]).records
    assert sorted(r.title for r in records) == ["First", "Second"] and "same" in {r.key for r in records}


def test_keeps_keys_verbatim_and_generates_missing_ones(tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    src.write_text(json.dumps([
        {"id": "DBLP:conf/sigmod/Smith09", "type": "paper-conference", "title": "Queries",
         "author": [{"family": "Smith", "given": "J"}], "issued": {"date-parts": [[2009]]}},
        {"type": "article-journal", "title": "The Łódź Study", "author": [{"family": "Müller", "given": "A"}],
         "issued": {"date-parts": [[2020]]}},
        {"type": "article-journal", "title": "Łódź Again", "author": [{"family": "Müller", "given": "B"}],
         "issued": {"date-parts": [[2020]]}},
    ]))
    into = tmp_path / "records"
    result = bibkit("import", src, "--into", into)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in into.iterdir()) == [
        "DBLP_conf_sigmod_Smith09.yaml", "muller2020lodz.yaml", "muller2020lodza.yaml"]
    assert (into / "DBLP_conf_sigmod_Smith09.yaml").read_text().startswith("id: DBLP:conf/sigmod/Smith09\n")
    assert bibkit("validate", into).exit_code in (0, 1)
    assert " BK030 " not in bibkit("validate", into).stdout


def test_a_differing_value_is_kept_unless_forced_and_force_names_it(tmp_path: Path) -> None:
    bib = tmp_path / "in.bib"
    bib.write_text("@article{smith2020, title={One}, author={Smith, A}, year=2020, journal={J}}\n")
    into = tmp_path / "records"
    assert bibkit("import", bib, "--into", into).exit_code == 0
    before = (into / "smith2020.yaml").read_text()
    bib.write_text("@article{smith2020, title={Two}, author={Smith, A}, year=2020, journal={J}}\n")
    again = bibkit("import", bib, "--into", into)
    assert again.exit_code == 0, again.stderr
    assert f"{into / 'smith2020.yaml'}: kept title: the import has another value (--force takes it)" in again.stderr
    assert (into / "smith2020.yaml").read_text() == before
    forced = bibkit("import", bib, "--into", into, "--force")
    assert forced.exit_code == 0
    assert f"{into / 'smith2020.yaml'}: replaced title with the imported value (--force)" in forced.stderr
    assert (into / "smith2020.yaml").read_text() == before.replace("title: One", "title: Two")


def test_bibtex_features(tmp_path: Path) -> None:
    bib = tmp_path / "in.bib"
    bib.write_text(r"""@string{acl = {Proceedings of ACL}}
@inproceedings{X, author = {van der Wal, Oskar and {BigScience Workshop} and D{\"u}rr, J{\'e}r{\^o}me and others},
  title = {{BLOOM}: A {Test} of \emph{Things} \& Stuff}, booktitle = acl # { 2023}, year = 2023, month = mar,
  pages = {1--5}, doi = {https://doi.org/10.1234/x}, eprint = {2303.08112}, archivePrefix = {arXiv},
  primaryClass = {cs.CL}, keywords = {nlp, llm}, customfield = {kept {as} is}}
""")
    result = read_file(bib)
    (rec,) = result.records
    assert rec.type == "paper-conference"
    assert rec.title == '<span class="nocase">BLOOM</span>: A <span class="nocase">Test</span> of <i>Things</i> & Stuff'
    assert rec.author == (Person(family="Wal", given="Oskar", non_dropping_particle="van der"),
                          Person(literal="BigScience Workshop"), Person(family="Dürr", given="Jérôme"))
    assert rec.author_truncated
    assert rec.get("container-title") == "Proceedings of ACL 2023"
    assert rec.issued == Date(2023, 3) and rec.get("page") == "1-5"
    assert rec.doi == Doi("10.1234/x") and rec.arxiv == ArxivId("2303.08112") and rec.arxiv_class == "cs.CL"
    assert rec.tags == ("nlp", "llm") and rec.extra == {"customfield": "kept {as} is"}
    assert "customfield = {kept {as} is}," in export([rec], "bibtex").decode()


# Round trips: what each format can carry comes back unchanged.

_TEXT = st.text(st.sampled_from(list("abcdefgh XYZ&%$#_~^\\{}éüłøß’-:<>*")), min_size=1, max_size=30).map(
    lambda s: " ".join(s.split())).filter(lambda s: s and s[0].isalpha())
_WORD = st.text(st.sampled_from(list("abcdefghijklmnopqrstuvwxyzéüłß")), min_size=2, max_size=10)


@st.composite
def _person(draw: st.DrawFn) -> Person:
    if draw(st.integers(0, 9)) == 0:
        return Person(literal=draw(_WORD).capitalize() + " " + draw(_WORD).capitalize() + " Lab")
    particle = draw(st.sampled_from([None, "van der", "de la", "von"]))
    return Person(family=draw(_WORD).capitalize(), given=draw(_WORD).capitalize(), non_dropping_particle=particle)


@st.composite
def _record(draw: st.DrawFn) -> Record:
    kind = draw(st.sampled_from(["article", "article-journal", "paper-conference"]))
    year = draw(st.integers(2008, 2025))
    month = draw(st.integers(1, 12))
    arxiv = ArxivId(f"{year % 100:02d}{month:02d}.{draw(st.integers(10000, 99999))}")
    text = {} if kind == "article" else {"container-title": draw(_TEXT)}
    if draw(st.booleans()):
        text["volume"] = str(draw(st.integers(1, 300)))
    return Record(
        key=draw(st.from_regex(r"[a-z][a-z0-9]{2,10}", fullmatch=True)), type=kind, title=draw(_TEXT),
        author=tuple(draw(st.lists(_person(), min_size=1, max_size=4))), author_truncated=draw(st.booleans()),
        issued=Date(year, month, draw(st.integers(1, 28))), arxiv=arxiv if kind == "article" or draw(st.booleans())
        else None, arxiv_class=draw(st.sampled_from([None, "cs.CL", "math.AG"])), text=text,
        doi=Doi(f"10.{draw(st.integers(1000, 99999))}/{draw(_WORD)}") if draw(st.booleans()) else None,
    )


def _reimport(rec: Record, fmt: str, tmp: Path) -> Record:
    path = tmp / ("in.bib" if fmt in ("bibtex", "biblatex") else "in.json")
    path.write_bytes(export([rec], fmt))
    result = read_file(path)
    assert not result.problems, result.problems
    (back,) = result.records
    return back


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(rec=_record())
def test_bibtex_round_trip(rec: Record, tmp_path: Path) -> None:
    back = _reimport(rec, "bibtex", tmp_path)
    assert (back.key, plain(back.title), back.author, back.author_truncated) == \
        (rec.key, rec.title, rec.author, rec.author_truncated)
    # The braces bibkit adds to a title come back as nocase spans (a .bib cannot say who put them
    # there), and the record they give is exported as the same BibTeX.
    assert export([back], "bibtex") == export([rec], "bibtex")
    assert back.type == rec.type and back.arxiv == rec.arxiv and back.doi == rec.doi
    assert back.issued == rec.issued  # the day in BibTeX's day field, which bibtex's styles ignore
    assert back.arxiv_class == (rec.arxiv_class if rec.arxiv else None)
    for name in ("container-title", "volume"):
        assert back.get(name) == rec.get(name), name


@_SETTINGS
@given(rec=_record())
def test_biblatex_round_trip_keeps_the_full_date(rec: Record, tmp_path: Path) -> None:
    back = _reimport(rec, "biblatex", tmp_path)
    assert (plain(back.title), back.author, back.issued, back.arxiv) == (rec.title, rec.author, rec.issued, rec.arxiv)
    assert export([back], "biblatex") == export([rec], "biblatex")


@_SETTINGS
@given(rec=_record())
def test_csljson_round_trip_is_lossless(rec: Record, tmp_path: Path) -> None:
    assert _reimport(rec, "csl-json", tmp_path) == rec


def test_shipped_records_round_trip_through_csljson(tmp_path: Path) -> None:
    records = load_library([RECORDS, TEST_RECORDS / "good"]).records
    path = tmp_path / "all.json"
    path.write_bytes(export(records, "csl-json"))
    back = {r.key: r for r in read_file(path).records}
    for rec in records:
        # Provenance is bibkit's own curation data; CSL-JSON has no place for it.
        assert back[rec.key] == dataclasses.replace(rec, provenance=Provenance())


def test_keybook_generates_unique_keys() -> None:
    book = KeyBook({"smith2020fine"})
    rec = Record(key="", type="article", title="Fine Work", author=(Person(family="Smith"),), issued=Date(2020))
    notes: list[tuple[str, str]] = []
    assert book.claim("", rec, notes) == "smith2020finea"
    assert book.claim("", rec, notes) == "smith2020fineb"
    assert book.claim("has space", rec, notes) == "smith2020finec"
    assert "is not a key BibTeX and biber accept" in notes[-1][1]


def test_a_key_with_accents_keeps_its_ascii_spelling() -> None:
    """JabRef and BibDesk users' keys (``økland2009``) and the keys Scopus and the ACM make from
    names (``D'Aurizio2020``): BibTeX and biber (under pdflatex) cannot take them, so the key
    becomes its ASCII spelling without the apostrophe, or a new key where that one is taken."""
    book = KeyBook({"muller2001"})
    rec = Record(key="", type="article", title="Threshold", author=(Person(family="Økland"),), issued=Date(2009))
    notes: list[tuple[str, str]] = []
    assert book.claim("økland2009threshold", rec, notes) == "okland2009threshold"
    assert "imported as 'okland2009threshold'" in notes[-1][1]
    assert book.claim("Hernández:2009", rec, notes) == "Hernandez:2009"
    assert book.claim("Straße", rec, notes) == "Strasse"
    assert book.claim("D'Aurizio2020139033", rec, notes) == "DAurizio2020139033"  # Scopus, the ACM
    assert book.claim("O’Neil:2001", rec, notes) == "ONeil:2001"
    # taken (in the directory, or earlier in the file): a key by the pattern
    assert book.claim("müller2001", rec, notes) == "okland2009threshold" + "a"
    assert book.claim("hernández:2009", rec, notes) == "okland2009thresholdb"
    # nothing ASCII left: a key by the pattern
    assert book.claim("中文", rec, notes) == "okland2009thresholdc"


# BibLaTeX's extended name format, both ways, as biber reads it.

EXTENDED = r"""@book{heuvel2001,
  author = {family=Heuvel, given=Charles, prefix=van den, useprefix=false
            and family=Vries, given=Anne, prefix=de, useprefix=true and Wal, Oskar van der},
  title = {Names},
  date = {2001},
  publisher = {Press},
}
"""


@pytest.mark.slow
def test_extended_name_format_is_read_and_written_back(tmp_path: Path) -> None:
    import subprocess

    from conftest import require_tool

    source = tmp_path / "in.bib"
    source.write_text(EXTENDED)
    (rec,) = read_file(source).records
    assert rec.author == (Person(family="Heuvel", given="Charles", dropping_particle="van den"),
                          Person(family="Vries", given="Anne", non_dropping_particle="de"),
                          Person(family="Wal", given="Oskar van der"))
    biblatex = export([rec], "biblatex").decode()
    assert ("author = {family={Heuvel}, given={Charles}, prefix={van den}, useprefix=false and de Vries, Anne "
            "and Wal, Oskar van der},") in biblatex
    # BibTeX has one von part: the particle is written where BibTeX reads it.
    assert "author = {van den Heuvel, Charles and de Vries, Anne and Wal, Oskar van der}," in \
        export([rec], "bibtex").decode()
    # Read back by bibkit: the same names.
    again = tmp_path / "again.bib"
    again.write_text(biblatex)
    assert read_file(again).records[0].author == rec.author
    # Read by biber: the parts are the parts, not "family=Heuvel" as a family name.
    (tmp_path / "refs.bib").write_text(biblatex)
    (tmp_path / "doc.tex").write_text("\\documentclass{article}\\usepackage[backend=biber]{biblatex}"
                                      "\\addbibresource{refs.bib}\\begin{document}\\nocite{*}\\end{document}\n")
    subprocess.run([require_tool("pdflatex"), "-interaction=nonstopmode", "doc.tex"], cwd=tmp_path,
                   capture_output=True, check=False, timeout=300)
    done = subprocess.run([require_tool("biber"), "doc"], cwd=tmp_path, capture_output=True, text=True,
                          check=False, timeout=300)
    assert done.returncode == 0 and " WARN " not in done.stdout, done.stdout
    bbl = (tmp_path / "doc.bbl").read_text()
    assert "family={Heuvel}" in bbl and "given={Charles}" in bbl and "useprefix=false" in bbl
    assert "family={Vries}" in bbl and "family={family" not in bbl


# crossref: parents after children, so that bibtex resolves them.

@pytest.mark.slow
def test_crossref_parents_come_after_their_children_and_bibtex_resolves_them(tmp_path: Path) -> None:
    import subprocess

    from conftest import require_tool

    def bibtex_bbl(bib: bytes, work: Path) -> str:
        """What bibtex makes of ``bib`` for a paper that cites only the child."""
        work.mkdir()
        (work / "refs.bib").write_bytes(bib)
        (work / "doc.aux").write_text("\\relax\n\\citation{zzz-paper}\n\\bibstyle{plainnat}\n\\bibdata{refs}\n")
        subprocess.run([require_tool("bibtex"), "doc"], cwd=work, capture_output=True, check=False, timeout=300)
        return " ".join((work / "doc.bbl").read_text().split())

    source = tmp_path / "in.bib"
    source.write_text("@proceedings{aaa-proc, title = {Proc. of Things}, booktitle = {Proc. of Things}, "
                      "year = 2020, publisher = {Press}, editor = {Doe, Jane}}\n"
                      "@inproceedings{zzz-paper, title = {A Paper}, author = {Roe, Rick}, crossref = {aaa-proc}, "
                      "pages = {1--2}}\n")
    resolved = "In Jane Doe, editor, \\emph{Proc. of Things}, pages 1--2. Press, 2020."
    # As written (parent first), bibtex does not resolve the reference: no year, no proceedings.
    assert resolved not in bibtex_bbl(source.read_bytes(), tmp_path / "original")
    bib = export(read_file(source).records, "bibtex")  # sorted by key: aaa-proc would come first
    assert bib.decode().index("@inproceedings{zzz-paper,") < bib.decode().index("@proceedings{aaa-proc,")
    assert resolved in bibtex_bbl(bib, tmp_path / "export")


# Date ranges: kept in the record, written as each format writes a range.

def test_date_ranges_are_kept_both_ways(tmp_path: Path) -> None:
    bib = tmp_path / "in.bib"
    bib.write_text("@inproceedings{conf, title = {Talk}, author = {Doe, Jane}, booktitle = {Conf}, "
                   "date = {2019-06-03/2019-06-07}, eventdate = {2019-06-03/2019-06-07}}\n"
                   "@book{span, title = {Volumes}, author = {Doe, Jane}, year = {1990--1992}, publisher = {P}}\n")
    conf, span = read_file(bib).records
    assert conf.issued == Date(2019, 6, 3, end=Date(2019, 6, 7)) and conf.dates["event-date"] == conf.issued
    assert span.issued == Date(1990, end=Date(1992))
    assert "date = {2019-06-03/2019-06-07}," in export([conf], "biblatex").decode()
    assert "year = {1990--1992}," in export([span], "bibtex").decode()
    (item,) = json.loads(export([conf], "csl-json"))
    assert item["issued"] == {"date-parts": [[2019, 6, 3], [2019, 6, 7]]}
    out = tmp_path / "out.json"
    out.write_bytes(export([conf, span], "csl-json"))
    assert read_file(out).records == [conf, span]
    records = tmp_path / "records"
    assert bibkit("import", bib, "--into", records).exit_code == 0
    assert "issued: 2019-06-03/2019-06-07\n" in (records / "conf.yaml").read_text()
    assert load_library([records]).records[0].issued == conf.issued


# CSL-JSON ids that are not citation keys.

def test_a_csl_id_that_is_no_key_is_kept_and_given_back(tmp_path: Path) -> None:
    items = [{"id": "url:https://openreview.net/pdf?id=rJWF0Fywf", "type": "webpage", "title": "A Page"},
             {"id": "http://zotero.org/users/1/items/ABCD", "citation-key": "doe2020page", "type": "webpage",
              "title": "Another Page"}]
    source = tmp_path / "in.json"
    source.write_text(json.dumps(items))
    records = tmp_path / "records"
    result = bibkit("import", source, "--into", records)
    assert result.exit_code == 0, result.stderr
    assert "key 'url:https://openreview.net/pdf?id=rJWF0Fywf' is not a key BibTeX and biber accept" in result.stderr
    library = load_library([records])
    keys = sorted(r.key for r in library.records)
    assert "doe2020page" in keys  # the citation key, not the database's URI
    back = {item["title"]: item for item in json.loads(export(library.records, "csl-json"))}
    assert back["A Page"]["id"] == items[0]["id"]
    assert back["Another Page"]["id"] == items[1]["id"]
    assert back["Another Page"]["citation-key"] == "doe2020page"


# The .bib syntax, read as BibTeX reads it (btxdoc, "The BibTeX database"), and where it cannot be read.

BIB_SYNTAX = {
    "a backslash in a quoted value": ('@misc{a, title = "Caf\\\'e au lait", year = 2020}',
                                      {"a": {"title": "Caf\\'e au lait", "year": "2020"}}),
    "a quoted value last, before the next entry": ('@misc{a, title = "Last"}\n@misc{b, title = {Next}}',
                                                  {"a": {"title": "Last"}, "b": {"title": "Next"}}),
    "quoted values joined by # without spaces": ('@misc{a, title = "Deep"#" Learning"#{ Now}}',
                                                 {"a": {"title": "Deep Learning Now"}}),
    "a parenthesis in a braced @comment": ("@comment{ :( sad face }\n@misc{a, title = {Kept}}",
                                           {"a": {"title": "Kept"}}),
    "a brace in a parenthesised @comment": ("@comment( { half )\n@misc{a, title = {Kept}}",
                                            {"a": {"title": "Kept"}}),
}


@pytest.mark.parametrize("name", sorted(BIB_SYNTAX))
def test_bib_syntax_is_read_as_bibtex_reads_it(name: str) -> None:
    from bibkit.imports.bibparse import parse

    source, expected = BIB_SYNTAX[name]
    bib = parse(source)
    assert bib.problems == []
    assert {e.key: e.fields for e in bib.entries} == expected


# (source, line of the problem, what the message names): the entry is skipped, up to the next one.
BIB_FAULTS = {
    "no =": ('@misc{a, title "x"}\n@misc{ok, title = {Fine}}', 1, "expected '='"),
    "no field name": ("@misc{ok, title = {Fine}}\n@misc{a,\n  title = {x}, = {y}}", 3, "expected a field name"),
    "no macro name": ("@string{ = {x}}\n@misc{ok, title = {Fine}}", 1, "expected a macro name"),
    "an unclosed quote": ('@misc{ok, title = {Fine}}\n\n@misc{a, title = "never closed}', 3,
                          "a quoted value is never closed"),
    "the file ends before a value": ("@misc{ok, title = {Fine}}\n@misc{a, title = ", 2,
                                     "expected a value, found the end of the file"),
}


@pytest.mark.parametrize("name", sorted(BIB_FAULTS))
def test_bib_faults_are_named_at_their_line_and_the_rest_is_read(name: str, tmp_path: Path) -> None:
    source, line, message = BIB_FAULTS[name]
    path = tmp_path / "in.bib"
    path.write_text(source)
    result = read_file(path)
    assert [r.key for r in result.records] == ["ok"]
    assert len(result.problems) == 1
    assert result.problems[0][0] == line and message in result.problems[0][1], result.problems


def _one(tmp_path: Path, source: str) -> tuple[Record, list[tuple[str, str]]]:
    path = tmp_path / "in.bib"
    path.write_text(source)
    result = read_file(path)
    assert result.problems == []
    (record,) = result.records
    return record, result.notes


# Where BibTeX and biblatex entries say what: (entry, the record's values that show it was read).
BIB_READS: dict[str, tuple[str, dict[str, Any]]] = {
    "an arXiv id in a note, before a full stop": (
        "@misc{a, title = {T}, note = {Preprint at arXiv:2303.08112.}}", {"arxiv": ArxivId("2303.08112")}),
    "another archive's eprint (BibTeX's archivePrefix, primaryClass)": (
        "@article{a, title = {T}, eprint = {31415926}, archivePrefix = {PubMed}, primaryClass = {cls}}",
        {"arxiv": None, "text": {"eprint": "31415926", "eprinttype": "PubMed", "eprintclass": "cls"}}),
    "another archive's eprint beside an arXiv URL: kept as written": (
        "@misc{a, title = {T}, eprint = {31415926}, archivePrefix = {PubMed}, url = {https://arxiv.org/abs/2303.08112}}",
        {"arxiv": ArxivId("2303.08112"), "extra": {"eprint": "31415926", "archivePrefix": "PubMed"}}),
    "biblatex's extended name format, with a suffix and no prefix": (
        "@misc{a, title = {T}, author = {family={Smith}, given={Ann}, suffix={Jr.}}}",
        {"author": (Person("Smith", "Ann", suffix="Jr."),)}),
    "biblatex's extended name format, prefix used": (
        "@misc{a, title = {T}, author = {family={Wal}, given={Oskar}, prefix={van der}, useprefix=true}}",
        {"author": (Person("Wal", "Oskar", non_dropping_particle="van der"),)}),
    "a URL with TeX escapes": (
        r"@misc{a, title = {T}, url = {https://example.org/a\_b?c=100\%#d\#e}}",
        {"url": "https://example.org/a_b?c=100%#d#e"}),
    "a date in brace groups of its own (Web of Science, as JabRef imports it)": (
        "@article{a, title = {T}, year = {{2000}}, month = {{AUG}}}", {"issued": Date(2000, 8)}),
    "a journal's issue alone": ("@article{a, title = {T}, issue = {Special issue}}",
                                {"text": {"issue": "Special issue"}}),
    "a report's issue alone is its number": ("@techreport{a, title = {T}, issue = {7}}",
                                             {"text": {"number": "7"}}),
}


@pytest.mark.parametrize("name", sorted(BIB_READS))
def test_bib_fields_are_read_into_their_place(name: str, tmp_path: Path) -> None:
    source, expected = BIB_READS[name]
    record, _ = _one(tmp_path, source)
    assert {k: getattr(record, k) for k in expected} == expected


def test_what_cannot_be_read_is_kept_as_written_and_said(tmp_path: Path) -> None:
    record, notes = _one(tmp_path, "@misc{a, title = {T}, year = {forthcoming},\n  title = {Again}}")
    assert record.issued is None and record.extra == {"year": "forthcoming"} and record.title == "T"
    said = " | ".join(why for _, why in notes)
    assert "year kept in 'extra'" in said and "'title' is given twice" in said


def test_names_bibtex_cannot_read_are_kept_as_written_and_the_rest_read(tmp_path: Path) -> None:
    """Google Scholar writes some author lists with commas for ``and``: a name with "too many
    commas", which bibtex warns about and guesses. The field is kept as written (and exported
    again as it is); the entry's other fields are read as usual."""
    record, notes = _one(tmp_path, "@article{a, title = {The Impacts}, year = {2016}, journal = {USGCRP},\n"
                                   "  author = {Crimmins, A., J. Balbus, J.L. Gamble, and L. Ziska, Eds.},\n"
                                   "  editor = {Smith, Ann}}")
    assert record.title == "The Impacts" and record.issued == Date(2016) and record.text["container-title"] == "USGCRP"
    assert record.author == () and record.editor == (Person("Smith", "Ann"),)
    assert record.extra == {"author": "Crimmins, A., J. Balbus, J.L. Gamble, and L. Ziska, Eds."}
    assert any("author kept in 'extra': a name in it cannot be read" in why for _, why in notes)
    assert "author = {Crimmins, A., J. Balbus, J.L. Gamble, and L. Ziska, Eds.}" in export([record], "bibtex").decode()
    # CSL-JSON has no place for names as text: the item stays valid, the text goes to custom.
    import jsonschema

    schema = Path(__file__).resolve().parent.parent / "data" / "realworld" / "csl-schema" / "csl-data.json"
    items = json.loads(export([record], "csl-json"))
    jsonschema.Draft7Validator(json.loads(schema.read_text())).validate(items)
    assert "author" not in items[0] and items[0]["custom"]["extra"]["author"].startswith("Crimmins")


def test_an_entry_the_reader_fails_on_is_kept_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The importer's last line of defence: a bug in reading one entry loses nothing of it."""
    from bibkit.imports import bibtex

    def broken(*args: object) -> Record:
        raise RuntimeError("a bug")

    monkeypatch.setattr(bibtex, "record_from_entry", broken)
    path = tmp_path / "in.bib"
    path.write_text("@article{a, title = {T}, year = 2020}\n@weird{b, note = {N}, empty = {}}\n")
    result = read_file(path)
    assert [(line, "RuntimeError: a bug" in why) for line, why in result.problems] == [(1, True), (2, True)]
    assert [(r.key, r.type, r.extra) for r in result.records] == [
        ("a", "article-journal", {"title": "T", "year": "2020"}), ("b", "document", {"note": "N"})]


def test_csl_json_values_without_a_place_in_the_model_come_back_as_they_were(tmp_path: Path) -> None:
    """A date as a string or with a season, custom keys of other tools, a citation-key that is no
    key: read as far as the model can, and the CSL-JSON export gives back each item as it came."""
    items = [{"id": "a2020", "type": "book", "title": "A", "issued": "2020-05-01"},
             {"id": "b2020", "type": "book", "title": "B", "issued": {"date-parts": [[2020]], "season": 1}},
             {"id": "c2020", "type": "book", "title": "C", "custom": {"zotero-key": "ABC", "tags": ["x"]}},
             {"id": "d2020", "citation-key": "not a key", "type": "book", "title": "D"}]
    source = tmp_path / "in.json"
    source.write_text(json.dumps(items))
    result = read_file(source)
    assert result.problems == []
    assert [(r.key, r.issued, r.tags) for r in result.records] == [
        ("a2020", Date(2020, 5, 1), ()), ("b2020", Date(2020), ()), ("c2020", None, ("x",)), ("d2020", None, ())]
    assert json.loads(export(result.records, "csl-json")) == items


def test_an_import_into_a_new_directory_writes_what_one_into_an_empty_one_writes(tmp_path: Path) -> None:
    """Into a new directory the import streams (a record at a time); into an existing one it
    plans every file first. The two write the same files and say the same, for files from many
    producers whose keys collide across files."""
    sources = [*REALWORLD[:12], *[p for p in REALWORLD if p.suffix == ".json"][:4]]
    new, empty = tmp_path / "new", tmp_path / "empty"
    empty.mkdir()
    streamed = bibkit("import", *sources, "--into", new)
    planned = bibkit("import", *sources, "--into", empty)
    assert streamed.exit_code == planned.exit_code == 0, streamed.stderr
    files = sorted(p.name for p in new.iterdir())
    assert len(files) > 100 and files == sorted(p.name for p in empty.iterdir())
    assert all((new / name).read_bytes() == (empty / name).read_bytes() for name in files)
    assert streamed.stderr.replace(str(new), "X") == planned.stderr.replace(str(empty), "X")


@pytest.mark.parametrize("suffix", [".bib", ".json"])
def test_a_file_is_read_a_record_at_a_time(suffix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``stream_file`` hands over each record as soon as it is read: an import into a new
    directory never holds the file's records together."""
    from bibkit.imports import Imported, bibtex, csljson, stream_file

    source = next(p for p in REALWORLD if p.suffix == suffix and len(read_file(p).records) > 3)
    module, name = (bibtex, "record_from_entry") if suffix == ".bib" else (csljson, "_item")
    real = getattr(module, name)
    made: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    records = stream_file(source, KeyBook(set()), Imported())
    first = next(records)
    assert first.key and len(made) == 1
    assert len([first, *records]) == len(made) > 3


def test_an_import_into_an_existing_directory_reads_each_record_there_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The records already there give the import its taken keys and the files it updates: one
    reading serves both."""
    from bibkit import loader

    into = tmp_path / "records"
    into.mkdir()
    for path in sorted(RECORDS.glob("*.yaml"))[:8]:
        (into / path.name).write_bytes(path.read_bytes())
    read: list[str] = []
    real = loader.load_record

    def counting(path: Path) -> Any:
        read.append(path.name)
        return real(path)

    monkeypatch.setattr(loader, "load_record", counting)
    done = bibkit("import", REALWORLD[0], "--into", into)
    assert done.exit_code == 0, done.stderr
    assert sorted(read) == sorted(p.name for p in sorted(RECORDS.glob("*.yaml"))[:8])
