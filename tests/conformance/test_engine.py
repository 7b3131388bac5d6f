"""bibkit's CSL engine, one behaviour at a time, on minimal styles.

Every expected string here is what citeproc-js 2.4 (the processor Zotero uses) prints for the
same style and items; the sweep (sweep.py, test_sweep.py) checks the same on real styles.
"""

from __future__ import annotations

from typing import Any

import pytest

from bibkit.exporters.csl import make_engine

HEAD = ('<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0" {attrs}>'
        '<info><id/><title/><updated>2024-01-01T00:00:00+00:00</updated></info>{macros}{citation}'
        '<bibliography {battrs}>{sort}<layout>{layout}</layout></bibliography></style>')
PLAIN_CITATION = '<citation><layout><text variable="title"/></layout></citation>'
DISAMBIGUATING = ('<citation disambiguate-add-year-suffix="true" disambiguate-add-names="true" '
                  'disambiguate-add-givenname="true" et-al-min="2" et-al-use-first="1"><layout>'
                  '<group delimiter=" "><names variable="author"><name form="short" initialize-with=". "/></names>'
                  '<date variable="issued"><date-part name="year"/></date></group></layout></citation>')


def render(layout: str, items: list[dict[str, Any]], fmt: str = "text", attrs: str = "", battrs: str = "",
           sort: str = "", macros: str = "", citation: str = PLAIN_CITATION) -> list[str]:
    xml = HEAD.format(attrs=attrs, macros=macros, citation=citation, battrs=battrs, sort=sort, layout=layout)
    return [text for _, text in make_engine(xml.encode()).bibliography(items, fmt)]


def item(**fields: Any) -> dict[str, Any]:
    return {"id": fields.pop("id", "a"), "type": fields.pop("type", "article-journal"), **fields}


def person(family: str, given: str) -> dict[str, str]:
    return {"family": family, "given": given}


def year(n: int) -> dict[str, Any]:
    return {"date-parts": [[n]]}


# -- text ---------------------------------------------------------------------------------------


def test_apostrophes_become_typographic() -> None:
    layout = ('<group delimiter=" "><names variable="author"/><text variable="title"/>'
              '<text variable="URL"/></group>')
    items = [item(author=[person("O'Brien", "Kyle")], title="CLIP's NIPS'11", URL="https://x.org/it's")]
    assert render(layout, items) == ["Kyle O’Brien CLIP’s NIPS’11 https://x.org/it’s"]


def test_quotes_in_a_title_nest_inside_the_styles_quotes() -> None:
    items = [item(title="'Women could be as good as guys': Reproducing \"action\" sports")]
    assert render('<text variable="title" quotes="true"/>', items) == [
        "“‘Women could be as good as guys’: Reproducing ‘action’ sports”"]


def test_capitalize_first_leaves_a_word_with_capitals_alone() -> None:
    assert render('<text variable="number" text-case="capitalize-first"/>', [item(number="arXiv:2302.12433")]) == [
        "arXiv:2302.12433"]


def test_title_case_only_for_english_items() -> None:
    items = [item(id="a", title="the art of war: on a theory of games"),
             item(id="b", title="über die theorie der spiele", language="de")]
    assert render('<text variable="title" text-case="title"/>', items) == [
        "The Art of War: On a Theory of Games", "über die theorie der spiele"]


def test_turkish_upper_case_keeps_the_dot_on_i() -> None:
    assert render('<text variable="title" text-case="uppercase"/>', [item(title="istanbul ve izmir")],
                  attrs='default-locale="tr-TR"') == ["İSTANBUL VE İZMİR"]


def test_entities_left_in_a_style_are_decoded_as_citeproc_js_does() -> None:
    # "&amp;#160;" in the file is "&#160;" once read; citeproc-js reads it a second time.
    assert render('<group delimiter="&amp;#160;: "><text variable="title"/><text variable="volume"/></group>',
                  [item(title="T", volume="3")]) == ["T\u00a0: 3"]


# -- rich text in values ------------------------------------------------------------------------


