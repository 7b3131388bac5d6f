"""Formatted reference lists: one entry per record, in the style's order, escaped per format."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import RECORDS, ROOT, bibkit, count_splits

pytestmark = pytest.mark.slow  # formatted lists: the CSL engine, which mutation testing leaves out

N_RECORDS = len(list(RECORDS.glob("*.yaml")))


def _entries(fmt: str, style: str, records: Path = RECORDS) -> list[str]:
    result = bibkit("export", "-f", fmt, "--style", style, "-r", records)
    assert result.exit_code == 0, result.stderr
    if fmt == "html":
        # An entry may span lines (second-field-align puts the number in a block of its own).
        entry = r'<div class="csl-entry" id="ref-[^"]+">(.*?)</div>\n(?=  <div class="csl-entry"|</div>)'
        return [e.strip() for e in re.findall(entry, result.stdout, re.S)]
    return [e.strip() for e in result.stdout.split("\n\n" if fmt == "markdown" else "\n") if e.strip()]


@pytest.mark.parametrize("style", ["apa", "ieee", "chicago-author-date", "lab-publications"])
@pytest.mark.parametrize("fmt", ["text", "html", "markdown"])
def test_one_entry_per_record(fmt: str, style: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the house style lives in ./styles/
    assert len(_entries(fmt, style)) == N_RECORDS


@pytest.mark.parametrize("style", ["apa", "ieee"])
def test_formats_carry_the_same_content(style: str) -> None:
    text = _entries("text", style)
    # (second-field-align: the number's block and the rest stand side by side, a space apart in text)
    side_by_side = [e.replace('<div class="csl-right-inline">', " ") for e in _entries("html", style)]
    as_html = [re.sub(r"\s*\n\s*", "", html.unescape(re.sub(r"<[^>]+>", "", e))) for e in side_by_side]
    as_md = [re.sub(r"\\(.)", r"\1", e.replace("**", "").replace("*", "")) for e in _entries("markdown", style)]
    assert as_html == text
    assert as_md == [t.replace("*", "") for t in text]


def test_apa_is_sorted_by_author() -> None:
    families = [e.split(",")[0] for e in _entries("text", "apa")]
    assert families == sorted(families, key=str.casefold)


HOSTILE = """type: article
title: "<script>alert(1)</script> *not bold* [link](javascript:x) & more"
author: ["Mallory O'Hara"]
issued: 2023-03
arxiv: "2303.08112"
"""


def test_record_text_never_becomes_markup(tmp_path: Path) -> None:
    (tmp_path / "hostile2023.yaml").write_text(HOSTILE)
    out = bibkit("export", "-f", "html", "-r", tmp_path).stdout
    assert "<script>" not in out
    assert "&#60;script&#62;alert(1)&#60;/script&#62;" in out and "&#38; more" in out
    md = bibkit("export", "-f", "markdown", "-r", tmp_path).stdout
    assert r"\*not bold\*" in md and r"\[link\]" in md and r"\<script\>" in md


RICH = """type: article-journal
container-title: Journal of Screens
title: 'Growth of <i>E. coli</i> on <span class="nocase">iPhone</span> screens'
author: ["Ann Doe"]
issued: 2023
"""


def test_rich_text_in_a_title_is_formatting(tmp_path: Path) -> None:
    (tmp_path / "doe2023growth.yaml").write_text(RICH)
    # MLA title-cases titles: the nocase span keeps "iPhone"; italics are formatting only (citeproc-js
    # capitalises "Coli" too).
    [entry] = _entries("html", "modern-language-association", tmp_path)
    assert "“Growth of <i>E. Coli</i> on iPhone Screens.”" in entry
    [entry] = _entries("markdown", "modern-language-association", tmp_path)
    assert "“Growth of *E. Coli* on iPhone Screens.”" in entry
    [entry] = _entries("text", "modern-language-association", tmp_path)
    assert "“Growth of E. Coli on iPhone Screens.”" in entry


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
    rows = [line.split(None, 1) for line in bibkit("styles", "ieee").stdout.splitlines()]
    assert ["ieee", "IEEE Reference Guide version 11.29.2023"] in rows
    assert all("ieee" in name or "ieee" in rest.lower() for name, rest in rows)
    assert "lab-publications" in [line.split()[0] for line in bibkit("styles").stdout.splitlines()]


def test_styles_command_finds_titles_and_short_names() -> None:
    out = bibkit("styles", "chemical society").stdout
    assert "american-chemical-society" in out and "ACS Guide" in out
    assert bibkit("styles", "mla").stdout.startswith("mla")


def test_styles_command_says_when_nothing_matches() -> None:
    result = bibkit("styles", "zzzz")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "no style matches 'zzzz'" in result.stderr


@pytest.mark.parametrize(("name", "meant"), [
    ("mla", "modern-language-association"), ("chicago", "chicago-author-date"),
    ("chicago-notes", "chicago-notes-bibliography"), ("harvard", "harvard-cite-them-right"),
    ("vancouver", "nlm-citation-sequence"), ("nature", "nature"), ("acm", "association-for-computing-machinery"),
    ("acl", "association-for-computational-linguistics"), ("ama", "american-medical-association"),
    ("apa", "apa"), ("ieee", "ieee"),
])
def test_short_names_mean_the_styles_people_mean(name: str, meant: str) -> None:
    from bibkit.exporters.citeproc import resolve

    assert resolve(name).name == meant


def test_a_journal_style_prints_with_its_parent_in_its_own_language() -> None:
    from bibkit.exporters.citeproc import resolve

    style = resolve("plos-one")
    assert style.path.stem == "plos" and style.name == "plos-one"


def test_output_is_the_same_cold_warm_and_after_an_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = tmp_path / "records"
    records.mkdir()
    for path in sorted(RECORDS.glob("*.yaml"))[:12]:
        (records / path.name).write_bytes(path.read_bytes())
    monkeypatch.setenv("BIBKIT_CACHE_DIR", str(tmp_path / "cache"))

    def export(*extra: str) -> str:
        result = bibkit("export", "-f", "html", "--style", "apa", "-r", records, *extra)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    cold = export()
    assert (tmp_path / "cache").is_dir()
    assert export() == cold == export("--no-cache")  # warm, and rendered afresh
    victim = sorted(records.glob("*.yaml"))[3]
    original = victim.read_text()
    victim.write_text(original.replace("title: ", "title: Edited ", 1))
    edited = export()
    assert edited != cold and edited == export("--no-cache")
    victim.write_text(original)
    assert export() == cold


def _both_ways(engine: Any, items: list[dict[str, Any]]) -> tuple[Any, Any]:
    """The list rendered with forked workers where the engine splits it, then in order; with
    each, what disambiguation left for each entry and the citation it compared."""
    def left() -> dict[str, Any]:
        return {key: (entry.disambig, entry.akey) for key, entry in engine.registry.items()}

    parallel = engine.bibliography(items), left()
    engine.parallel = False
    try:
        return parallel, (engine.bibliography(items), left())
    finally:
        engine.parallel = True


@pytest.mark.parametrize(("style", "splits"), [
    ("apa", [True, True, True]),  # first citations, first sort keys, entries (see below)
    ("ieee", [True]),  # entries (in citation order)
    ("acm-sig-proceedings", [True, True]),  # first sort keys; entries, numbered once sorted
    ("nature", [True]),  # entries (in citation order)
    ("acm-siggraph", [True, True]),  # first citations; first sort keys and entries, in one (no given-name
    # disambiguation, nothing numbered)
])
def test_a_list_split_over_forked_workers_is_the_list_rendered_in_order(
        style: str, splits: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    """A long list's entries render in forked workers (fanout.py) where nothing they share can
    change a byte: an author-date style (names registered by its citations) and a numeric one
    (its citations register no name; nothing reads what its entries add) both split. So do the
    first sort keys of a style that sorts its bibliography (APA; IEEE keeps the citation order),
    rendered with the entries where an entry can neither print its place in the list nor
    register a name that changes what another's answers (a style without given-name
    disambiguation), before them otherwise (APA; a numeric style sorted by author), and the
    first citations of a style that disambiguates them (APA)."""
    from bibkit import fanout
    from bibkit.exporters.citeproc import csl_item, engine_for, resolve
    from bibkit.loader import load_library

    records = load_library([RECORDS]).records
    items = []
    for n in range(9):  # 351 entries: two slices of at least fanout.MIN_PER_WORKER
        for record in records:
            item = csl_item(record)
            item["id"] = f"{n}-{item['id']}"
            item["title"] = f"{item.get('title', '')} {n}"
            if n % 2:  # copies a year apart: fewer ambiguous citations, whose sort keys disambiguation renders
                item["issued"] = {"date-parts": [[1990 + n]]}
            items.append(item)
    engine = engine_for(resolve(style), "en-US")
    monkeypatch.setattr(fanout, "workers", lambda: 2)  # two processes, whatever this machine has
    split = count_splits(monkeypatch, fanout)
    forks: list[int] = []
    fork = os.fork

    def counted_fork() -> int:
        pid = fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted_fork)
    parallel, in_order = _both_ways(engine, items)
    assert split == splits
    assert len(forks) == 1  # the stages share one process forked for the list (fanout.team)
    assert parallel == in_order


@pytest.mark.parametrize("style", [
    "apa", "chicago-author-date",
    "acta-zoologica-academiae-scientiarum-hungaricae",  # its first range ends inside "(...)"
])
def test_entries_that_register_names_and_print_a_date_range_split_as_the_list_renders_in_order(
        style: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real lists hold names no citation registers (a translator, printed in the entry alone) and
    date ranges (a conference's dates; the list's first range takes a wrapper the later ones do
    not): the first citations and the entries still split over workers, whose registry logs
    are replayed in order with where each met the first range; the entries with a range render
    first, in order, until one has printed it."""
    from bibkit import fanout
    from bibkit.exporters.citeproc import csl_item, engine_for, resolve
    from bibkit.loader import load_library

    records = load_library([RECORDS]).records
    items = []
    for n in range(9):
        for k, record in enumerate(records):
            item = csl_item(record)
            item["id"] = f"{n}-{item['id']}"
            item["title"] = f"{item.get('title', '')} {n}"
            if k % 3 == 0:  # translators that share family names with each other, and with no author
                item["translator"] = [{"family": f"Tr{k % 4}", "given": f"{'AB'[n % 2]}. Given"}]
            if k % 5 == 0:
                item["issued"] = {"date-parts": [[2001 + n], [2002 + n]]}
            items.append(item)
    engine = engine_for(resolve(style), "en-US")
    monkeypatch.setattr(fanout, "workers", lambda: 2)
    split = count_splits(monkeypatch, fanout)
    parallel, in_order = _both_ways(engine, items)
    assert split[0] is True and split[-1] is True  # the first citations and the entries split
    assert parallel == in_order
    assert any("\u2013" in text for _, text in in_order[0])


