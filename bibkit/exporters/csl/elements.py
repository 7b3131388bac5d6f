"""citeproc-py's CSL elements, each corrected where it renders differently from citeproc-js.

citeproc-py builds a style's element tree with an lxml class lookup that maps each CSL element to
a class of ``citeproc.model`` (``text`` -> ``Text``, ...). ``load_style`` parses with its own
lookup, which maps the elements below to these subclasses and every other element to citeproc-py's
class: citeproc-py itself is never modified, and code that uses it directly is unaffected.

Each subclass overrides only the method that is wrong; docs/citeproc.md lists them with the
difference each one closes.
"""

from __future__ import annotations

import os
import string as _string
from collections.abc import Iterable, Sequence
from functools import cmp_to_key
from typing import Any

from citeproc import LANGUAGE_NAMES, LOCALES_PATH, PRIMARY_DIALECTS, model
from citeproc.source import VariableError
from citeproc.string import MixedString, String
from lxml import etree  # type: ignore[import-untyped]

from bibkit.exporters.csl.text import Glyphs, QuoteMark, change_case, concat, nest_quotes, sort_key

CSL_NS = "http://purl.org/net/xbiblio/csl"


# ---------------------------------------------------------------------------------------------
# Shared behaviour


# citeproc-py's elements answer any unknown attribute with a child element lookup (None when
# absent), so the state this module keeps on them is read through __dict__, never getattr().


def _style_root(element: Any) -> Any:
    root = element.get_root()
    return root.style if isinstance(root, model.Locale) else root


def settings(element: Any) -> tuple[Glyphs, bool]:
    """The locale's quotation marks and its punctuation-in-quote option (cached per style)."""
    root = _style_root(element)
    cached = root.__dict__.get("_bibkit_settings")
    if cached is None:
        def term(name: str, default: str) -> str:
            # The term's own text: Term.single would escape it with a formatter not set yet.
            element = root.get_term(name)
            single = None if element is None else element.find(f"{{{CSL_NS}}}single")
            text = element.text if single is None and element is not None else getattr(single, "text", None)
            return text or default

        glyphs = Glyphs(term("open-quote", "“"), term("close-quote", "”"),
                        term("open-inner-quote", "‘"), term("close-inner-quote", "’"))
        piq = str(root.get_locale_option("punctuation-in-quote") or "false").lower() == "true"
        cached = root._bibkit_settings = (glyphs, piq)
    result: tuple[Glyphs, bool] = cached
    return result


def _concat(element: Any, left: Any, right: Any) -> Any:
    glyphs, piq = settings(element)
    return concat(left, right, glyphs, piq)


def _join(element: Any, items: Iterable[Any], delimiter: Any) -> Any:
    out: Any = None
    for item in items:
        if item is None:
            continue
        out = item if out is None else _concat(element, _concat(element, out, delimiter), item)
    return String("") if out is None else out


class Seams:
    """Affixes and delimiters meet the text beside them as citeproc-js lets them: adjacent
    punctuation merges (``?`` + ``.`` -> ``?``) and, where the locale says so, moves inside a
    closing quotation mark (``“Title”`` + ``,`` -> ``“Title,”``). Replaces ``Affixed.wrap``,
    ``Delimited.join`` and ``Parent.render_children``, which concatenate as they are."""

    def wrap(self, string: Any) -> Any:
        if string is None:
            return None
        text = _concat(self, self.get("prefix", ""), string)  # type: ignore[attr-defined]
        return _concat(self, text, self.get("suffix", ""))  # type: ignore[attr-defined]

    def join(self, strings: Iterable[Any], default_delimiter: str = "") -> Any:
        return _join(self, strings, self.get("delimiter", default_delimiter))  # type: ignore[attr-defined]

    def render_children(self, item: Any, delimiter: str = "", **kwargs: Any) -> Any:
        output = _render_each(self, item, delimiter, **kwargs)
        return _join(self, output, delimiter) if output else None


def _render_each(parent: Any, item: Any, delimiter: str = "", **kwargs: Any) -> list[Any]:
    output = []
    for child in parent.iterchildren():
        try:
            if isinstance(child, model.Choose):
                text = child.render(item, delimiter=delimiter, **kwargs)
            else:
                text = child.render(item, **kwargs)
        except VariableError:
            continue
        if text is not None:
            output.append(text)
    return output