def test_nocase_is_protected_from_text_case() -> None:
    assert render('<text variable="title" text-case="uppercase"/>',
                  [item(title='Learning <span class="nocase">iPhone</span> apps')]) == ["LEARNING iPhone APPS"]
    assert render('<text variable="title" text-case="sentence"/>',
                  [item(title='Learning With <span class="nocase">BERT</span> And Friends')]) == [
        "Learning with BERT and friends"]


def test_markup_is_formatting_in_html_and_markdown_and_dropped_in_text() -> None:
    items = [item(title="On <i>E. coli</i> <b>x</b><sup>2</sup> & <script>")]
    assert render('<text variable="title"/>', items, "html") == [
        "On <i>E. coli</i> <b>x</b><sup>2</sup> &#38; &#60;script&#62;"]
    assert render('<text variable="title"/>', items, "markdown") == [r"On *E. coli* **x**<sup>2</sup> & \<script\>"]
    assert render('<text variable="title"/>', items) == ["On E. coli x2 & <script>"]


def test_markup_in_a_styles_ordinal_term_is_formatting_too() -> None:
    # The term as styles write it (college-montmorency): escaped twice, read as markup.
    terms = ('<locale><terms><term name="ordinal">&amp;lt;sup&amp;gt;e&amp;lt;/sup&amp;gt;</term>'
             '<term name="edition">édition</term></terms></locale>')
    layout = ('<group delimiter=" "><text variable="title"/>'
              '<number variable="edition" form="ordinal"/><text term="edition"/></group>')
    items = [item(id="b", title="B", edition="3"), item(id="a", title="A", edition="12")]
    sort = '<sort><key variable="edition"/></sort>'
    assert render(layout, items, macros=terms, sort=sort) == ["B 3e édition", "A 12e édition"]
    assert render(layout, items, "html", macros=terms) == ["B 3<sup>e</sup> édition", "A 12<sup>e</sup> édition"]


# -- punctuation and layout ---------------------------------------------------------------------


def test_punctuation_goes_inside_quotes_where_the_locale_says_so() -> None:
    layout = '<group delimiter=", "><text variable="title" quotes="true"/><text variable="container-title"/></group>'
    items = [item(title="A title", **{"container-title": "J"})]
    assert render(layout, items) == ["“A title,” J"]
    assert render(layout, items, attrs='default-locale="en-GB"') == ["‘A title’, J"]


def test_second_field_align_sets_the_number_apart() -> None:
    layout = '<text variable="citation-number" prefix="[" suffix="]"/><text variable="title"/>'
    assert render(layout, [item(id="a", title="One")], "html", battrs='second-field-align="flush"') == [
        '\n    <div class="csl-left-margin">[1]</div><div class="csl-right-inline">One</div>\n  ']


def test_a_group_whose_variables_are_all_missing_is_suppressed() -> None:
    layout = ('<group delimiter=" "><text value="vol."/><text variable="volume"/></group>'
              '<group delimiter=" "><text value="no."/><text variable="issue"/></group>')
    assert render(layout, [item(issue="3")]) == ["no. 3"]


@pytest.mark.parametrize(("fmt", "pages", "expected"), [
    ("chicago", ["321-28", "1496-1504", "42-45"], ["321–28", "1496–1504", "42–45"]),
    ("expanded", ["321-28", "1496-504"], ["321–328", "1496–1504"]),
    ("minimal-two", ["321-328", "1496-1504"], ["321–28", "1496–504"]),
])
def test_page_range_formats(fmt: str, pages: list[str], expected: list[str]) -> None:
    items = [item(id=str(i), page=p) for i, p in enumerate(pages)]
    assert render('<text variable="page"/>', items, attrs=f'page-range-format="{fmt}"') == expected


# -- variables, terms and locales ---------------------------------------------------------------


def test_event_title_is_a_variable_of_its_own() -> None:
    layout = ('<group delimiter=", "><text variable="title"/><text variable="event-title"/>'
              '<text variable="event"/></group>')
    assert render(layout, [item(type="paper-conference", title="T", **{"event-title": "NeurIPS 2023"})]) == [
        "T, NeurIPS 2023"]