@pytest.mark.engine_source
def test_a_workers_citations_without_a_date_range_are_taken_wherever_the_first_range_fell(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a date range reads the wrapper the list's first range takes: a worker's first
    citation of an item without one is the citation the list in order renders, whether or not
    the worker met the first range, and is not rendered again in order (a third of the real
    corpus's were)."""
    import sys

    from bibkit import fanout
    from bibkit.exporters.citeproc import csl_item, engine_for, resolve
    from bibkit.exporters.csl.engine import Engine
    from bibkit.loader import load_library

    records = load_library([RECORDS]).records
    items = []
    for n in range(9):
        for record in records:
            item = csl_item(record)
            item["id"] = f"{n}-{item['id']}"
            item["title"] = f"{item.get('title', '')} {n}"
            items.append(item)
    items[3]["issued"] = {"date-parts": [[2001], [2002]]}  # the only range, near the start
    engine = engine_for(resolve("apa"), "en-US")
    monkeypatch.setattr(fanout, "workers", lambda: 2)
    again: list[str] = []  # citations rendered in order, after the workers rendered them all
    real = Engine._ambiguous_cite

    def spy(self: Engine, st: Any, item: Any, request: Any) -> str:
        if sys._getframe(1).f_code.co_name == "_bibliography":
            again.append(item.id)
        return real(self, st, item, request)

    monkeypatch.setattr(Engine, "_ambiguous_cite", spy)
    parallel = engine.bibliography(items)
    assert set(again) <= {items[3]["id"]}
    engine.parallel = False
    try:
        assert parallel == engine.bibliography(items)
    finally:
        engine.parallel = True
    assert any("2001\u20132002" in text or "2001-2002" in text for _, text in parallel)


def _replay_answers(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each replay of a worker's names-registry log answered, in order (True: as in the worker)."""
    from bibkit.exporters.csl.names import NameRegistry

    answers: list[bool] = []
    real = NameRegistry.replay

    def spy(self: NameRegistry, log: list[list[Any]]) -> bool:
        answers.append(real(self, log))
        return answers[-1]

    monkeypatch.setattr(NameRegistry, "replay", spy)
    return answers


@pytest.mark.engine_source
@pytest.mark.parametrize("style", [
    "apa",  # primary-name-with-initials
    "chicago-author-date",  # primary-name
    "harvard-cite-them-right",  # by-cite, the default
    "institut-francais-darcheologie-orientale-en",  # all-names
])
def test_first_citations_rendered_in_workers_are_checked_against_the_names_registered_before_them(
        style: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A forked worker renders its slice's first citations without the family names the slices
    before it registered. Those citations expand no given name (citeproc-js expands none for an
    item it has not registered), so what the registry answered in a worker is what it answers
    in order: every worker's citations replay without a difference. The replay stays the check
    (a citation whose answer differed would be rendered again, in order): the list is the list
    rendered in order, and both ways are taken here."""
    from bibkit import fanout
    from bibkit.exporters.citeproc import engine_for, resolve

    families = ["Smith", "Lee", "García", "van der Berg", "Nakamura", "O'Neil"]
    givens = ["Anna", "Bob", "Anna Maria", "Chen", "B. J.", "Ørjan", "Ana"]
    items = []
    for n in range(360):  # two slices of 180: the second meets families the first registered
        authors = [{"family": families[(n * 5 + k) % len(families)], "given": givens[(n + 3 * k) % len(givens)]}
                   for k in range(1 + n % 4)]
        items.append({"id": f"i{n}", "type": "article-journal", "author": authors, "title": f"Paper {n % 40}",
                      "container-title": "Journal", "issued": {"date-parts": [[2000 + n % 3]]}})
    engine = engine_for(resolve(style), "en-US")
    monkeypatch.setattr(fanout, "workers", lambda: 2)
    answers = _replay_answers(monkeypatch)
    parallel, in_order = _both_ways(engine, items)
    # (one replay a first citation, then one an entry where the entries split: 360 each)
    assert len(answers) in (len(items), 2 * len(items))
    assert answers[:len(items)].count(False) == 0  # the second slice met names it had not registered, unread
    assert parallel == in_order


@pytest.mark.engine_source
def test_citations_like_no_other_rendered_again_in_workers_leave_what_they_leave_in_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Disambiguation renders again the citation of each item that is like no other's once the
    names registered since its first citation may expand its given names otherwise. Those run
    in forked workers, replayed in order: the list and every entry's expansion are what
    rendering in order leaves."""
    from bibkit import fanout
    from bibkit.exporters.csl import make_engine
    from bibkit.exporters.csl.engine import Engine

    style = ('<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0"><info><id/><title/>'
             '<updated>2024-01-01T00:00:00+00:00</updated></info><citation disambiguate-add-givenname="true" '
             'disambiguate-add-year-suffix="true" givenname-disambiguation-rule="all-names"><layout>'
             '<group delimiter=" "><names variable="author"><name form="short" initialize-with=". "/></names>'
             '<date variable="issued"><date-part name="year"/></date></group></layout></citation><bibliography>'
             '<layout><group delimiter=". "><names variable="author"><name initialize-with=". "/></names>'
             '<date variable="issued"><date-part name="year"/></date></group></layout></bibliography></style>')
    families = ["Smith", "Lee", "García", "Nakamura"]
    items = []
    for n in range(400):  # each cited like no other (a year of its own); initials shared four items on
        given = f"{chr(65 + n // 8 % 26)}{'xy'[n % 8 // 4]}a {chr(65 + n // 208)}ob"
        items.append({"id": f"i{n}", "type": "book", "issued": {"date-parts": [[1500 + n]]},
                      "author": [{"family": families[n % 4], "given": given}]})
    engine = make_engine(style.encode())
    monkeypatch.setattr(fanout, "workers", lambda: 2)
    split: list[int] = []
    real = Engine._group_runs

    def spy(self: Engine, *args: Any) -> Any:
        found = real(self, *args)
        split.append(len(found or ()))
        return found

    monkeypatch.setattr(Engine, "_group_runs", spy)
    parallel, in_order = _both_ways(engine, items)
    assert split[0] > 300 and split[1:] == [0]  # rendered in workers, then in order
    assert parallel == in_order
    assert any(config.givens != [[1]] for config, _ in in_order[1].values())  # some expanded further


@pytest.mark.engine_source
def test_groups_of_alike_citations_disambiguated_in_workers_leave_what_they_leave_in_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups of alike citations are disambiguated in forked workers, and replayed in order. A
    group told apart by what the style prints only to disambiguate (here the editors) registers
    those names, and a later group whose author shares an editor's family name then expands
    its given name: a worker that ran the later group without the earlier one answered
    otherwise, and that group runs again in order. The list and every entry's expansion are
    what disambiguating in order leaves."""
    from bibkit import fanout
    from bibkit.exporters.csl import make_engine

    style = ('<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0"><info><id/><title/>'
             '<updated>2024-01-01T00:00:00+00:00</updated></info><citation disambiguate-add-givenname="true" '
             'givenname-disambiguation-rule="all-names"><layout><group delimiter=" "><names variable="author">'
             '<name form="short" initialize-with=". "/></names><date variable="issued"><date-part name="year"/></date>'
             '<choose><if disambiguate="true"><names variable="editor" prefix="ed. "><name form="short"/></names></if>'
             '</choose></group></layout></citation><bibliography><layout><group delimiter=". ">'
             '<names variable="author"><name initialize-with=". "/></names><date variable="issued">'
             '<date-part name="year"/></date></group></layout></bibliography></style>')
    pairs = 320
    items = []
    for k in range(pairs):  # two alike citations a pair ("Fam7 1507"), told apart by their editors
        for n, editor in enumerate(["Bob", "Carl"]):
            items.append({"id": f"p{k}-{n}", "type": "book", "issued": {"date-parts": [[1500 + k]]},
                          "author": [{"family": f"Fam{k}", "given": "Anna"}],
                          "editor": [{"family": f"Fam{(k + pairs // 2 + n) % pairs}", "given": editor}]})
    engine = make_engine(style.encode())
    monkeypatch.setattr(fanout, "workers", lambda: 2)
    answers = _replay_answers(monkeypatch)
    parallel, in_order = _both_ways(engine, items)
    assert len(answers) >= pairs and answers.count(False) > 0 and answers.count(True) > 0
    assert parallel == in_order
    assert in_order[1]["p7-0"] != in_order[1]["p167-0"]  # the later group expanded its author's given name


def test_a_list_whose_citations_print_a_date_range_registers_them_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first date range an engine prints takes a wrapper the later ones do not; where the
    citations print dates, the first one registered takes it (test_engine.py has the rule).
    A worker rendering a later slice's citations cannot pass that on, so such a list registers
    its citations in order: the bibliography's range then prints without the wrapper."""
    from bibkit import fanout
    from bibkit.exporters.csl import make_engine

    style = ('<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0"><info><id/><title/>'
             '<updated>2024-01-01T00:00:00+00:00</updated></info><citation disambiguate-add-year-suffix="true">'
             '<layout><text variable="title"/><date variable="issued" prefix="{" suffix="}"><date-part name="year"/>'
             '</date></layout></citation><bibliography><layout><text variable="title" suffix=" "/>'
             '<date variable="issued" prefix="(" suffix=")"><date-part name="year"/></date></layout></bibliography>'
             '</style>')
    items = [{"id": f"i{n}", "type": "book", "title": f"T{n}",
              "issued": {"date-parts": [[1500 + n], [1501 + n]] if n == 300 else [[1500 + n]]}} for n in range(400)]
    monkeypatch.setattr(fanout, "workers", lambda: 2)
    parallel, in_order = _both_ways(make_engine(style.encode()), items)
    assert ("i300", "T300 (1800–1801)") in parallel[0]
    assert parallel == in_order


@pytest.mark.engine_source
@pytest.mark.parametrize("collecting", [True, False])
def test_a_list_leaves_the_garbage_collector_as_it_found_it(collecting: bool) -> None:
    """The collector is paused while a list renders (its nodes make almost no cycles) and given
    back as the caller had it, also to a caller of the Python API that had paused it."""
    import gc

    from bibkit.exporters.citeproc import engine_for, resolve

    engine = engine_for(resolve("apa"), "en-US")
    seen: list[bool] = []
    real = engine._bibliography

    def spy(*args: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args)

    engine._bibliography = spy  # type: ignore[method-assign]
    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        engine.bibliography([{"id": "a", "type": "book", "title": "A"}])
        assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()
        del engine._bibliography
    assert seen == [False]


def test_a_saved_names_registry_restores_what_was_added_since() -> None:
    """The registry is saved before work that may be thrown away (forked stages); restoring
    takes back every name added since, at every level (family, initials, given names, items),
    and what the registry answers is again what it answered."""
    import copy

    from bibkit.exporters.citeproc import engine_for, resolve
    from bibkit.exporters.csl.engine import RegistryEntry
    from bibkit.exporters.csl.items import Item
    from bibkit.exporters.csl.names import read_name

    engine = engine_for(resolve("chicago-author-date"), "en-US")
    registry = engine.names_registry
    smith_a, smith_b, smith_a2 = (read_name({"family": "Smith", "given": g}) for g in ("Anna", "Bob", "Alice"))
    for item_id in ("i1", "i2", "i3"):
        engine.registry[item_id] = RegistryEntry(item_id, 1, Item({"id": item_id}))
    registry.add("i1", smith_a, 0)
    registry.mark("i1")

    def state() -> tuple[Any, list[int]]:
        answers = [registry.evaluate(i, n, 0, 0, "long", ". ") for i, n in (("i1", smith_a), ("i3", smith_a2))]
        return copy.deepcopy((registry.reg, registry._added)), answers + [registry.unchanged("i1")]

    before = state()
    saved = registry.save()
    registry.add("i2", smith_b, 0)  # a family name's second initials: the first Smith expands
    registry.add("i3", smith_a2, 0)  # the same initials, another given name
    registry.add("i2", smith_a, 0)  # the same given name, another item
    registry.add("i1", read_name({"family": "Jones", "given": "Carl"}), 0)  # another name of the first item
    registry.mark("i2")
    assert state() != before
    registry.restore(saved)
    assert state() == before


def _alike_items(n: int) -> list[dict[str, Any]]:
    """Items whose citations read alike in groups (shared family names, initials and years):
    disambiguation adds names, given names and year suffixes, step by step."""
    families = ["Smith", "Lee", "García", "Nakamura"]
    givens = ["Anna", "Bob", "Ann", "Chen", "B. J."]
    return [{"id": f"i{k}", "type": "article-journal", "title": f"Paper {k}", "container-title": "Journal",
             "issued": {"date-parts": [[2000 + k % 3]]},
             "author": [{"family": families[(k + j) % 4], "given": givens[(k * 3 + j) % 5]} for j in range(1 + k % 5)]}
            for k in range(n)]


@pytest.mark.engine_source
@pytest.mark.parametrize("style", ["apa", "chicago-author-date", "harvard-cite-them-right"])
def test_a_disambiguation_run_renders_a_citation_once_for_each_expansion(
        style: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run's steps render a group's citations again with expansions they were rendered with
    before (citeproc-js's order of steps); each is rendered once for an expansion and a state of
    the names registry and year suffix, and taken again from the run's memo with what rendering
    it leaves. The list and every entry's expansion are what rendering each step leaves, in
    order and in forked workers."""
    from bibkit import fanout
    from bibkit.exporters.citeproc import engine_for, resolve
    from bibkit.exporters.csl.engine import Disambiguator, Engine

    items = _alike_items(360)
    engine = engine_for(resolve(style), "en-US")
    monkeypatch.setattr(fanout, "workers", lambda: 2)
    rendered: list[tuple[Any, ...]] = []
    real = Engine._ambiguous_cite

    def spy(self: Engine, st: Any, item: Any, request: Any) -> str:
        if request is not None:
            rendered.append((item.id, repr(request), self.names_registry.version,
                             self.registry[item.id].disambig, len(runs)))
        return real(self, st, item, request)

    runs: list[str] = []
    real_run = Disambiguator.run

    def counted(self: Disambiguator, akey: str) -> None:
        runs.append(akey)
        real_run(self, akey)

    monkeypatch.setattr(Engine, "_ambiguous_cite", spy)
    monkeypatch.setattr(Disambiguator, "run", counted)
    remembered = _both_ways(engine, items)
    assert len(set(map(repr, rendered))) == len(rendered)  # nothing rendered twice in one run
    with_memo = len(rendered)

    monkeypatch.setattr(Disambiguator, "_cite",  # every step renders
                        lambda self, item, base: Engine._ambiguous_cite(self.engine, self.st, item, base))
    rendered.clear()
    assert _both_ways(engine, items) == remembered
    assert remembered[0] == remembered[1]
    assert len(rendered) > with_memo  # the memo was used



@pytest.mark.engine_source
@pytest.mark.parametrize("direction", ["ascending", "descending"])
def test_first_sort_keys_all_different_sort_the_list_alone(direction: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the workers rendered every entry's first sort key and no two collate alike, the
    keys order the list without a comparison of entries; the list is the one the comparisons
    give (in order, where the keys are rendered as the sort asks for them)."""
    from bibkit import fanout
    from bibkit.exporters.csl import make_engine
    from bibkit.exporters.csl.engine import Engine

    style = ('<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0"><info><id/><title/>'
             '<updated>2024-01-01T00:00:00+00:00</updated></info><citation><layout><text variable="title"/>'
             f'</layout></citation><bibliography><sort><key variable="title" sort="{direction}"/>'
             '<key variable="issued"/></sort><layout><text variable="title"/></layout></bibliography></style>')
    words = ["Émile", "emu", "Zebra", "[Bracket]", "apple", "Ökonomie", "10 things", "9 things", "über", "Ålesund"]
    items = [{"id": f"i{n}", "type": "book", "title": f"{words[n % 10]} {n:04d}", "issued": {"date-parts": [[2000]]}}
             for n in range(400)]
    engine = make_engine(style.encode())
    monkeypatch.setattr(fanout, "workers", lambda: 2)
    compared: list[int] = []
    real = Engine._compare

    def spy(self: Engine, a: Any, b: Any) -> int:
        compared.append(1)
        return real(self, a, b)

    monkeypatch.setattr(Engine, "_compare", spy)
    parallel = engine.bibliography(items)
    assert compared == []  # sorted by the keys alone
    engine.parallel = False
    try:
        assert parallel == engine.bibliography(items) and compared  # the comparisons give the same list
    finally:
        engine.parallel = True
    titles = [text for _, text in parallel]
    assert titles[0].startswith("9 things" if direction == "ascending" else "Zebra")  # (numbers by value)


@pytest.mark.parametrize(("family", "given", "expected"), [
    ("d'Alembert", "Jean", ("d'", "Alembert", "", "Jean", "")),
    ("al-Farabi", "Abu Nasr", ("al-", "Farabi", "", "Abu Nasr", "")),
    ("d\u2019Ors", "Eugeni", ("d\u2019", "Ors", "", "Eugeni", "")),
    ("\u02bbAkaka", "Daniel", ("", "\u02bbAkaka", "", "Daniel", "")),
    ("van Gogh", "Vincent", ("van", "Gogh", "", "Vincent", "")),
    ("Beethoven", "Ludwig van", ("", "Beethoven", "van", "Ludwig", "")),
    ("Doe", "John, Jr.", ("", "Doe", "", "John", "Jr.")),
    ("Smith-Jones", "Ann", ("", "Smith-Jones", "", "Ann", "")),
    ("Curie", "Marie", ("", "Curie", "", "Marie", "")),
])
def test_particles_and_suffixes_are_read_from_the_names_parts(family: str, given: str,
                                                              expected: tuple[str, ...]) -> None:
    """citeproc-js's reading of particles ending in a space, hyphen or apostrophe (most names
    hold none, and are left as they are) and of a suffix after a comma in the given name."""
    from bibkit.exporters.csl.names import read_name

    name = read_name({"family": family, "given": given})
    assert (name.non_dropping_particle, name.family, name.dropping_particle, name.given, name.suffix) == expected
