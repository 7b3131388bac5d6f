"""``bibkit published`` against the loopback arXiv server, with arXiv's own recorded answers.

The recordings in tests/data/realworld/arxiv-api are real arXiv responses (SOURCES.md): 18 of
their papers were published and their entries say so in free text, in the many ways authors
write it (``Phys. Rev. B 74, 024520 (2006)``, ``ActaAstron.56:1-50,2006``, ``In Proc. ACM SIGSOFT
... (ISSTA 2020), pages 14-26. ACM, 2020``). Each test makes preprint records of those papers
from the recordings themselves (title, authors, v1 date, category), as ``bibkit add`` would
have written them before publication, and checks what the upgrade makes of them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from bibkit.enrich import journalref
from bibkit.loader import load_library

from arxiv_server import FakeArxiv, entry
from conftest import REALWORLD, bibkit

ATOM, ARXIV = "{http://www.w3.org/2005/Atom}", "{http://arxiv.org/schemas/atom}"
J, C = journalref.JOURNAL, journalref.CONFERENCE
ICSTW = "IEEE International Conference on Software Testing, Verification and Validation Workshops (ICSTW)"
# What each recorded journal reference says, read by a person: (type, container-title, volume,
# issue, page, issued). The DOIs arXiv gives are checked against these below where they encode
# volume and page.
EXPECTED: dict[str, tuple[str, str, str | None, str | None, str | None, str]] = {
    "astro-ph/0601001": (J, "ActaAstron.", "56", None, "1-50", "2006"),
    "2202.12139": (C, f"2022 {ICSTW}", None, None, None, "2022"),
    "2405.13786": (C, f"Proc. 2023 {ICSTW}", None, None, "66-69", "2023"),
    "2005.14124": (C, "Proc. ACM SIGSOFT International Symposium on Software Testing and Analysis (ISSTA 2020)",
                   None, None, "14-26", "2020"),
    "2204.08348": (C, "Proceedings of the 31st ACM SIGSOFT International Symposium on Software Testing and "
                      "Analysis", None, None, "289-301", "2022-07"),
    "2302.03287": (C, f"2023 {ICSTW}", None, None, None, "2023"),
    "1202.4527": (J, "International Journal of Software Engineering & Applications (IJSEA)", "3", "1", None,
                  "2012-01"),
    "1201.4869": (J, "Int. J. Mod. Phys. B", "26", None, "1244002", "2012"),
    "cond-mat/0412498": (J, "Physical Review B", "71", None, "184511", "2005"),
    "cond-mat/0603029": (J, "Phys. Rev. B", "74", None, "024520", "2006"),
    "1005.5383": (J, "Physical Review B", "82", None, "060515(R)", "2010"),
    "1303.6954": (J, "Physical Review B", "88", None, "064512", "2013"),
    "1312.6177": (J, "Phys. Rev. B", "89", None, "224502", "2014"),
    "1412.6529": (J, "Phys. Rev. B", "91", None, "184507", "2015"),
    "cond-mat/0607501": (J, "Phys. Rev. B", "74", None, "214517", "2006"),
    "cond-mat/0702661": (J, "Phys. Rev. B", "76", None, "064418", "2007"),
    "0807.2873": (J, "Annals of Physics", "324", None, "523", "2009"),
}
DOI_ONLY = "1205.1866"  # arXiv knows the journal DOI, not the journal: nothing to upgrade to
STILL_PREPRINTS = {"1707.08567", "2503.05378", "2502.07719", "1812.11470"}


def _recorded() -> dict[str, dict[str, Any]]:
    """Every paper in the recordings: what a preprint record of it is made from."""
    out = {}
    for path in sorted((REALWORLD / "arxiv-api").glob("*.xml")):
        for e in ET.parse(path).getroot().findall(f"{ATOM}entry"):
            ident = (e.findtext(f"{ATOM}id") or "").rsplit("/abs/", 1)[-1]
            if not re.match(r"^[\w.-]+(/\d+)?v\d+$", ident):
                continue  # the error pseudo-entry
            primary = e.find(f"{ARXIV}primary_category")
            out[re.sub(r"v\d+$", "", ident)] = {
                "title": " ".join((e.findtext(f"{ATOM}title") or "").split()),
                "authors": [a.findtext(f"{ATOM}name") for a in e.findall(f"{ATOM}author")],
                "published": (e.findtext(f"{ATOM}published") or "")[:10],
                "category": primary.get("term") if primary is not None else None,
                "doi": e.findtext(f"{ARXIV}doi"), "journal_ref": e.findtext(f"{ARXIV}journal_ref"),
            }
    return out


def _key(base: str) -> str:
    return "p" + re.sub(r"[^0-9a-z]", "", base)


def _preprint(base: str, paper: dict[str, Any]) -> str:
    """A preprint record as a curator keeps it: a comment, quoting, tags, provenance."""
    authors = "".join(f"  - {a!r}\n" if "'" not in a else f'  - "{a}"\n' for a in paper["authors"])
    return (f"# Preprint of arXiv {base}; kept by hand.\ntype: article\ntitle: {paper['title']!r}\n"
            f"author:\n{authors}issued: {paper['published']}\npublisher: arXiv\narxiv: {base}\n"
            f"arxiv-class: {paper['category']}\ntags: [lab]\nprovenance:\n  verified: [https://arxiv.org/abs/{base}]\n"
            f"  note: Made from the recorded arXiv answer.  # a comment that stays\n")


def _collection(tmp_path: Path, bases: list[str]) -> Path:
    recorded = _recorded()
    records = tmp_path / "records"
    records.mkdir()
    for base in bases:
        (records / f"{_key(base)}.yaml").write_text(_preprint(base, recorded[base]))
    assert bibkit("validate", "--ignore", "BK050", "--ignore", "BK060", records).exit_code == 0
    return records


def test_the_recordings_hold_the_published_papers_this_module_expects() -> None:
    recorded = _recorded()
    with_reference = {b for b, p in recorded.items() if p["journal_ref"]}
    assert with_reference == set(EXPECTED)
    assert recorded[DOI_ONLY]["doi"] and not recorded[DOI_ONLY]["journal_ref"]
    assert {b for b, p in recorded.items() if not p["journal_ref"] and not p["doi"]} == STILL_PREPRINTS


@pytest.mark.parametrize("base", sorted(EXPECTED))
def test_each_recorded_reference_is_read(base: str) -> None:
    paper = _recorded()[base]
    venue = journalref.parse(paper["journal_ref"])
    kind, container, volume, issue, page, issued = EXPECTED[base]
    assert (venue.type, venue.container, venue.volume, venue.issue, venue.page) == (kind, container, volume,
                                                                                   issue, page)
    assert f"{venue.year}" + (f"-{venue.month:02d}" if venue.month else "") == issued
    assert venue.unread == ()
    # Where the DOI encodes volume and article number (APS, World Scientific), they agree.
    aps = re.fullmatch(r"10\.1103/PhysRevB\.(\d+)\.(\d+)", paper["doi"] or "")
    if aps:
        assert (venue.volume, (venue.page or "").removesuffix("(R)")) == aps.groups()
    if (paper["doi"] or "").startswith("10.1142/"):
        assert venue.page and venue.page in paper["doi"]


@pytest.mark.parametrize(("text", "unread"), [
    ("Some Venue", ("whether 'Some Venue' is a journal or proceedings", "the year")),
    ("Journal of Tests", ("the year",)),
    ("ICML 2023; NeurIPS 2022 workshop", ("a second reference: 'NeurIPS 2022 workshop'",)),
    ("2021", ("no venue name",)),
])
def test_what_cannot_be_read_is_said(text: str, unread: tuple[str, ...]) -> None:
    assert journalref.parse(text).unread == unread


@pytest.mark.parametrize(("text", "kind", "container", "extra"), [
    ("Proceedings of the 40th International Conference on Machine Learning, PMLR 202:2397-2430, 2023", C,
     "Proceedings of the 40th International Conference on Machine Learning",
     {"collection": "Proceedings of Machine Learning Research", "volume": "202", "page": "2397-2430",
      "publisher": "PMLR", "year": 2023}),
    ("ICML 2023", C, "International Conference on Machine Learning", {"year": 2023}),
    ("Accepted at ICLR 2024 (Oral)", C, "International Conference on Learning Representations",
     {"year": 2024, "pending": "Accepted at"}),
    ("Transactions on Machine Learning Research (TMLR), 2023", J,
     "Transactions on Machine Learning Research (TMLR)", {"year": 2023}),
    ("Nature 623, 493–498 (2023)", J, "Nature", {"volume": "623", "page": "493-498"}),
    ("Proc. Natl. Acad. Sci. 120 (2023)", J, "Proc. Natl. Acad. Sci.", {"volume": "120", "year": 2023}),
    ("Findings of the Association for Computational Linguistics: ACL 2023", C,
     "Findings of the Association for Computational Linguistics: ACL 2023", {"year": 2023}),
    ("Eur.Phys.J. C31 (2003) 17-29", J, "Eur.Phys.J.", {"volume": "C31", "page": "17-29", "year": 2003}),
])
def test_the_forms_ml_and_physics_papers_use(text: str, kind: str, container: str, extra: dict[str, Any]) -> None:
    venue = journalref.parse(text)
    assert (venue.type, venue.container) == (kind, container)
    for name, value in extra.items():
        assert getattr(venue, name) == value, name


def test_published_upgrades_the_recorded_papers_and_keeps_every_other_line(arxiv_env: FakeArxiv,
                                                                            tmp_path: Path) -> None:
    bases = sorted([*EXPECTED, DOI_ONLY, *STILL_PREPRINTS])
    records = _collection(tmp_path, bases)
    before = {p.name: p.read_text() for p in records.glob("*.yaml")}
    dry = bibkit("published", "--records", records, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert {p.name: p.read_text() for p in records.glob("*.yaml")} == before  # --dry-run wrote nothing
    assert f"bibkit: {len(EXPECTED)} upgraded, 1 to settle by hand, {len(STILL_PREPRINTS)} still preprints " \
           "on arXiv, 0 published already (left alone), 0 failures (1 request(s) to arXiv)" in dry.stderr
    assert re.search(rf"{_key(DOI_ONLY)}\.yaml: arXiv {DOI_ONLY}: arXiv gives the DOI 10\.5121/vlsic\.2012\.3205 "
                     r"but no journal reference, so not the venue; left as a preprint", dry.stderr)
    removed = {ln.split(":")[0] for ln in dry.stdout.splitlines() if ln.startswith("-") and not ln.startswith("---")}
    assert removed == {"-type", "-issued", "-publisher"}
    assert bibkit("published", "--records", records, "--check").exit_code == 1

    result = bibkit("published", "--records", records)
    assert result.exit_code == 0, result.stderr
    assert bibkit("validate", "--ignore", "BK050", "--ignore", "BK060", records).exit_code == 0
    after = {p.name: p.read_text() for p in records.glob("*.yaml")}
    assert after.keys() == before.keys()  # no record dropped, none added
    by_arxiv = {r.arxiv.base: r for r in load_library([records]).records if r.arxiv}
    recorded = _recorded()
    for base, (kind, container, volume, issue, page, issued) in EXPECTED.items():
        rec = by_arxiv[base]
        assert (rec.type, rec.get("container-title"), rec.get("volume"), rec.get("issue"), rec.get("page"),
                str(rec.issued)) == (kind, container, volume, issue, page, issued), base
        assert rec.doi == (None if recorded[base]["doi"] is None else rec.doi)
        assert (rec.doi.value if rec.doi else None) == recorded[base]["doi"], base
        assert rec.journal_ref == recorded[base]["journal_ref"] and rec.get("publisher") != "arXiv"
        # Every line the curator wrote is still there, in order, but the three the upgrade replaced.
        old = [ln for ln in before[f"{_key(base)}.yaml"].splitlines()
               if not ln.startswith(("type:", "issued:", "publisher:"))]
        assert [ln for ln in after[f"{_key(base)}.yaml"].splitlines() if ln in old] == old, base
    for base in (DOI_ONLY, *STILL_PREPRINTS):
        assert after[f"{_key(base)}.yaml"] == before[f"{_key(base)}.yaml"], base
    # The exports keep the arXiv identifier of the published version, as arXiv asks.
    bib = bibkit("export", "-f", "bibtex", "-r", records).stdout
    assert "@article{pcondmat0412498," in bib and "eprint = {cond-mat/0412498}" in bib
    assert bib.count("archivePrefix = {arXiv}") == len(bases)
    again = bibkit("published", "--records", records, "--check")
    assert again.exit_code == 0 and "0 upgraded, 1 to settle by hand" in again.stderr


def test_a_published_version_is_never_edited(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    records = _collection(tmp_path, ["cond-mat/0603029"])
    path = records / f"{_key('cond-mat/0603029')}.yaml"
    # Curated as the published version, with less than arXiv's reference would give.
    text = path.read_text().replace("type: article\n", "type: article-journal\ncontainer-title: Physical Review B\n")
    text = text.replace("publisher: arXiv\n", "")
    path.write_text(text)
    result = bibkit("published", "--records", records)
    assert result.exit_code == 0
    assert "0 upgraded, 0 to settle by hand, 0 still preprints on arXiv, 1 published already" in result.stderr
    assert path.read_text() == text


def test_an_identifier_that_names_another_paper_is_not_followed(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    records = _collection(tmp_path, ["1303.6954"])
    path = records / f"{_key('1303.6954')}.yaml"
    # A typo in the identifier: the record is about another paper than arXiv's 1303.6954.
    text = re.sub(r"title: .*\n", "title: 'Thermal Transport in Helium Films'\n", path.read_text())
    text = re.sub(r"author:\n(  - .*\n)+", "author:\n  - Ada Lovelace\n  - Alan Turing\n", text)
    path.write_text(text)
    result = bibkit("published", "--records", records)
    assert result.exit_code == 0
    assert "arXiv 1303.6954 does not look like this record's paper (arXiv's title is 'Local Superfluidity at " \
           "the Nanoscale'); check the record's arxiv identifier; left alone" in result.stderr
    assert path.read_text() == text
    # The title alone is not enough either: authors that do not match stop it too.
    text = re.sub(r"title: .*\n", "title: 'Local Superfluidity at the Nanoscale'\n", text)
    path.write_text(text)
    assert "arXiv's authors are B. Kulchytskyy, G. Gervais, A. Del Maestro" in \
        bibkit("published", "--records", records).stderr
    assert path.read_text() == text


def test_a_record_that_states_otherwise_is_left_to_a_person(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    records = _collection(tmp_path, ["cond-mat/0412498"])
    path = records / f"{_key('cond-mat/0412498')}.yaml"
    text = path.read_text().replace("publisher: arXiv\n", "publisher: arXiv\nDOI: 10.1101/2004.12.19.000001\n")
    path.write_text(text)
    result = bibkit("published", "--records", records)
    assert "the record states DOI 10.1101/2004.12.19.000001 (arXiv: 10.1103/PhysRevB.71.184511); left as a " \
           "preprint" in result.stderr
    assert path.read_text() == text


def test_a_reference_that_cannot_be_read_is_reported(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    for n, ref in enumerate(("Some Venue", "ICML 2023; NeurIPS 2022 workshop")):
        base = f"2301.1000{n}"
        arxiv_env.entries[base] = entry(base, f"Paper {n}", ["Ada Lovelace"], "2023-01-15", journal_ref=ref)
        (records / f"lovelace2023paper{n}.yaml").write_text(
            f"type: article\ntitle: Paper {n}\nauthor: [Ada Lovelace]\nissued: 2023-01-15\npublisher: arXiv\n"
            f"arxiv: '{base}'\n")
    before = (records / "lovelace2023paper0.yaml").read_text()
    result = bibkit("published", "--records", records)
    assert result.exit_code == 0
    assert "arXiv 2301.10000: journal reference 'Some Venue': could not read whether 'Some Venue' is a journal " \
           "or proceedings; the year; left as a preprint" in result.stderr
    assert (records / "lovelace2023paper0.yaml").read_text() == before
    # Read as far as it goes, and said what was not.
    assert "arXiv 2301.10001: published as a paper in proceedings: International Conference on Machine " \
           "Learning (2023); could not read a second reference: 'NeurIPS 2022 workshop'" in result.stderr
    upgraded = load_library([records / "lovelace2023paper1.yaml"]).records[0]
    assert (upgraded.type, upgraded.get("container-title"), str(upgraded.issued)) == (
        C, "International Conference on Machine Learning", "2023")


def test_enrich_leaves_the_journal_doi_to_published(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    records = _collection(tmp_path, ["cond-mat/0412498"])
    path = records / f"{_key('cond-mat/0412498')}.yaml"
    path.write_text(path.read_text().replace("arxiv-class: cond-mat.str-el\n", ""))
    result = bibkit("enrich", "--records", records, "--no-search")
    assert result.exit_code == 0, result.stderr
    text = path.read_text()
    assert "arxiv-class: cond-mat.str-el" in text and "journal-ref: Physical Review B 71, 184511 (2005)" in text
    assert "DOI" not in text  # the journal's DOI is not the preprint's
    assert "names a published version (DOI 10.1103/PhysRevB.71.184511): see `bibkit published`" in result.stderr
    assert "1 preprint(s) now published: see `bibkit published`" in result.stderr