def test_term_forms() -> None:
    layout = ('<group delimiter="|"><text term="editor" form="short"/><text term="editor" form="verb"/>'
              '<text term="editor" form="verb-short"/><text term="page" form="short" plural="true"/>'
              '<text term="page" form="symbol"/></group>')
    assert render(layout, [item(title="x")]) == ["Ed.|edited by|ed. by|pp.|p."]


def test_the_styles_own_terms_and_default_locale() -> None:
    assert render('<text term="et-al"/>', [item(title="x")],
                  macros='<locale><terms><term name="et-al">u. a.</term></terms></locale>') == ["U. a."]
    layout = '<group delimiter=" "><text term="editor" form="short"/><date variable="issued" form="text"/></group>'
    assert render(layout, [item(issued={"date-parts": [[2020, 3, 1]]})], attrs='default-locale="de-DE"') == [
        "Hrsg. 1. März 2020"]


# -- names, disambiguation, sorting -------------------------------------------------------------


def test_year_suffixes_for_entries_that_cite_alike() -> None:
    layout = ('<group delimiter=" "><names variable="author"><name initialize-with=". "/></names>'
              '<group><date variable="issued"><date-part name="year"/></date><text variable="year-suffix"/></group>'
              '<text variable="title"/></group>')
    items = [item(id="a", author=[person("Doe", "John")], issued=year(2020), title="B"),
             item(id="b", author=[person("Doe", "John")], issued=year(2020), title="A")]
    assert render(layout, items, citation=DISAMBIGUATING, sort='<sort><key variable="title"/></sort>') == [
        "J. Doe 2020a A", "J. Doe 2020b B"]


def test_names_added_and_given_names_expanded_to_tell_cites_apart() -> None:
    items = [item(id="a", author=[person("Doe", "John"), person("Roe", "Ann")], issued=year(2020)),
             item(id="b", author=[person("Doe", "John"), person("Poe", "Ed")], issued=year(2020))]
    assert render('<names variable="author"><name/></names>', items, citation=DISAMBIGUATING,
                  battrs='et-al-min="2" et-al-use-first="1"') == ["John Doe, Ann Roe", "John Doe, Ed Poe"]
    items = [item(id="a", author=[person("Doe", "John")], issued=year(2020)),
             item(id="b", author=[person("Doe", "Jane")], issued=year(2020))]
    assert render('<names variable="author"><name form="short"/></names>', items, citation=DISAMBIGUATING) == [
        "John Doe", "Jane Doe"]


def test_subsequent_author_substitute() -> None:
    items = [item(id="a", author=[person("Doe", "John")], title="One"),
             item(id="b", author=[person("Doe", "John")], title="Two")]
    assert render('<group delimiter=". "><names variable="author"/><text variable="title"/></group>', items,
                  battrs='subsequent-author-substitute="———"', sort='<sort><key variable="title"/></sort>') == [
        "John Doe. One", "———. Two"]


def test_sorting_ignores_case_accents_and_punctuation_and_reads_numbers() -> None:
    titles = ["Zebra", "élan", "[Bracket] z", "apple", "Item 10", "Item 9"]
    items = [item(id=str(i), title=t) for i, t in enumerate(titles)]
    assert render('<text variable="title"/>', items, sort='<sort><key variable="title"/></sort>') == [
        "apple", "[Bracket] z", "élan", "Item 9", "Item 10", "Zebra"]


@pytest.mark.parametrize(("locale", "expected"), [
    # Danish and Norwegian: "aa" is å, after z; ü is a y. Swedish: ü is a y, "aa" is two a's.
    ("da-DK", "Abadi Hutter Hübler Hyde Ünderwood Yvonne Zebra Åberg Aamport"),
    ("nb-NO", "Abadi Hutter Hübler Hyde Ünderwood Yvonne Zebra Åberg Aamport"),
    ("sv-SE", "Aamport Abadi Hutter Hübler Hyde Ünderwood Yvonne Zebra Åberg"),
])
def test_sorting_follows_nordic_alphabets(locale: str, expected: str) -> None:
    titles = ["Aamport", "Zebra", "Åberg", "Abadi", "Hübler", "Hutter", "Hyde", "Ünderwood", "Yvonne"]
    items = [item(id=str(i), title=t) for i, t in enumerate(titles)]
    assert render('<text variable="title"/>', items, attrs=f'default-locale="{locale}"',
                  sort='<sort><key variable="title"/></sort>') == expected.split()