class Cased:
    """CSL text-case as citeproc-js applies it: words split at spaces, hyphens, slashes and
    punctuation; words with capitals of their own kept (``arXiv`` stays ``arXiv`` under
    capitalize-first); title case on the parts of hyphenated words (``Twenty-Eight``), its
    last word and the word after a colon; NoCase text and quotation marks untouched. An element
    without a language (a label, a name part) is in the style's language, not in none."""

    def case(self, text: Any, language: str | None = None) -> Any:
        mode = self.get("text-case")  # type: ignore[attr-defined]
        if mode is None:
            return text
        if language is None:
            language = str(_style_root(self).get("default-locale", "en"))[:2]
        if mode == "title" and language != "en":
            return text
        return change_case(text, mode)


def note_variable(context: Any, kind: str, variable: str, rendered: bool) -> None:
    """Record that ``variable`` was evaluated, and whether it printed anything, for the groups
    being rendered (``Group.process``) and a substitution in progress (``Substitute.render``)."""
    layout = context.get_layout()
    for frame in layout.__dict__.get("_bibkit_groups", ()):
        frame[0] = True
        frame[1] = frame[1] or rendered
    log = layout.__dict__.get("_bibkit_rendered")
    if rendered and log is not None:
        log.append((kind, variable))


# ---------------------------------------------------------------------------------------------
# The elements


class Style(model.Style):  # type: ignore[misc]
    def set_locale_list(self, output_locale: str, validate: bool = True) -> None:
        """citeproc-py's, with the locale files parsed by bibkit's lookup too (their date formats
        render through Date and Date_Part)."""
        self.locales: list[Any] = []
        loaded: set[str] = set()

        def in_style(lang: str | None) -> None:
            expr = f'./cs:locale[@xml:lang="{lang}"]' if lang else "./cs:locale[not(@xml:lang)]"
            self.locales.extend(self.xpath_search(expr)[:1])

        def from_file(lang: str) -> None:
            if lang not in loaded:
                path = os.path.join(LOCALES_PATH, f"locales-{lang}.xml")
                self.locales.append(etree.parse(path, parser()).getroot())
                loaded.add(lang)

        language = output_locale.split("-")[0]
        in_style(output_locale)
        in_style(language)
        in_style(None)
        if output_locale in LANGUAGE_NAMES:
            from_file(output_locale)
        if language in PRIMARY_DIALECTS:
            from_file(PRIMARY_DIALECTS[language])
        from_file("en-US")
        for locale in self.locales:
            locale.style = self


class Layout(Seams, model.Layout):  # type: ignore[misc]
    def render_bibliography(self, citation_items: Sequence[Any]) -> list[Any]:
        """Year suffixes first (``2019a``, ``2019b``); with ``second-field-align`` the first field
        (``[1]``) is set apart from the rest by a space, as citeproc-js and pandoc print it."""
        assign_year_suffixes(self, citation_items)
        aligned = self.getparent().get("second-field-align") is not None
        output_items = []
        for item in citation_items:
            self.repressed: dict[str, list[str]] = {}
            pieces = _render_each(self, item)
            if aligned and len(pieces) > 1:
                body = _concat(self, _concat(self, pieces[0], " "), _join(self, pieces[1:], ""))
            else:
                body = _join(self, pieces, "") if pieces else None
            text = self.format(self.wrap(body))
            if text is not None:
                output_items.append(text)
        return output_items

    def sort_bibliography(self, citation_items: list[Any]) -> list[Any]:
        sort = self.getparent().find(f"{{{CSL_NS}}}sort")
        return citation_items if sort is None else sort.sort(citation_items, self)


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = _string.ascii_lowercase[r] + out
    return out


