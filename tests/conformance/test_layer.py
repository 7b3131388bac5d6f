"""Each fix of bibkit's citeproc-py layer (bibkit.exporters.csl), on a minimal style.

Every test renders the same style and items with plain citeproc-py too, and shows that the fix
is what makes the difference (docs/citeproc.md lists the fixes).
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import pytest
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc.formatter import html, plain
from citeproc.source.json import CiteProcJSON

from bibkit.exporters import csl

HEAD = '<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0" {attrs}>' \
       '<info><id/><title/><updated>2024-01-01T00:00:00+00:00</updated></info>'


def style(bibliography: str, citation: str = '<citation><layout><text variable="title"/></layout></citation>',
          attrs: str = "", macros: str = "") -> str:
    return HEAD.format(attrs=attrs) + macros + citation + bibliography + "</style>"


def render(xml: str, items: list[dict[str, Any]], layer: bool = True, formatter: Any = plain) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = io.BytesIO(xml.encode())
        if layer:
            csl_style: Any = csl.load_style(data, "en-US")
            source: Any = csl.Source(items, csl.glyphs(csl_style), formatter.preformat, formatter)
        else:
            csl_style = CitationStylesStyle(data, locale="en-US", validate=False)
            source = CiteProcJSON(items)
        bib = CitationStylesBibliography(csl_style, source, formatter)
        for item in items:
            bib.register(Citation([CitationItem(item["id"])]))
        bib.sort()
        return [str(entry) for entry in bib.bibliography()]


def both(xml: str, items: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    return render(xml, items, layer=True), render(xml, items, layer=False)


def bib(layout: str, sort: str = "", attrs: str = "", layout_attrs: str = "") -> str:
    return f"<bibliography {attrs}>{sort}<layout {layout_attrs}>{layout}</layout></bibliography>"


def item(**fields: Any) -> dict[str, Any]:
    return {"id": fields.pop("id", "a"), "type": fields.pop("type", "article-journal"), **fields}


def test_apostrophes_become_typographic_in_text_and_names_but_not_in_urls() -> None:
    xml = style(bib('<group delimiter=" "><names variable="author"/><text variable="title"/>'
                    '<text variable="URL"/></group>'))
    items = [item(author=[{"family": "O'Brien", "given": "Kyle"}], title="CLIP's NIPS'11",
                  URL="https://x.org/it's")]
    fixed, plain_ = both(xml, items)
    assert fixed == ["Kyle O’Brien CLIP’s NIPS’11 https://x.org/it's"]
    assert plain_ == ["Kyle O'Brien CLIP's NIPS'11 https://x.org/it's"]


def test_quotes_in_a_title_pair_up_and_nest_inside_the_styles_quotes() -> None:
    items = [item(title="'Women could be as good as guys': Reproducing \"action\" sports")]
    plain_title = style(bib('<text variable="title"/>'))
    quoted_title = style(bib('<text variable="title" quotes="true"/>'))
    assert render(plain_title, items) == ["“Women could be as good as guys”: Reproducing “action” sports"]
    assert render(quoted_title, items) == ["“‘Women could be as good as guys’: Reproducing ‘action’ sports”"]
    assert render(quoted_title, items, layer=False) == [
        "“'Women could be as good as guys': Reproducing \"action\" sports”"]


def test_capitalize_first_leaves_a_word_with_capitals_alone() -> None:
    xml = style(bib('<text variable="number" text-case="capitalize-first"/>'))
    fixed, plain_ = both(xml, [item(number="arXiv:2302.12433")])
    assert (fixed, plain_) == (["arXiv:2302.12433"], ["ArXiv:2302.12433"])
    assert render(xml, [item(number="preprint 3")]) == ["Preprint 3"]


def test_title_case_as_citeproc_js_applies_it() -> None:
    xml = style(bib('<text variable="title" text-case="title"/>'))
    items = [item(title="proceedings of the twenty-eighth conference: a study of what it is for")]
    fixed, plain_ = both(xml, items)
    assert fixed == ["Proceedings of the Twenty-Eighth Conference: A Study of What It Is For"]
    assert plain_ != fixed


def test_a_label_is_title_cased_in_the_styles_language() -> None:
    xml = style(bib('<names variable="editor"><name/><label form="short" prefix=" (" suffix=")" '
                    'text-case="title"/></names>'), attrs='default-locale="en-US"')
    fixed, plain_ = both(xml, [item(editor=[{"family": "Pole", "given": "C."}])])
    assert (fixed, plain_) == (["C. Pole (Ed.)"], ["C. Pole (ed.)"])


def test_punctuation_moves_inside_closing_quotes_and_merges() -> None:
    xml = style(bib('<group delimiter=", "><text variable="title" quotes="true"/>'
                    '<text variable="container-title"/></group>', layout_attrs='suffix="."'))
    items = [item(id="a", title="Pairs", **{"container-title": "Venue"}),
             item(id="b", title="Is it?", **{"container-title": "Venue"}),
             item(id="c", title="Last")]
    fixed, plain_ = both(xml, items)
    assert fixed == ["“Pairs,” Venue.", "“Is it?,” Venue.", "“Last.”"]
    assert plain_ == ["“Pairs”, Venue.", "“Is it?”, Venue.", "“Last”."]
    question = style(bib('<text variable="title" suffix=". "/><text variable="publisher"/>'))
    assert render(question, [item(title="Why?", publisher="P")]) == ["Why? P"]
    assert render(question, [item(title="Why?", publisher="P")], layer=False) == ["Why?. P"]


def test_punctuation_stays_outside_quotes_where_the_locale_says_so() -> None:
    xml = style(bib('<group delimiter=", "><text variable="title" quotes="true"/><text variable="note"/></group>'))
    xml = xml.replace("</style>", '<locale><style-options punctuation-in-quote="false"/></locale></style>')
    assert render(xml, [item(title="Pairs", note="n")]) == ["“Pairs”, n"]


def test_second_field_align_sets_the_label_apart() -> None:
    xml = style(bib('<text variable="citation-number" prefix="[" suffix="]"/><text variable="title"/>',
                    attrs='second-field-align="flush"'))
    fixed, plain_ = both(xml, [item(title="A")])
    assert (fixed, plain_) == (["[1] A"], ["[1]A"])
    html_out = render(xml, [item(title="A")], formatter=html)
    assert html_out == ["[1] A"]


def test_csl_1_0_2_variables_are_read() -> None:
    xml = style(bib('<group delimiter=". "><text variable="title"/><text variable="event-title"/>'
                    '<names variable="chair"/></group>'))
    items = [item(title="T", **{"event-title": "ICLR 2024"}, chair=[{"family": "Doe", "given": "J."}])]
    assert render(xml, items) == ["T. ICLR 2024. J. Doe"]
    old_style = style(bib('<group delimiter=". "><text variable="title"/><text variable="event"/></group>'))
    assert render(old_style, items) == ["T. ICLR 2024"]


def test_a_substituted_title_is_not_printed_again() -> None:
    xml = style(bib('<group delimiter=". "><names variable="author"><substitute><text macro="title"/>'
                    '</substitute></names><text macro="title"/><text variable="publisher"/></group>'),
                macros='<macro name="title"><text variable="title" font-style="italic"/></macro>')
    fixed, plain_ = both(xml, [item(title="deepchem/deepchem", publisher="GitHub")])
    assert fixed == ["deepchem/deepchem. GitHub"]
    assert plain_ == ["deepchem/deepchem. deepchem/deepchem. GitHub"]


def test_substituted_names_are_not_printed_again() -> None:
    xml = style(bib('<group delimiter=". "><names variable="author"><substitute><names variable="editor"/>'
                    '</substitute></names><text variable="title"/><names variable="editor"/></group>'))
    items = [item(title="T", editor=[{"family": "Roe", "given": "J."}])]
    assert render(xml, items) == ["J. Roe. T"]
    assert render(xml, items, layer=False) == ["J. Roe. T. J. Roe"]


def test_a_group_with_only_a_value_printed_is_suppressed() -> None:
    layout = ('<text variable="title"/><group prefix=" [" suffix="]" delimiter=" "><choose>'
              '<if type="thesis"><text value="publication"/></if><else-if variable="number">'
              '<text variable="genre"/></else-if></choose><text variable="number"/></group>')
    xml = style(bib(layout))
    fixed, plain_ = both(xml, [item(type="thesis", title="T")])
    assert (fixed, plain_) == (["T"], ["T [publication]"])
    assert render(xml, [item(type="thesis", title="T", number="7")]) == ["T [publication 7]"]


def test_a_nested_group_that_printed_keeps_its_parent() -> None:
    layout = ('<group delimiter=". "><group delimiter=": "><text term="accessed"/><date variable="accessed" '
              'form="text"/></group><group prefix="[" suffix="]"><text term="online"/></group></group>')
    assert render(style(bib(layout)), [item(title="T")]) == ["[online]"]


def test_initialize_false_keeps_given_names_whole() -> None:
    xml = style(bib('<names variable="author"><name initialize="false" name-as-sort-order="all"/></names>'),
                attrs='initialize-with=". "')
    items = [item(author=[{"family": "Ahdritz", "given": "Gustaf"}, {"family": "O'Donnell", "given": "Timothy J."}])]
    fixed, plain_ = both(xml, items)
    assert fixed == ["Ahdritz, Gustaf, O’Donnell, Timothy J."]
    assert plain_ == ["Ahdritz, G., O'Donnell, T. J."]


def test_year_suffixes_for_entries_that_cite_alike() -> None:
    citation = ('<citation disambiguate-add-year-suffix="true"><layout><group delimiter=", ">'
                '<names variable="author"><name form="short"/></names><date variable="issued">'
                '<date-part name="year"/></date><text variable="year-suffix"/></group></layout></citation>')
    layout = ('<group delimiter=". "><names variable="author"/><group><date variable="issued">'
              '<date-part name="year"/></date><text variable="year-suffix"/></group><text variable="title"/></group>')
    xml = style(bib(layout, sort='<sort><key variable="title"/></sort>'), citation=citation)
    items = [item(id="b", title="B", author=[{"literal": "TIME USA"}], issued={"date-parts": [[2019]]}),
             item(id="a", title="A", author=[{"literal": "TIME USA"}], issued={"date-parts": [[2019]]}),
             item(id="c", title="C", author=[{"literal": "Other"}], issued={"date-parts": [[2019]]})]
    fixed, plain_ = both(xml, items)
    assert fixed == ["TIME USA. 2019a. A", "TIME USA. 2019b. B", "Other. 2019. C"]
    assert plain_ == ["TIME USA. 2019. A", "TIME USA. 2019. B", "Other. 2019. C"]


def test_sorting_ignores_case_accents_and_punctuation_like_citeproc_js() -> None:
    xml = style(bib('<text variable="title"/>', sort='<sort><key variable="title"/></sort>'))
    items = [item(id=str(i), title=t) for i, t in enumerate(["Émile", "[bracketed] c", "d", "B2", "b10"])]
    fixed, plain_ = both(xml, items)
    assert fixed == ["B2", "b10", "[bracketed] c", "d", "Émile"]
    assert plain_ != fixed


def test_sort_keys_reach_nested_macros() -> None:
    macros = ('<macro name="names"><names variable="author"><name/></names></macro>'
              '<macro name="sort"><text macro="names"/></macro>')
    xml = style(bib('<text variable="title"/>', sort='<sort><key macro="sort"/></sort>'), macros=macros)
    items = [item(id="x", title="Zed first", author=[{"family": "Zed", "given": "Adam"}]),
             item(id="y", title="Abel", author=[{"family": "Abel", "given": "Zoe"}])]
    fixed, plain_ = both(xml, items)
    assert fixed == ["Abel", "Zed first"]  # by family name: name-as-sort-order="all" reached the macro
    assert plain_ == ["Zed first", "Abel"]  # by "Adam Zed" < "Zoe Abel"


@pytest.mark.parametrize(("fmt", "pages", "expected"), [
    ("chicago-16", "1514-1524", "1514–24"), ("chicago-16", "3382-3409", "3382–409"),
    ("chicago-16", "15991-16111", "15991–6111"), ("chicago-16", "406.3-406.3", "406.3–406.3"),
    ("chicago-15", "321-28", "321–28"), ("expanded", "321-28", "321–328"),
])
def test_page_ranges_as_citeproc_js_abbreviates_them(fmt: str, pages: str, expected: str) -> None:
    xml = style(bib('<text variable="page"/>'), attrs=f'page-range-format="{fmt}"')
    assert render(xml, [item(page=pages)]) == [expected]


def test_record_text_is_escaped_for_html_around_the_quotes() -> None:
    """Rich text's markup (<b>, nocase) is markup; any other angle bracket is text."""
    xml = style(bib('<text variable="title" quotes="true"/>'))
    out = render(xml, [item(title="<b>bold</b> 'q' & <script> <span class=\"nocase\">iPhone</span>")],
                 formatter=html)
    assert out == ["“<b>bold</b> ‘q’ &amp; &lt;script&gt; iPhone”"]


def test_citeproc_py_itself_is_left_as_it_was() -> None:
    """The layer works through its own element classes: citeproc-py used directly, after bibkit
    has rendered, still parses to its own classes and prints what it always printed."""
    from citeproc import model

    xml = style(bib('<text variable="title" text-case="capitalize-first"/>'))
    render(xml, [item(title="arXiv")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain_style = CitationStylesStyle(io.BytesIO(xml.encode()), locale="en-US", validate=False)
    text = plain_style.root.bibliography.layout[0]
    assert type(text) is model.Text
    assert render(xml, [item(title="arXiv")], layer=False) == ["ArXiv"]