def test_sorting_follows_the_languages_alphabet() -> None:
    items = [item(id=str(i), title=t) for i, t in enumerate(["Zebra", "Ärlig", "Apa"])]
    assert render('<text variable="title"/>', items, attrs='default-locale="sv-SE"',
                  sort='<sort><key variable="title"/></sort>') == ["Apa", "Zebra", "Ärlig"]


RANGES = [item(id="a", title="Alpha", issued={"date-parts": [[1885], [1888]]}),
          item(id="b", title="Beta", issued={"date-parts": [[1901], [1905]]}),
          item(id="c", title="Gamma", issued={"date-parts": [[1990, 3], [1991, 4]]})]
ISSUED = '<date variable="issued" prefix="(" suffix=")"><date-part name="year"/></date>'


@pytest.mark.parametrize(("layout", "items", "citation", "expected"), [
    # The first range's end inside the affixes of the date element built last; later ones plain.
    (f'<text variable="title" suffix=" "/>{ISSUED}', RANGES, PLAIN_CITATION,
     ["Alpha (1885–(1888))", "Beta (1901–1905)", "Gamma (1990–1991)"]),
    # ... the last date built, not the one printing (here one the items leave empty).
    (f'<text variable="title" suffix=" "/>{ISSUED}<date variable="accessed" prefix="[" suffix="]">'
     '<date-part name="year"/></date>', RANGES, PLAIN_CITATION,
     ["Alpha (1885–[1888])", "Beta (1901–1905)", "Gamma (1990–1991)"]),
    # ... whatever parts the range has, in the order the items are registered.
    ('<text variable="title" suffix=" "/><date variable="issued" prefix="(" suffix=")">'
     '<date-part name="month" suffix=" "/><date-part name="year"/></date>', [RANGES[2], RANGES[0]], PLAIN_CITATION,
     ["Gamma (March 1990–(April 1991))", "Alpha (1885–1888)"]),
    # A citation that prints the date renders the first range while the items are registered.
    (f'<text variable="title" suffix=" "/>{ISSUED}', RANGES,
     '<citation><layout><text variable="title"/><date variable="issued" prefix="{" suffix="}">'
     '<date-part name="year"/></date></layout></citation>',
     ["Alpha (1885–1888)", "Beta (1901–1905)", "Gamma (1990–1991)"]),
])
def test_the_first_date_range_of_a_list_as_citeproc_js_prints_it(
        layout: str, items: list[dict[str, Any]], citation: str, expected: list[str]) -> None:
    xml = HEAD.format(attrs="", macros="", citation=citation, battrs="", sort="", layout=layout)
    engine = make_engine(xml.encode())
    for _ in range(2):  # each list as from a fresh citeproc-js engine
        assert [text for _, text in engine.bibliography(items, "text")] == expected


NOTMAD = [person("Lengerich", "Ben"), person("Ellington", "Caleb"), person("Kellis", "Manolis")]
TWINS = [item(id="a1", type="article-journal", title="NOTMAD", author=NOTMAD, issued={"date-parts": [[2021]]}),
         item(id="c", type="article-journal", title="Other", author=[
             person("Lengerich", "Benjamin J."), person("Caruana", "Rich"), person("Nunnally", "Mark")],
             issued={"date-parts": [[2022]]}),
         item(id="a2", type="report", title="NOTMAD", author=NOTMAD, issued={"date-parts": [[2021]]})]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (0, 2, 1), (1, 0, 2)])
def test_twins_get_year_suffixes_whoever_registers_between_them(order: tuple[int, int, int]) -> None:
    """Two items cited alike (Lengerich et al., 2021) and a third whose first author has the
    same family name and other initials (B. J.). The citation that registers an item expands no
    given name (citeproc-js), so the twins share their ambiguity key in any order and get year
    suffixes; bibkit's keys had the initials for a twin registered after the third. citeproc-js
    prints this list in every order."""
    from bibkit.exporters.citeproc import engine_for, resolve

    engine = engine_for(resolve("apa"), "en-US")
    out = [text for _, text in engine.bibliography([TWINS[i] for i in order], "text")]
    assert out == ["Lengerich, B., Ellington, C., & Kellis, M. (2021a). NOTMAD.",
                   "Lengerich, B., Ellington, C., & Kellis, M. (2021b). NOTMAD.",
                   "Lengerich, B. J., Caruana, R., & Nunnally, M. (2022). Other."]