def assign_year_suffixes(layout: Any, items: Sequence[Any]) -> None:
    """Entries whose in-text citations would read alike get year suffixes in bibliography
    order, when the style asks for ``disambiguate-add-year-suffix``.

    citeproc-py does not disambiguate. Two items are taken to read alike when their citations
    do even with every name the style may add shown (``disambiguate-add-names``: no et al.;
    ``disambiguate-add-givenname``: given names in full), which is when citeproc-js falls back
    to a year suffix.
    """
    citation = layout.get_root().citation
    if citation is None or citation.get("disambiguate-add-year-suffix", "false").lower() != "true":
        return
    options: dict[str, Any] = {}
    if citation.get("disambiguate-add-names", "false").lower() == "true":
        options.update({"et-al-min": 0, "et-al-subsequent-min": 0})
    if citation.get("disambiguate-add-givenname", "false").lower() == "true":
        options.update({"form": "long", "initialize-with": None})
    citation.cites = []
    cite_layout = citation.layout
    groups: dict[str, list[Any]] = {}
    for item in items:
        if "year_suffix" in item.reference:
            del item.reference["year_suffix"]
        cite_layout.repressed = {}
        try:
            rendered = cite_layout.render_children(item, sort_options=options or None)
        except VariableError:
            rendered = None
        if rendered is not None:
            groups.setdefault(str(rendered), []).append(item)
    for group in groups.values():
        if len(group) > 1:
            for n, item in enumerate(group):
                item.reference["year_suffix"] = String(_letters(n))


class Group(Seams, model.Group):  # type: ignore[misc]
    def process(self, item: Any, context: Any = None, **kwargs: Any) -> Any:
        """Suppressed when it evaluated variables and all were empty, judged by what rendered:
        citeproc-py asked ``calls_variable()`` of each child that printed anything, which is true
        of a ``choose`` that printed only a ``value`` from a branch without variables (APA's
        ``[publication]`` for a thesis without a number). A nested group that printed counts as
        a printed variable, as in citeproc-js (IEEE's ``[Online]`` beside an empty access date)."""
        layout = (context if context is not None else self).get_layout()
        frames = layout.__dict__.setdefault("_bibkit_groups", [])
        frame = [False, False]  # a variable evaluated, a variable printed
        frames.append(frame)
        output = []
        try:
            delimiter = self.get("delimiter", "")
            for child in self.iterchildren():
                try:
                    if isinstance(child, model.Choose):
                        text = child.render(item, context=context, delimiter=delimiter, **kwargs)
                    else:
                        text = child.render(item, context=context, **kwargs)
                except VariableError:
                    frame[0] = frame[0] or child.calls_variable()
                    continue
                if text is not None:
                    output.append(text)
        finally:
            frames.pop()
        shown = bool(output) and (not frame[0] or frame[1])
        if frames:  # to the enclosing group, a group that printed counts as a printed variable
            frames[-1][0] = frames[-1][0] or frame[0]
            frames[-1][1] = frames[-1][1] or shown
        if shown:
            return self.join(output)
        raise VariableError


class Macro(Seams, model.Macro):  # type: ignore[misc]
    pass


class If(Seams, model.If):  # type: ignore[misc]
    pass


class Else_If(Seams, model.Else_If):  # type: ignore[misc]
    pass


class Else(Seams, model.Else):  # type: ignore[misc]
    pass


class PageRanges:
    """Page ranges as citeproc-js abbreviates them: only numbers form a range (``406.3-406.3``
    lost its last page under chicago-16), an abbreviated end is expanded first (``321-28`` is
    321 to 328), and chicago-15/16 follow citeproc-js's rules."""

    def _format_last_page(self, first: str, last: str) -> str:
        if not (first.isdigit() and last.isdigit()):
            return last
        if len(last) < len(first):
            last = first[:len(first) - len(last)] + last
        begin, end = int(first), int(last)
        if begin >= end:
            return last
        form = self.get_root().get_option("page-range-format")  # type: ignore[attr-defined]
        if form in ("chicago", "chicago-15"):
            if begin > 100 and begin % 100 and begin // 100 == end // 100:
                return str(end % 100)
            return str(end % 1000) if begin >= 10000 else last
        if form == "chicago-16":
            if begin > 100 and begin % 100:
                for i in range(2, len(last)):
                    if begin // 10**i == end // 10**i:
                        return str(end % 10**i)
            return last
        result: str = super()._format_last_page(first, last)  # type: ignore[misc]
        return result