@pytest.mark.parametrize("empty", [{}, {"family": "", "given": ""}, {"name": "Microsoft"}])
def test_a_name_with_nothing_to_print_is_left_out_of_the_join(empty: dict[str, str]) -> None:
    """Hand-written CSL-JSON has names without family, given or literal (an affiliation as
    {"name": ...}). citeproc-js joins the names without them; bibkit gave the one before the
    last its delimiter as well (``Leach, P., , & Berners-Lee``). Expected: citeproc-js's."""
    from bibkit.exporters.citeproc import engine_for, resolve

    names = [person("Aa", "B"), person("Leach", "P"), empty, person("Berners-Lee", "T"), empty]
    out = engine_for(resolve("apa"), "en-US").bibliography(
        [item(id="a", type="book", title="T", author=names, issued={"date-parts": [[1999]]})], "text")
    assert [text for _, text in out] == ["Aa, B., Leach, P., & Berners-Lee, T. (1999). T."]


_MMS = [person(family, "A.") for family in ("Chasapis", "Gary", "Bandyopadhyay", "Chhiber", "Parashar", "Matthaeus",
                                             "Shay", "Burch", "Moore", "Pollock", "Giles")]
MARUCA = [
    item(id="m2011", type="article-journal", title="Heating", issued={"date-parts": [[2011]]},
         author=[person("Maruca", "B.A."), person("Kasper", "J.C."), person("Bale", "S.D.")]),
    item(id="m2012", type="article-journal", title="Helium", issued={"date-parts": [[2012]]},
         author=[person("Maruca", "Bennett A."), person("Kasper", "Justin C."), person("Gary", "S. Peter")]),
    item(id="m2013", type="article-journal", title="Collisional", issued={"date-parts": [[2013]]},
         author=[person("Maruca", "B. A."), person("Bale", "S. D."), person("Sorriso-Valvo", "L."),
                 person("Kasper", "J. C."), person("Stevens", "M. L.")]),
    item(id="m2018", type="article-journal", title="MMS", issued={"date-parts": [[2018]]},
         author=[person("Maruca", "B. A."), *_MMS])]


def test_disambiguation_takes_a_groups_items_in_citeproc_js_order() -> None:
    """Four items cited alike (Maruca et al.) in MLA, which adds names and then given names.
    citeproc-js takes the group's items ordered by their names' counts compared as text (12
    names before 3), and compares the first with the others; bibkit ordered them as numbers,
    and the 2011 and 2012 items were told apart by a given name (B.A. against Bennett A.) where
    citeproc-js adds names. Expected: citeproc-js's list."""
    from bibkit.exporters.citeproc import engine_for, resolve

    out = [text for _, text in engine_for(resolve("modern-language-association"), "en-US").bibliography(MARUCA)]
    assert out == ["Maruca, B. A., S. D. Bale, et al. Collisional. 2013.",
                   "Maruca, B.A., J. C. Kasper, and S. D. Bale. Heating. 2011.",
                   "Maruca, B. A., A. Chasapis, et al. MMS. 2018.",
                   "Maruca, Bennett A., Justin C. Kasper, and S. Peter Gary. Helium. 2012."]


AZERBAYEV = [item(id="p", type="book", title="ProofNet", author=[
                 person("Azerbayev", "Zhangir"), person("Piotrowski", "Bartosz"), person("Schoelkopf", "Hailey"),
                 person("Ayers", "Edward")]),
             item(id="l", type="book", title="Llemma", author=[
                 person("Azerbayev", "Zhangir"), person("Schoelkopf", "Hailey"), person("Paster", "Keiran"),
                 person("Dos Santos", "Marco")]),
             item(id="t", type="book", title="Alpha", author=[person("Azerbayev", "Zhangir"), person("Zed", "Ann")])]


@pytest.mark.parametrize(("key", "expected"), [
    # The key takes the bibliography's et-al settings over the <name>'s: sorted by the first
    # author alone where four or more, then by title.
    ('<key macro="author"/>', ["Llemma", "ProofNet", "Alpha"]),
    # ... unless it sets its own.
    ('<key macro="author" names-min="19"/>', ["ProofNet", "Llemma", "Alpha"]),
])
def test_a_sort_key_takes_the_areas_et_al_settings(key: str, expected: list[str]) -> None:
    out = render('<group delimiter=". "><text macro="author"/><text variable="title"/></group>', AZERBAYEV,
                 battrs='et-al-min="4" et-al-use-first="1"',
                 macros='<macro name="author"><names variable="author"><name et-al-min="19" initialize-with="." '
                        'name-as-sort-order="all"/></names></macro>',
                 sort=f'<sort>{key}<key variable="title"/></sort>')
    assert [entry.rsplit(". ", 1)[1] for entry in out] == expected
    # The entries print every author, as the <name> says.
    assert out[expected.index("Llemma")] == "Azerbayev, Z., Schoelkopf, H., Paster, K., Dos Santos, M. Llemma"


EDITED = [item(id="a", type="book", title="Automated", editor=[
              person("Hutter", "Frank"), person("Kotthoff", "Lars"), person("Vanschoren", "Joaquin")]),
          item(id="b", type="chapter", title="Chapter", author=[person("Ying", "Zhi")], editor=[
              person("Wallach", "Hanna"), person("Larochelle", "Hugo"), person("Fox", "Emily")])]
EDITOR_MACRO = ('<macro name="editor"><names variable="editor"><name/><label form="short" prefix=" (" suffix=")"/>'
                '</names></macro>')


@pytest.mark.parametrize(("name", "expected"), [
    # The author's <name> sets et-al before the substitution runs: the editors standing in take it.
    ('<name et-al-min="3" et-al-use-first="1"/>', "Frank Hutter et al. (eds.). Automated"),
    # Without a <name> of its own the <names> has none to set: the editors print in full.
    ("", "Frank Hutter, Lars Kotthoff, Joaquin Vanschoren (eds.). Automated"),
])
def test_names_standing_in_take_the_substituted_names_et_al(name: str, expected: str) -> None:
    macros = EDITOR_MACRO + (f'<macro name="author"><names variable="author">{name}<substitute>'
                             '<text macro="editor"/></substitute></names></macro>')
    assert render('<group delimiter=". "><text macro="author"/><text variable="title"/><text macro="editor"/></group>',
                  EDITED, battrs='et-al-min="4" et-al-use-first="1"', macros=macros) == [
        expected, "Zhi Ying. Chapter. Hanna Wallach, Hugo Larochelle, Emily Fox (eds.)"]


def test_a_long_name_list_is_cut_short_only_where_its_area_sets_et_al() -> None:
    """citeproc-js shortens a list of more than 50 names to what its area can print (the most
    et-al-min met while building it); the <style>'s own et-al settings count for the citation,
    not the bibliography, so a bibliography without any prints every name."""
    authors = [person(f"Name{i:02d}", "A") for i in range(60)]
    out = render('<names variable="author"><name initialize-with="."/></names>', [item(author=authors)],
                 attrs='et-al-subsequent-min="3" et-al-subsequent-use-first="1"', battrs='et-al-use-last="true"')
    assert out == [", ".join(f"A. Name{i:02d}" for i in range(60))]


def test_sorting_orders_symbols_as_icu_does() -> None:
    """ICU's "ignore punctuation" ignores spaces and punctuation but no symbol: symbols sort
    before digits and letters, in ICU's order (^ before $, = before |); the sort keys' own
    separator, where a key had a space, is the symbol |."""
    titles = ["BLOOM: Open", "BLOOM+1: Adding", "Alpha|Beta", "Alpha=Beta", "Alpha Beta", "Alphab", "A 10", "A 9",
              "A $5", "A ^x"]
    items = [item(id=str(i), title=t) for i, t in enumerate(titles)]
    assert render('<text variable="title"/>', items, sort='<sort><key variable="title"/></sort>') == [
        "A ^x", "A $5", "A 9", "A 10", "Alpha=Beta", "Alpha|Beta", "Alpha Beta", "Alphab", "BLOOM+1: Adding",
        "BLOOM: Open"]