class Text(PageRanges, Cased, Seams, model.Text):  # type: ignore[misc]
    def process(self, item: Any, context: Any = None, **kwargs: Any) -> Any:
        """Sort options reach macros called from macros (citeproc-py drops them there, so a
        sort key rendered through two macros lost ``name-as-sort-order="all"``)."""
        if "macro" not in self.attrib:
            return super().process(item, context, **kwargs)
        if context is None:
            context = self
        try:
            language = item.reference.language[:2]
        except VariableError:
            language = self.get_root().get("default-locale", "en")[:2]
        macro = self.get_macro(self.get("macro"))
        return macro.render(item, context, sort_options=kwargs.get("sort_options")), language

    def _variable(self, item: Any, context: Any) -> Any:
        variable = self.get("variable")
        try:
            text = super()._variable(item, context)
        except VariableError:
            if variable not in self.generated_variables:
                note_variable(context, "text", variable, False)
            raise
        if variable not in self.generated_variables:
            note_variable(context, "text", variable, bool(text))
        return text

    def quote(self, string: Any) -> Any:
        """The style's quotation marks, with the quotes in the text one level deeper."""
        if self.get("quotes", "false").lower() != "true":
            return string
        glyphs, _ = settings(self)
        return (MixedString([QuoteMark.make(True, 0, glyphs)]) + nest_quotes(string, glyphs)
                + QuoteMark.make(False, 0, glyphs))


class Number(PageRanges, Cased, Seams, model.Number):  # type: ignore[misc]
    def process(self, item: Any, context: Any = None, **kwargs: Any) -> Any:
        variable = self.get("variable")
        try:
            text = super().process(item, context, **kwargs)
        except VariableError:
            note_variable(context if context is not None else self, "number", variable, False)
            raise
        note_variable(context if context is not None else self, "number", variable, bool(text))
        return text


class Label(Cased, Seams, model.Label):  # type: ignore[misc]
    pass


class Date(Seams, model.Date):  # type: ignore[misc]
    def process(self, item: Any, variable: Any = None, show_parts: Any = None, context: Any = None,
                **kwargs: Any) -> Any:
        if variable is not None or self.is_locale_date():  # a locale's date format, called by one
            return super().process(item, variable, show_parts, context, **kwargs)
        where = context if context is not None else self
        try:
            text = super().process(item, variable, show_parts, context, **kwargs)
        except VariableError:
            note_variable(where, "date", self.get("variable"), False)
            raise
        note_variable(where, "date", self.get("variable"), bool(text))
        return text


class Date_Part(Cased, Seams, model.Date_Part):  # type: ignore[misc]
    pass


class Name_Part(Cased, Seams, model.Name_Part):  # type: ignore[misc]
    pass


class Et_Al(Seams, model.Et_Al):  # type: ignore[misc]
    pass


class Names(Seams, model.Names):  # type: ignore[misc]
    def process(self, item: Any, names_context: Any = None, context: Any = None, **kwargs: Any) -> Any:
        """Names a substitute already printed are not printed again (citeproc-py suppresses
        only substituted ``text`` variables)."""
        layout = (context if context is not None else self).get_layout()
        repressed = layout.__dict__.get("repressed", {}).get(self.tag, [])
        roles = self.get("variable", "").split()
        if roles and all(role in repressed for role in roles):
            return None
        text = super().process(item, names_context, context, **kwargs)
        for role in roles:
            note_variable(context if context is not None else self, "names", role,
                          bool(text) and role in item.reference)
        return text


class Name(Seams, model.Name):  # type: ignore[misc]
    def initialize(self, given: str, mark: str, context: Any) -> str:
        """``initialize="false"`` (CSL 1.0.1): given names stay whole; only initials already in
        them are written with ``initialize-with`` (citeproc-py ignores the attribute)."""
        if self.get("initialize", "true").lower() != "false":
            result: str = super().initialize(given, mark, context)
            return result
        out = ""
        for part in given.replace(".", ". ").split():
            letters = part.rstrip(".")
            out += letters + mark if len(letters) == 1 and letters.isupper() else part + " "
        return out.rstrip()