def test_a_citation_number_in_a_sort_macro_is_padded() -> None:
    """In a macro a style sorts by, citeproc-js writes the registration number padded to 20
    digits: with the year before it, an early year with a two-digit number still sorts first
    (the FAO style's key: author, year, citation-number)."""
    years = {4: 2011, 14: 2004}
    items = [item(id=f"i{n:02d}", title=f"T{n}", issued=year(years.get(n, 2020 + n))) for n in range(1, 15)]
    macros = ('<macro name="who"><text value="Anon"/></macro>'
              '<macro name="when"><date variable="issued" form="text" date-parts="year"/></macro>'
              '<macro name="key"><text macro="who"/><text macro="when"/><text variable="citation-number"/></macro>')
    layout = ('<group delimiter=" "><text variable="title"/>'
              '<date variable="issued"><date-part name="year"/></date></group>')
    assert render(layout, items, sort='<sort><key macro="key"/></sort>', macros=macros) == [
        "T14 2004", "T4 2011", *(f"T{n} {2020 + n}" for n in range(1, 14) if n != 4)]


def test_a_sort_macro_prints_again_after_an_inner_macro_with_a_date() -> None:
    """In a sort key, a macro that holds a date prints its dates alone; citeproc-js keeps that as
    one flag, which the end of an inner macro with a date turns off, so what follows it in the
    outer macro prints (the TU Dresden styles sort undated volumes by their series that way)."""
    macros = ('<macro name="inner"><date variable="issued"><date-part name="year"/></date></macro>'
              '<macro name="outer"><choose><if type="webpage"><date variable="issued" form="text"/></if>'
              '<else><text variable="title"/><text macro="inner"/><text variable="collection-title"/></else>'
              '</choose></macro>')
    items = [item(id="a", title="A", **{"collection-title": "Zeta"}),
             item(id="b", title="B", **{"collection-title": "Alpha"}),
             item(id="c", title="C", **{"collection-title": "Mu"}, issued=year(1990))]
    layout = '<group delimiter=", "><text variable="title"/><text variable="collection-title"/></group>'
    assert render(layout, items, sort='<sort><key macro="outer"/></sort>', macros=macros) == [
        "C, Mu", "B, Alpha", "A, Zeta"]


def test_digits_parted_by_what_sorting_ignores_are_two_numbers() -> None:
    """ICU reads a number from digits that stand together: "13–14" is 13, then 14 (before 35),
    though the dash between them is ignored; a space, which the keys write as the symbol |,
    sorts before any digit."""
    titles = ["35", "13–14", "1314", "9", "13 14 b", "13.14 a", "1 3"]
    items = [item(id=str(i), title=t) for i, t in enumerate(titles)]
    assert render('<text variable="title"/>', items, sort='<sort><key variable="title"/></sort>') == [
        "1 3", "9", "13 14 b", "13–14", "13.14 a", "35", "1314"]


def test_a_lone_label_in_a_macro_called_in_a_substitution_follows_the_names() -> None:
    """A <names> with a label and no <name> prints the name first, then the label; citeproc-js
    builds a macro on its own, so that holds for a macro a <substitute> calls too (the
    universitat-wien style's editors: "Jacques Cohen ed.")."""
    items = [item(id="a", title="T", editor=[person("Cohen", "Jacques")]),
             item(id="b", title="U", editor=[person("Doe", "J"), person("Roe", "K")])]
    macros = ('<macro name="ed"><names variable="editor"><label form="short" prefix=" "/></names></macro>'
              '<macro name="grouped"><group><text macro="ed"/></group></macro>')
    for called in ('<text macro="ed"/>', '<text macro="grouped"/>'):
        layout = f'<names variable="author"><name/><substitute>{called}</substitute></names>'
        assert render(layout, items, macros=macros) == ["Jacques Cohen ed.", "J Doe, K Roe eds."]