class Substitute(model.Substitute):  # type: ignore[misc]
    def render(self, item: Any, context: Any = None, **kwargs: Any) -> Any:
        """Every variable the substitution printed is suppressed in the rest of the entry, also
        when it printed through a macro (citeproc-py records only the child's own ``variable``,
        none for ``<text macro="title"/>``, so the title was printed twice)."""
        layout = (context if context is not None else self).get_layout()
        outer = layout.__dict__.get("_bibkit_rendered")
        try:
            for child in self.getchildren():
                layout._bibkit_rendered = []
                try:
                    if isinstance(child, model.Names) and child.name is None:
                        names = self.xpath_search("./parent::cs:names[1]")[0]
                        text = child.render(item, names_context=names, context=context, **kwargs)
                    else:
                        text = child.render(item, context=context, **kwargs)
                except VariableError:
                    continue
                if text:
                    rendered = layout._bibkit_rendered
                    self.add_to_repressed_list(child, context if context is not None else self)
                    for kind, variable in rendered:
                        tag = f"{{{CSL_NS}}}{kind}"
                        layout.repressed.setdefault(tag, []).append(variable)
                    if outer is not None:
                        outer.extend(rendered)
                    return text
            return None
        finally:
            layout._bibkit_rendered = outer


class Sort(model.Sort):  # type: ignore[misc]
    def sort(self, items: list[Any], context: Any) -> list[Any]:
        """Keys compared as citeproc-js compares them (its collation: case, accents and
        punctuation ignored, numbers by value); an empty key sorts last, like a missing one."""
        keys = self.findall(f"{{{CSL_NS}}}key")
        descending = [key.get("sort", "ascending").lower() == "descending" for key in keys]
        columns = [[_collation_key(value) for value in key.sort_keys(items, context)] for key in keys]
        rows = list(zip(items, *columns, strict=True)) if columns else [(item,) for item in items]

        def compare(left: tuple[Any, ...], right: tuple[Any, ...]) -> int:
            for i, desc in enumerate(descending, start=1):
                a, b = left[i], right[i]
                if a is None or b is None:
                    if a is None and b is None:
                        continue
                    return 1 if a is None else -1
                result: int = (a > b) - (a < b)
                if result:
                    return -result if desc else result
            return 0

        return [row[0] for row in sorted(rows, key=cmp_to_key(compare))]


def _collation_key(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, int):
        return ((0, value),)
    text = str(value)
    return sort_key(text) if text.strip() else None


FIXED: dict[str, type] = {
    "style": Style, "layout": Layout, "group": Group, "macro": Macro, "if": If, "else-if": Else_If,
    "else": Else, "text": Text, "number": Number, "label": Label, "date": Date, "date-part": Date_Part,
    "name-part": Name_Part, "et-al": Et_Al, "names": Names, "name": Name, "substitute": Substitute,
    "sort": Sort,
}


class MemoXPath:
    """The answers of ``xpath_search``, kept per element and expression for the life of the style.

    citeproc-py looks the same things up again for every entry: a macro by name, the enclosing
    layout, an inherited name option, a locale term. With a style's tree never changing after it
    is parsed, each answer can be kept; this took rendering 1,000 APA entries from ~40% XPath time
    to nearly none (docs/performance.md). The memo lives on the tree's root element, which the
    style object holds, so elements stay alive and their identity is a safe key.
    """

    def xpath_search(self, expression: str) -> Any:
        root = self.getroottree().getroot()  # type: ignore[attr-defined]
        memo = root.__dict__.get("_bibkit_xpath")
        if memo is None:
            memo = root.__dict__["_bibkit_xpath"] = {}
        key = (self, expression)
        found = memo.get(key)
        if found is None:
            found = memo[key] = self.xpath(expression, namespaces=self.nsmap)  # type: ignore[attr-defined]
        return found


def _memoised(cls: type) -> type:
    return type(cls.__name__, (MemoXPath, cls), {"__module__": __name__})


# Made once: a class made per parse would itself show up in __subclasses__() the next time.
_CLASSES = {cls.__name__.replace("_", "-").lower(): _memoised(cls)
            for cls in model.CitationStylesElement.__subclasses__() if cls.__module__ == model.__name__} | \
    {tag: _memoised(cls) for tag, cls in FIXED.items()}
_DEFAULT_CLASS = _memoised(model.CitationStylesElement)


def parser() -> etree.XMLParser:
    """An XML parser that builds CSL elements from citeproc-py's classes and bibkit's fixes."""
    lookup = etree.ElementNamespaceClassLookup()
    namespace = lookup.get_namespace(CSL_NS)
    namespace[None] = _DEFAULT_CLASS
    namespace.update(_CLASSES)
    xml_parser = etree.XMLParser(remove_comments=True, encoding="UTF-8", no_network=True)
    xml_parser.set_element_class_lookup(lookup)
    return xml_parser
