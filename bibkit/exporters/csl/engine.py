"""A compiled style and the bibliography it prints (citeproc-js's registry and makeBibliography).

``Engine(style_xml, lang)`` reads a style once: its options, the locale it resolves to, its
macros, and compiles the bibliography layout, the citation layout (used only to decide which
entries need disambiguation) and the sort keys. ``bibliography(items, fmt)`` then

1. registers the items in the order given (their citation order);
2. renders each one's in-text citation, as citeproc-js does for a later citation of it, to
   find entries that would read alike;
3. computes sort keys, disambiguates (more names, given names or initials, year suffixes, the
   ``disambiguate`` condition, in citeproc-js's order of steps) and sorts;
4. renders each entry, with ``subsequent-author-substitute``, and settles its punctuation.

One engine renders one list at a time; it keeps per-list state (the name registry, the
previous entry's names) and is not for use from two threads at once.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cmp_to_key
from typing import Any, NamedTuple

from lxml import etree  # type: ignore[import-untyped]

import bibkit.exporters.csl.collation as collation
import bibkit.exporters.csl.locale as localemod
import bibkit.exporters.csl.textcase as textcase
import bibkit.fanout as fanout
from bibkit.collector import paused
from bibkit.exporters.csl.compile import NS, Compiler, Run, _children, _tag
from bibkit.exporters.csl.items import NAME_VARIABLES, Item
from bibkit.exporters.csl.locale import CSL_NS, Locale
from bibkit.exporters.csl.names import NameOutput, NameRegistry, NameSpec
from bibkit.exporters.csl.numbers import Numbers
from bibkit.exporters.csl.output import FORMATS, Blob, Format, Renderer, settle
from bibkit.exporters.csl.richtext import FlipFlopper
from bibkit.exporters.csl.runtime import DisambigConfig, Fmt, Frame, St

_NAMES_INHERITED = ("and", "delimiter-precedes-last", "delimiter-precedes-et-al", "initialize-with", "initialize",
                    "name-as-sort-order", "sort-separator", "et-al-min", "et-al-use-first", "et-al-use-last",
                    "et-al-subsequent-min", "et-al-subsequent-use-first", "names-delimiter", "name-form",
                    "name-delimiter")
_INT_OPTIONS = ("et-al-min", "et-al-use-first", "et-al-subsequent-min", "et-al-subsequent-use-first")
_PREPOSITION = re.compile(r"^(([aA]|[aA][nN]|[tT][hH][eE])\s+)")


_RUN_WEIGHT = 2  # renderings a disambiguation run counts for, at least, in fanout.split


class StyleError(ValueError):
    """The style cannot be used (not CSL, no bibliography, a macro that does not exist)."""


@dataclass
class RegistryEntry:
    id: str
    seq: int
    item: Item
    akey: str = ""
    disambig: DisambigConfig | None = None
    # Sort keys and their collation keys, rendered when a comparison first needs them (most
    # entries differ in their first key, so the later ones are rarely rendered at all).
    sortkeys: list[str | None] = field(default_factory=list)
    collation: list[Any] = field(default_factory=list)


def parse_style(data: bytes) -> Any:
    parser = etree.XMLParser(remove_comments=True, remove_pis=True, no_network=True, resolve_entities=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise StyleError(f"not a readable CSL style: {exc}") from None
    if root.tag != f"{NS}style":
        raise StyleError("not a CSL style (its root element is not <style>)")
    for element in root.iter():
        for attr, value in element.attrib.items():
            if "&" in value:
                element.set(attr, _decode_entities(value))
        if element.text and "&" in element.text:
            element.text = _decode_entities(element.text)
    return root


_LANGUAGE = re.compile(r"^([a-zA-Z]+)")
_ENTITY = re.compile(r"&(?:#([0-9]{1,6})|#[xX]([0-9a-fA-F]{1,6})|(quot|gt|lt));")


def _decode_entities(text: str) -> str:
    """Entities left in a value once the XML is read (``&amp;#160;`` in the file): citeproc-js's
    own XML reader decodes them a second time, and styles rely on it."""
    def one(m: re.Match[str]) -> str:
        if m.group(3):
            return {"quot": '"', "gt": ">", "lt": "<"}[m.group(3)]
        code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
        return chr(code) if 0 < code < 0x110000 else m.group(0)

    return _ENTITY.sub(one, text)


class Engine:
    """One style, compiled for one language."""

    def __init__(self, root: Any, lang: str | None = None) -> None:
        self.root = root
        style_locale = root.get("default-locale")
        if style_locale:
            style_locale = localemod.normalise_tag(re.split(r"-x-(?:sort|translit|translat)-", style_locale)[0])
        # As in Zotero: the style's default-locale wins; the user's language applies otherwise.
        chosen = style_locale or (localemod.normalise_tag(lang) if lang else "en-US")
        spec = localemod.resolve(chosen)
        self.lang = spec.best
        self.dotted_case = False
        # Sort keys compare in the style's default-locale-sort, else its language (citeproc-js).
        self.collation_lang = (root.get("default-locale-sort") or spec.best).split("-")[0].lower()
        self.default_locale = spec.best
        self.locale: Locale = localemod.build(root, spec)
        self.style_class = root.get("class", "in-text")
        self.opts: dict[str, Any] = {
            "page-range-format": root.get("page-range-format"),
            "year-range-format": root.get("year-range-format"),
        }
        self.demote = root.get("demote-non-dropping-particle", "display-and-sort")
        self.initialize_with_hyphen = root.get("initialize-with-hyphen") != "false"
        self.sort_sep = "|"
        self.name_variables = NAME_VARIABLES
        self.skip_words = textcase.skip_words_pattern(tuple(self.locale.opts.get("skip-words", ())))
        self.macro_nodes = {m.get("name"): m for m in root.iterchildren(f"{NS}macro")}
        citation = root.find(f"{NS}citation")
        bibliography = root.find(f"{NS}bibliography")
        if bibliography is None or bibliography.find(f"{NS}layout") is None:
            raise StyleError("the style has no bibliography layout")
        self.citation_node = citation
        self.bibliography_node = bibliography
        self.no_name_spec = NameSpec({}, Fmt())  # for <names> without a <name>
        # Name options inherited from <style>, <citation> and <bibliography>.
        base = self._name_options(root)
        base.setdefault("sort-separator", ", ")
        self.inherited = {"bibliography": {**base, **self._name_options(bibliography)},
                          "citation": {**base, **self._name_options(citation)}}
        opts = citation if citation is not None else etree.Element(f"{NS}citation")
        self.add_names = opts.get("disambiguate-add-names") == "true"
        self.add_givenname = opts.get("disambiguate-add-givenname") == "true"
        self.add_year_suffix = opts.get("disambiguate-add-year-suffix") == "true"
        rule = opts.get("givenname-disambiguation-rule")
        self.givenname_rule = rule if rule in ("all-names", "all-names-with-initials", "primary-name",
                                               "primary-name-with-initials", "by-cite") else "by-cite"
        self.citation_layout_attrs = dict(citation.find(f"{NS}layout").attrib) if citation is not None and \
            citation.find(f"{NS}layout") is not None else {}
        self.subsequent_author_substitute = bibliography.get("subsequent-author-substitute")
        self.subsequent_author_substitute_rule = bibliography.get("subsequent-author-substitute-rule", "complete-all")
        self.second_field_align = bibliography.get("second-field-align") in ("flush", "margin")
        layout = bibliography.find(f"{NS}layout")
        self.bib_layout_fmt_attrs = layout.attrib

        self.layout_fmt = Fmt.of(layout)
        first = next(iter(_children(layout)), None)
        self.using_display = first is not None and bool(first.get("display"))
        self.has_year_suffix = (root.find(f".//{NS}text[@variable='year-suffix']") is not None
                                or root.find(f".//{NS}text[@variable='citation-label']") is not None)
        self.has_disambiguate = root.find(".//*[@disambiguate='true']") is not None
        # An entry that can print its place in the list (citation-number, in any attribute or
        # macro of the layout) must wait for the list's order; any other renders before it.
        self.entries_read_order = self._mentions(layout, "citation-number")
        self.citation_numbers = citation is not None and self._uses(citation, "citation-number")
        self.numbers = Numbers(self)
        self.flipflop = FlipFlopper(self.term("open-quote"), self.term("close-quote"),
                                    self.term("open-inner-quote"), self.term("close-inner-quote"),
                                    list(self.layout_fmt.decorations))
        self.quotes = (self.term("open-quote"), self.term("close-quote"), self.term("open-inner-quote"),
                       self.term("close-inner-quote"))
        self._ordinal_suffixes: dict[str | None, list[str]] | None = None
        self._case_cache: dict[tuple[str, str, bool], str] = {}
        self.sorting = False
        self.parallel = True  # may the entries be rendered in forked processes (fanout.py)
        self._sort_state: St | None = None
        self._sort_renderer = self._numbering(
            Renderer(FORMATS["text"], self.quotes, suppress_decorations=True, case=self.case))
        self._number_state: St | None = None
        # id(node) -> (node, localized): the node is kept so that its id (lxml makes a new
        # proxy object for an element each time one is asked for) cannot be reused.
        self._date_cache: dict[int, tuple[Any, Any]] = {}
        # Compile.
        # (citation first: where a macro is first compiled can matter, see Compiler._macro_call)
        self.macro_first: dict[str, tuple[dict[str, Any], int]] = {}
        self.macro_area: dict[str, str] = {}
        self.cite_runs: list[Run] = []
        if citation is not None and citation.find(f"{NS}layout") is not None:
            self.cite_runs = Compiler(self, "citation").layout(citation.find(f"{NS}layout"))
        self.bib_runs: list[Run] = Compiler(self, "bibliography").layout(layout)
        # The most names an area may show (citeproc-js's max_number_of_names: the et-al
        # settings met while building the area, a macro counting where it was first built; the
        # <style>'s own count for the citation, the area citeproc-js is in when it reads them).
        self.max_names = {area: self._max_names([node, *(self.macro_nodes[m] for m, where in self.macro_area.items()
                                                         if where == area)],
                                                 base if area == "citation" else {})
                          for area, node in (("bibliography", bibliography), ("citation", citation))}
        # What the end of the first date range an engine prints is wrapped in (see last_built_date).
        last_date = last_built_date(root, self.macro_nodes)
        self.first_range_fmt = None if last_date is None else Fmt.of(self.localized_date(last_date))
        self.range_wrapper: Fmt | None = None
        self.bib_sort: list[tuple[Run, bool]] = []
        sort = bibliography.find(f"{NS}sort")
        if sort is not None:
            compiler = Compiler(self, "bibliography")
            for key in sort.iterchildren(f"{NS}key"):
                self.bib_sort.append((compiler.sort_key(key), key.get("sort") == "descending"))
        self.descending_numbers = any(
            key.get("variable") == "citation-number" and key.get("sort") == "descending"
            for key in (sort.iterchildren(f"{NS}key") if sort is not None else ()))
        self.modes: list[str] = []
        if self.add_names or (self.add_givenname and self.givenname_rule == "by-cite"):
            self.modes.append("names")
        if self.add_year_suffix:
            self.modes.append("years")
        if self.has_disambiguate:
            self.modes.append("extra")
        # Per list.
        self.seq: dict[str, int] = {}
        self.registry: dict[str, RegistryEntry] = {}
        self.names_registry = NameRegistry(self)
        self.number_map: dict[int, int] | None = None

    # -- style reading --------------------------------------------------------------------------

    def _reached(self, node: Any, tag: str = "*") -> Iterator[Any]:
        """The elements (``tag``) of ``node`` and of every macro a ``<text>`` in it calls, at any
        depth; each macro once."""
        seen: set[str] = set()
        todo = [node]
        while todo:
            for element in todo.pop().iter(f"{NS}{tag}"):
                yield element
                name = element.get("macro")
                if name and name not in seen and name in self.macro_nodes:
                    seen.add(name)
                    todo.append(self.macro_nodes[name])

    def _uses(self, node: Any, variable: str) -> bool:
        """Whether ``node`` prints ``variable`` with a text element, through any macro."""
        return any(text.get("variable") == variable for text in self._reached(node, "text"))

    def _mentions(self, node: Any, word: str) -> bool:
        """Whether any attribute of ``node`` or of an element in it, through any macro, names ``word``."""
        return any(word in value.split() for element in self._reached(node) for value in element.attrib.values())

    @staticmethod
    def _name_options(node: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if node is None:
            return out
        for key in _NAMES_INHERITED:
            value = node.get(key)
            if value is None:
                continue
            if key in _INT_OPTIONS:
                try:
                    out[key] = int(value)
                except ValueError:
                    continue
            elif key == "et-al-use-last":
                out[key] = value == "true"
            elif key == "initialize":
                if value == "false":
                    out[key] = False
            else:
                out[key] = value
        return out

    @staticmethod
    def _max_names(nodes: list[Any], base: dict[str, Any]) -> int:
        values = [int(v) for k, v in base.items() if k in ("et-al-min", "et-al-subsequent-min") and v]
        for node in nodes:
            if node is None:
                continue
            for element in node.iter():
                for key in ("et-al-min", "et-al-subsequent-min"):
                    value = element.get(key) if hasattr(element, "get") else None
                    if value and value.strip().isdigit():
                        values.append(int(value))
        return max(values, default=0)

    def localized_date(self, node: Any) -> Any:
        """A ``<date form="...">`` as the locale's date format, the style's date-part
        attributes laid over it (citeproc-js's fixDateNode)."""
        form = node.get("form")
        if not form:
            return node
        cached = self._date_cache.get(id(node))
        if cached is not None and cached[0] is node:
            return cached[1]
        template = self.locale.dates.get(form)
        if template is None:
            return node
        date = copy.deepcopy(template)
        for attr in ("variable", "form", "date-parts", "prefix", "suffix", "display"):
            if node.get(attr):
                date.set(attr, node.get(attr))
        parts = {p.get("name"): p for p in date.iterchildren(f"{NS}date-part")}
        for override in node.iterchildren(f"{NS}date-part"):
            target = parts.get(override.get("name"))
            if target is None:
                continue
            for attr, value in override.attrib.items():
                if attr != "name":
                    target.set(attr, value)
        which = node.get("date-parts")
        if which == "year":
            for name in ("month", "day"):
                if name in parts:
                    date.remove(parts[name])
        elif which == "year-month":
            if "day" in parts:
                date.remove(parts["day"])
        elif which == "month-day":
            children = list(date.iterchildren(f"{NS}date-part"))
            for i in range(1, len(children)):
                if children[i].get("name") == "year":
                    children[i - 1].set("suffix", "")
                    break
            if "year" in parts:
                date.remove(parts["year"])
        self._date_cache[id(node)] = (node, date)
        return date

    # -- locale ---------------------------------------------------------------------------------

    def term(self, name: str, form: str = "long", plural: int = 0, gender: str | None = None) -> str:
        text = self.locale.term(name, form or "long", plural, gender)
        if not text and name == "range-delimiter":
            return "\u2013"
        return text or ""

    def case(self, mode: str, text: str) -> str:
        key = (mode, text, self.dotted_case)
        found = self._case_cache.get(key)
        if found is None:
            found = self._case_cache[key] = textcase.apply(mode, text, self.skip_words, self.dotted_case)
        return found

    def field_language(self, item: Item) -> str:
        """The language a title is in, for title case (citeproc-js's getFieldLocale)."""
        if item.language:
            m = re.match(r"^([a-zA-Z]{2})(?:$|-.*|.*)", item.language)
            return m.group(1).lower() if m else "tlh"
        return self.default_locale[:2].lower()

    def ordinal(self, num: Any, gender: str | None = None) -> str:
        try:
            n = int(num)
        except (TypeError, ValueError):
            return str(num)
        text = str(n)
        info = self.locale.ordinals101
        if info is not None:
            suffix = self.term("ordinal", "long", 0, gender)
            for trygender in ([gender] if gender else []) + ["neuter"]:
                found = (info["whole-number"].get(text, {}).get(trygender)
                         or info["last-two-digits"].get(text[-2:], {}).get(trygender)
                         or info["last-digit"].get(text[-1:], {}).get(trygender))
                if found:
                    suffix = self.term(found, "long", 0, gender)
                    break
            return text + suffix
        suffixes = []
        for i in range(1, 5):
            term = self.locale.term(f"ordinal-0{i}", "long", 0, gender)
            suffixes.append(term or "")
        if (n // 10) % 10 == 1 or 10 < n < 20:
            suffix = suffixes[3]
        elif n % 10 == 1 and n % 100 != 11:
            suffix = suffixes[0]
        elif n % 10 == 2 and n % 100 != 12:
            suffix = suffixes[1]
        elif n % 10 == 3 and n % 100 != 13:
            suffix = suffixes[2]
        else:
            suffix = suffixes[3]
        return text + suffix

    def long_ordinal(self, num: Any, gender: str | None = None) -> str:
        try:
            n = int(num)
        except (TypeError, ValueError):
            return str(num)
        key = f"long-ordinal-{n:02d}" if n < 10 else f"long-ordinal-{n}"
        text = self.locale.term(key, "long", 0, gender)
        return text or self.ordinal(n, gender)

    def layout_delimiter(self, area: str) -> str:
        if area == "citation":
            return str(self.citation_layout_attrs.get("delimiter", ""))
        return str(self.bib_layout_fmt_attrs.get("delimiter", ""))

    def citation_label(self, item: Item) -> str:
        """A trigraph label (``Doe65``, ``RoNo78``) for styles that print ``citation-label``
        (citeproc-js's getCitationLabel with its default trigraph)."""
        configs = [([4], 2), ([2, 2], 2), ([2, 1, 1], 2), ([1, 1, 1, 1], 2)]
        authors, year_digits = configs[0]
        label = ""
        from bibkit.exporters.csl.items import NAME_ORDER

        for variable in NAME_ORDER:
            if variable not in item.data:
                continue
            names = item.names(variable)
            authors, year_digits = configs[min(len(names), len(configs)) - 1] if names else configs[0]
            for j, name in enumerate(names):
                if j == len(authors):
                    break
                if name.family:
                    text = re.sub(r"^([ '\u2019a-z]+\s+)", "", name.family)
                elif name.literal:
                    text = name.literal
                else:
                    text = "Reference"
                m = re.match(r"^(a\s+|the\s+|an\s+)", text.lower())
                if m:
                    text = text[len(m.group(1)):]
                text = re.sub("[^a-zA-Z\u0e01-\u0e5b\u00c0-\u017f\u0370-\u03ff\u0400-\u052f\u0590-\u05d4"
                              "\u05d6-\u05ff\u1f00-\u1fff\u0600-\u06ff\u200c\u200d\u200e\u0218\u0219\u021a"
                              "\u021b\u202a-\u202e]", "", text)
                if not text:
                    break
                text = text[:authors[j]]
                label += text[:1].upper() + text[1:].lower()
            break
        if not label:
            title = item.text("title")
            if title:
                skip = set(self.locale.opts.get("skip-words", ()))
                words = [w for w in title.split() if w not in skip]
                text = "".join(words)[:configs[0][0][0]]
                label = text[:1].upper() + text[1:].lower()
        date = item.date("issued")
        year = str(date["year"]) if date and date.get("year") else "0000"
        return label + year[-year_digits:]

    # -- conditions -----------------------------------------------------------------------------

    def is_numeric(self, st: St, variable: str) -> bool:
        item = st.item
        value = item.get(variable)
        if value in (None, ""):
            return False
        from bibkit.exporters.csl.numbers import NUMERIC_VARIABLES

        if variable in NUMERIC_VARIABLES:
            if variable not in st.shadow_numbers:
                self.numbers.process(st, None, item, variable)
            shadow = st.shadow_numbers.get(variable)
            return bool(shadow is not None and shadow.numeric)
        if variable in ("title", "version"):
            text = str(value)
            return text[-1:].isdigit()
        return False

    @staticmethod
    def position_test(st: St, position: str) -> bool:
        if st.area == "bibliography":
            return False
        if position == "first":
            return st.position == 0
        if position == "near-note":
            return st.position >= 1
        if position in ("subsequent", "container-subsequent"):
            return st.position >= 1
        return False

    @staticmethod
    def disambiguate_test(st: St) -> bool:
        if st.area == "bibliography":
            entry = st.engine.registry.get(st.item.id)
            target = entry.disambig.disambiguate if entry is not None and entry.disambig else 0
            if st.disambiguate_count < (target or 0):
                st.disambiguate_count += 1
                return True
            return False
        st.disambiguate_max += 1
        settings = st.disambig_settings
        if settings.disambiguate and st.disambiguate_count < settings.disambiguate:
            st.disambiguate_count += 1
            return True
        return False

    # -- registry -------------------------------------------------------------------------------

    def citation_number(self, item_id: str) -> int | None:
        seq = self.seq.get(item_id)
        if seq is not None and self.number_map is not None:
            return self.number_map.get(seq, seq)
        return seq

    def year_suffix(self, item_id: str) -> int | None:
        entry = self.registry.get(item_id)
        if entry is None or entry.disambig is None or self.sorting:
            return None
        return entry.disambig.year_suffix

    def _new_state(self) -> St:
        st = St(self)
        st.name_output = NameOutput(st)
        st.last_rendered_name = None
        return st

    def _start(self, st: St, item: Item, area: str) -> None:
        """citeproc-js's citeStart: fresh per-cite state."""
        st.item = item
        # Case mappings follow the item's language, else the style's (citeproc-js's lang_array).
        m = _LANGUAGE.match(item.language) if item.language else None
        case_language = m.group(1).lower() if m else self.lang.lower()
        self.dotted_case = case_language[:2] in ("tr", "az") and case_language[2:3] in ("", "-")
        st.area = area
        st.root = "citation" if area.startswith("citation") else "bibliography"
        st.queue.reset()
        st.frames = [Frame()]
        st.done_vars = []
        st.can_substitute = [False]  # (citeproc-js: a stack whose base is 0, never true)
        st.can_block_substitute = False
        st.strip_periods = 0
        st.term_predecessor = False
        st.rendered_name = None
        st.name_node = {}
        st.label_blob = None
        st.value = []
        st.common_term_match_fail = False
        st.names_max = []
        st.etal_min = st.etal_use_first = None
        st.etal_use_last = None
        st.shadow_numbers = {}
        st.render_seen = False
        st.bib_other_open = False
        st.subsequent_author_substitute_ok = not st.suppress_decorations
        st.disambiguate_count = 0
        st.disambiguate_max = 0
        st.has_done_year_suffix = False
        st.probably_rendered_something = False
        st.macro_with_date = False
        st.sort_key_flag = False
        st.name_output = NameOutput(st)
        entry = self.registry.get(item.id)
        if area == "bibliography":
            settings = DisambigConfig()
            st.disambig_request = None
            if entry is not None and entry.disambig is not None:
                if self.add_names:
                    settings.names = list(entry.disambig.names)
                if self.add_givenname:
                    settings.givens = [list(g) for g in entry.disambig.givens]
                    st.disambig_request = settings
            st.disambig_settings = settings
        elif area == "citation":
            # The request is rendered into as it stands, as in citeproc-js (no copy).
            st.disambig_settings = st.disambig_request if st.disambig_request is not None else DisambigConfig()
        else:
            st.disambig_request = None
            st.disambig_settings = DisambigConfig()

    def _render(self, st: St, runs: list[Run], renderer: Renderer, entry: bool) -> str:
        queue = st.queue
        # (the layout's prefix and a display's suffix go to the level that stands first or last:
        # no wrapper is left out where it would be that level)
        queue.elide = not entry or not (self.layout_fmt.prefix or self.using_display)
        if entry:
            top = queue.open_blob(Blob(None, decorations=[("@bibliography", "entry"), *self.layout_fmt.decorations]))
            layout = queue.open()
        else:
            top = layout = queue.open()
        st.done_vars = []
        st.rendered_name = None
        for run in runs:
            run(st)
        if entry:
            suffix = self.layout_fmt.suffix
            current = queue.current
            if self.using_display and isinstance(current.blobs, list) and current.blobs:
                current.blobs[-1].suffix = suffix
            else:
                current.suffix = suffix
            if self.second_field_align and st.bib_other_open:
                queue.close()
        while len(queue.stack) > 1:
            queue.close()
        if entry and isinstance(layout.blobs, list) and layout.blobs:
            first = layout.blobs[0]
            if isinstance(first, Blob):
                first.prefix = self.layout_fmt.prefix + first.prefix
        settle(top, bool(self.locale.opts.get("punctuation-in-quote")))
        out = renderer.string([top])
        return "".join(piece for piece in out if isinstance(piece, str))

    def _numbering(self, renderer: Renderer) -> Renderer:
        """``renderer``, printing a number's formatted text as citeproc-js does: appended to a
        queue as text and that one leaf flattened, so that markup in it (a style's ordinal term
        ``<sup>e</sup>``) formats instead of printing as it is written."""
        escape = renderer.fmt.escape

        def number_text(text: str) -> str:
            if self.flipflop.plain(text):
                return escape(text)
            st = self._number_state
            if st is None:
                st = self._number_state = self._new_state()
            st.queue.reset()
            st.queue.append(text, None, not_serious=True)
            return "".join(piece for piece in renderer.string(list(st.queue.root.blobs)) if isinstance(piece, str))

        renderer.number_text = number_text
        return renderer

    def _ambiguous_cite(self, st: St, item: Item, request: DisambigConfig | None) -> str:
        """The item's citation as a later citation would read, with ``request``'s name
        expansion; what disambiguation compares (citeproc-js's getAmbiguousCite)."""
        st.suppress_decorations = True
        st.just_looking = True
        st.disambig_request = request
        st.position = 1
        self._start(st, item, "citation")
        renderer = self._numbering(Renderer(FORMATS["text"], self.quotes, suppress_decorations=True, case=self.case))
        text = self._render(st, self.cite_runs, renderer, entry=False)
        st.suppress_decorations = False
        st.just_looking = False
        st.position = 0
        return text

    def _ambig_config(self, st: St) -> DisambigConfig:
        return (st.disambig_request or st.disambig_settings).clone()

    def _sort_key(self, entry: RegistryEntry, pos: int) -> tuple[str | None, Any]:
        """The entry's sort key ``pos`` and its collation key, rendered on first use. Keys are
        rendered as before disambiguation (no year-suffix), whenever they are asked for."""
        keys = entry.sortkeys
        while len(keys) <= pos:
            keys.append(self._render_sort_key(entry.item, len(keys)))
            entry.collation.append(None if keys[-1] is None else collation.key(keys[-1], self.collation_lang))
        return keys[pos], entry.collation[pos]

    def _render_sort_key(self, item: Item, pos: int) -> str | None:
        st = self._sort_state
        if st is None:
            st = self._sort_state = self._new_state()
        renderer = self._sort_renderer
        st.suppress_decorations = True
        st.disambig_request = None
        self._start(st, item, "bibliography_sort")
        self.sorting = True
        try:
            self.bib_sort[pos][0](st)
        finally:
            self.sorting = False
        pieces = renderer.string(list(st.queue.root.blobs))
        text = "".join(p for p in pieces if isinstance(p, str))
        if not text:
            return None
        key = self.sort_sep.join(text.split(" ")) + self.sort_sep
        m = _PREPOSITION.match(key)
        return key[len(m.group(1)):] if m else key

    def _first_sort_keys(self, entries: list[RegistryEntry]) -> None:
        """Every entry's first sort key, which any sort of two or more entries asks for, rendered
        in forked workers where that cannot change it: the keys render independently of each
        other, unless rendering one changes what the names registry answers (then they are left
        to ``_sort_key``, rendered in the order the sort asks for them, as before)."""
        if not self.parallel or fanout.split(len(entries)) < 2:
            return
        registry = self.names_registry
        saved = registry.save()
        keys = fanout.fanout(self._first_key, entries, lambda: registry.version == saved.version or not registry.read)
        if keys is None:
            registry.restore(saved)
            self._sort_state = None
            return
        self._take_first_keys(entries, keys)

    def _first_key(self, entry: RegistryEntry) -> tuple[str | None, str | None]:
        """The entry's first sort key and its collation key (a worker's work too)."""
        key = self._render_sort_key(entry.item, 0)
        return key, None if key is None else collation.key(key, self.collation_lang)

    @staticmethod
    def _take_first_keys(entries: list[RegistryEntry], keys: Iterable[Sequence[str | None]]) -> None:
        for entry, (key, collated, *_) in zip(entries, keys, strict=True):
            if not entry.sortkeys:  # (where disambiguation rendered none for its year suffixes' order)
                entry.sortkeys.append(key)
                entry.collation.append(collated)

    def _keyed_entries(self, entries: list[RegistryEntry],
                       render: Callable[[RegistryEntry], str]) -> dict[str, str] | None:
        """Every entry's first sort key, as ``_first_sort_keys`` gives them, and its text, in one
        fan-out: for a list whose entries cannot print their place in it (``entries_read_order``)
        and whose style does not disambiguate given names (``NameRegistry.read``: whatever a key
        or an entry registers, no other one reads it), an entry renders the same before the list
        is sorted as after, and in any order. ``{item id: text}``; None where the work was not
        split."""
        found = fanout.fanout(lambda entry: (*self._first_key(entry), render(entry)), entries, lambda: True)
        if found is None:
            return None
        self._take_first_keys(entries, found)
        return {entry.id: text for entry, (_, _, text) in zip(entries, found, strict=True)}

    def _split_entries(self, entries: list[RegistryEntry],
                       render: Callable[[RegistryEntry], str]) -> dict[str, str] | None:
        """Every entry's text, rendered in forked workers: ``{item id: text}``; None (all as it
        was) where the work was not split. The list's first date range takes a wrapper the
        later ones do not (``range_wrapper``): the entries with a date range render first, here
        and in the list's order, until one has printed it (most lists of real items hold one: a
        conference's dates, a volume over two years)."""
        registry = self.names_registry
        saved, wrapper = registry.save(), self.range_wrapper
        first: dict[str, str] = {}
        for entry in entries:
            if self.range_wrapper is None:
                break
            if entry.item.has_date_range:
                first[entry.id] = render(entry)
        rest = [entry for entry in entries if entry.id not in first]
        after = registry.save() if first else saved

        def logged(entry: RegistryEntry) -> tuple[str, list[list[Any]]]:
            with registry.logging() as log:
                return render(entry), log

        found = fanout.fanout(logged, rest, lambda: True)
        if found is None:
            registry.restore(saved)
            self.range_wrapper = wrapper
            return None
        # An entry may register a name no citation did (an editor, a translator): each entry's
        # log is replayed in the list's order, and an entry whose registry answered otherwise
        # in its worker is rendered again, here (as _first_cites does for the citations).
        registry.restore(after)
        for entry, (text, log) in zip(rest, found, strict=True):
            first[entry.id] = text if registry.replay(log) else render(entry)
        return first

    def _first_cites(self, st: St, items: list[Item]) -> list[Any] | None:
        """Every item's first citation, as disambiguation first compares them: ``[text, its
        DisambigConfig's fields, the names registry's log]``, rendered in forked workers; None
        where the list is not split (see ``fanout``).

        Each one depends on the names the citations before it registered (given names expand
        where a family name is shared), which a worker has only from its own slice: the caller
        replays each log in order (``NameRegistry.replay``) and renders again, there, each
        citation whose registry answered otherwise. The first date range printed takes a wrapper
        the later ones do not (``range_wrapper``): each citation also says whether it was
        rendered with the wrapper still to take and whether it took it (``_wrapped``), which the
        caller checks in order too."""
        if not self.parallel or fanout.split(len(items)) < 2:
            return None
        registry, wrapper = self.names_registry, self.range_wrapper

        def cite(item: Item) -> list[Any]:
            waiting = self.range_wrapper is not None
            text, log = self._logged_cite(st, item)
            config = self._ambig_config(st)
            return [text, [config.names, config.givens, config.year_suffix, config.disambiguate], log,
                    self._wrapped(waiting)]

        try:
            return fanout.fanout(cite, items, lambda: True)
        finally:
            self.names_registry = registry.emptied()  # the replay fills it again, in order
            self.range_wrapper = wrapper

    def _wrapped(self, waiting: bool) -> list[bool]:
        """[whether the list's first date range was still to print, whether it printed now]: a
        rendering in a worker is what it is in order where the first is what it is there
        (``_in_step``)."""
        return [waiting, waiting and self.range_wrapper is None]

    def _in_step(self, wrapped: list[bool], items: Iterable[Item]) -> bool:
        """Whether a worker's rendering (``_wrapped``) of ``items`` is what the list in order
        renders here: it met the first date range as the list in order meets it (``_took`` then
        takes what it took), or it printed no range (only a range reads the wrapper: a third of
        the real corpus's first citations were rendered again in order without this)."""
        return wrapped[0] == (self.range_wrapper is not None) or not any(item.has_date_range for item in items)

    def _took(self, wrapped: list[bool]) -> None:
        if wrapped[1]:
            self.range_wrapper = None

    def _logged_cite(self, st: St, item: Item) -> tuple[str, list[list[Any]]]:
        """The item's citation as disambiguation compares it, and the log of what rendering it
        asked the names registry (for ``NameRegistry.replay``)."""
        with self.names_registry.logging() as log:
            return self._ambiguous_cite(st, item, None), log

    def _range_unprinted(self, items: Iterable[Item]) -> bool:
        """Whether rendering ``items`` might print the list's first date range, which takes a
        wrapper the later ones do not (``range_wrapper``): then they render in order."""
        return self.range_wrapper is not None and any(item.has_date_range for item in items)

    def _group_runs(self, st: St, ambig: dict[str, list[str]],
                    disambiguator: Disambiguator) -> dict[str, list[Any]] | None:
        """Disambiguation of each group of alike citations, and of each citation like no other
        whose names' registry counts changed since its first rendering (for those, disambiguation
        finds their given names' expansion again), run in forked workers from the registry as it
        is now. ``{ambiguity key: [each member's state (``_member``), the names registry's
        log, the first date range met (``_wrapped``)]}``; None where the list is not split.

        A group's run reads the names registry, which the runs before it in order can change
        (names added to tell citations apart), and may print the list's first date range: the
        caller replays each log in order (``NameRegistry.replay``, ``_in_step``) and runs the
        group again, there, where the registry answers otherwise or the range was met
        otherwise. Nothing else a run reads is written by another group's run."""
        if not self.parallel or not self.modes:
            return None
        registry = self.names_registry
        akeys = [akey for akey, ids in ambig.items()
                 if len(ids) > 1 or (self.add_givenname and not registry.unchanged(ids[0]))]
        members = [self.registry[i] for akey in akeys for i in ambig[akey]]
        # (A run renders each member's citation once or more: three renderings a run, in APA's.)
        if fanout.split(len(akeys), weight=_RUN_WEIGHT) < 2:
            return None
        wrapper = self.range_wrapper

        def run(akey: str) -> list[Any]:
            waiting = self.range_wrapper is not None
            with registry.logging() as log:
                disambiguator.run(akey)
            return [[self._member(self.registry[i]) for i in ambig[akey]], log, self._wrapped(waiting)]

        saved = registry.save()
        # The parent runs a slice of its own: what it leaves in the registry and the entries is
        # put back, and replayed in order by the caller.
        before = [self._member(entry) for entry in members]
        try:
            found = fanout.fanout(run, akeys, lambda: True, weight=_RUN_WEIGHT)
        finally:
            registry.restore(saved)
            self.range_wrapper = wrapper
            for entry, state in zip(members, before, strict=True):
                self._restore_member(entry, state)
        return None if found is None else dict(zip(akeys, found, strict=True))

    @staticmethod
    def _member(entry: RegistryEntry) -> list[Any]:
        """What disambiguation leaves in an entry, as plain values a worker can send back: its
        ambiguity key and expansion, and the sort keys its year suffixes' order rendered."""
        config = entry.disambig or DisambigConfig()
        return [entry.akey, config.names, config.givens, config.year_suffix, config.disambiguate,
                list(entry.sortkeys)]

    def _restore_member(self, entry: RegistryEntry, state: list[Any]) -> None:
        akey, names, givens, year_suffix, disambiguate, sortkeys = state
        entry.akey = akey
        entry.disambig = DisambigConfig(list(names), [list(g) for g in givens], year_suffix, disambiguate)
        del entry.sortkeys[:], entry.collation[:]
        for key in sortkeys:
            entry.sortkeys.append(key)
            entry.collation.append(None if key is None else collation.key(key, self.collation_lang))

    def _sort(self, entries: list[RegistryEntry]) -> None:
        """``entries`` in the bibliography's order (``_compare``). Where every first collation key
        is known and no two are alike, they decide alone: sorted by them, not by ``_compare``
        (ten thousand calls for a thousand entries, after the workers rendered the keys)."""
        firsts = [entry.collation[0] if entry.collation else None for entry in entries]
        if None not in firsts and len(set(firsts)) == len(firsts):
            entries.sort(key=lambda entry: entry.collation[0], reverse=self.bib_sort[0][1])
        else:
            entries.sort(key=cmp_to_key(self._compare))

    def _compare(self, a: RegistryEntry, b: RegistryEntry) -> int:
        for pos, (_, descending) in enumerate(self.bib_sort):
            ka, ca = self._sort_key(a, pos)
            kb, cb = self._sort_key(b, pos)
            directions = (1, -1) if descending else (-1, 1)
            if ka == kb:
                continue
            if ka is None:
                cmp = directions[1]
            elif kb is None:
                cmp = directions[0]
            else:
                cmp = (ca > cb) - (ca < cb)
            if cmp > 0:
                return directions[1]
            if cmp < 0:
                return directions[0]
        return (a.seq > b.seq) - (a.seq < b.seq)

    # -- the bibliography -----------------------------------------------------------------------

    def bibliography(self, data: Sequence[dict[str, Any]], fmt: str = "text") -> list[tuple[str, str]]:
        """(item id, entry) in the style's order; entries that print nothing are left out,
        except in numbered styles (citeproc-js prints an error entry there)."""
        # A list makes hundreds of thousands of short-lived output nodes and almost no cycles
        # (a few hundred objects a thousand entries): the collector's passes cost more than the
        # memory they would free. Forked workers inherit the pause.
        with paused():
            if not self.parallel:
                return self._bibliography(data, fmt)
            # Its stages share their work among processes forked once, at the first that splits
            # (see fanout.team).
            with fanout.team(len(data)):
                return self._bibliography(data, fmt)

    def _bibliography(self, data: Sequence[dict[str, Any]], fmt: str) -> list[tuple[str, str]]:
        items = [Item(d) for d in data]
        self.seq = {}
        self.registry = {}
        self.names_registry = NameRegistry(self)
        self.number_map = None
        self.sorting = False
        self._sort_state = None
        self.range_wrapper = self.first_range_fmt  # each list renders as a fresh citeproc-js engine
        st = self._new_state()
        seen: set[str] = set()
        ordered: list[Item] = []
        for item in items:
            if item.id not in seen:
                seen.add(item.id)
                ordered.append(item)
        ambig: dict[str, list[str]] = {}
        cited = bool(self.modes and self.cite_runs)
        first = self._first_cites(st, ordered) if cited else None
        for n, item in enumerate(ordered, 1):
            akey = ""
            config = DisambigConfig()
            if cited:
                found = first[n - 1] if first else None
                if found is not None and self._in_step(found[3], (item,)) and self.names_registry.replay(found[2]):
                    self._took(found[3])
                    akey, config = found[0], DisambigConfig(*found[1])
                else:
                    akey = self._ambiguous_cite(st, item, None)
                    config = self._ambig_config(st)
                self.names_registry.mark(item.id)
            entry = RegistryEntry(item.id, n, item, akey, config)
            self.registry[item.id] = entry
            self.seq[item.id] = n
            ambig.setdefault(akey, []).append(item.id)
        if self.cite_runs and not self.modes and self.range_wrapper is not None:
            # citeproc-js renders every item's citation while registering it, disambiguation or
            # not; of those renderings only a date range's can change the list (the first one
            # takes the wrapper), so only items with a range are rendered here.
            for item in ordered:
                if item.has_date_range:
                    self._ambiguous_cite(st, item, None)
                    if not self._range_unprinted((item,)):  # (it printed the first range)
                        break
        if cited:
            disambiguator = Disambiguator(self, st, ambig)
            runs = self._group_runs(st, ambig, disambiguator)
            for akey, ids in ambig.items():
                found = runs.get(akey) if runs else None
                if (found is not None and self._in_step(found[2], (self.registry[i].item for i in ids))
                        and self.names_registry.replay(found[1])):
                    self._took(found[2])
                    for item_id, state in zip(ids, found[0], strict=True):
                        self._restore_member(self.registry[item_id], state)
                else:
                    disambiguator.run(akey)
        entries = list(self.registry.values())
        renderer = Renderer(FORMATS.get(fmt, FORMATS["text"]), self.quotes, case=self.case)
        renderer = self._numbering(_entry_renderer(renderer))
        st.last_rendered_name = None

        def render(entry: RegistryEntry) -> str:
            self._start(st, entry.item, "bibliography")
            return self._render(st, self.bib_runs, renderer, entry=True)

        # Entries render independently but for subsequent-author-substitute and the names
        # registry (a name first seen in the bibliography, where given names are disambiguated):
        # fan out where neither can matter. A style without givenname disambiguation (numeric
        # styles: their citations register no name) never reads what its entries add.
        split = self.subsequent_author_substitute is None and self.parallel and fanout.split(len(entries)) > 1
        texts: dict[str, str] | None = None
        if self.bib_sort:
            # (Where entries may register names, as real lists' editors and translators do in a
            # style that disambiguates given names, a key rendered after an entry may not be the
            # key rendered before all of them: there, the keys go first, and the entries after.)
            if (split and not self.entries_read_order and not self.names_registry.read
                    and not self._range_unprinted(entry.item for entry in entries)):
                texts = self._keyed_entries(entries, render)
            if texts is None:
                self._first_sort_keys(entries)
            self._sort(entries)
        for n, entry in enumerate(entries, 1):
            self.seq[entry.id] = n
        if self.descending_numbers:
            self.number_map = {n: len(entries) - n + 1 for n in range(1, len(entries) + 1)}
        if texts is None and split:
            texts = self._split_entries(entries, render)
        if texts is None:
            texts = {entry.id: render(entry) for entry in entries}
        out: list[tuple[str, str]] = []
        for entry in entries:
            text = texts[entry.id]
            if not text.strip():
                if self.citation_numbers:
                    text = f"{len(out) + 1}. [CSL STYLE ERROR: reference with no printed form.]"
                else:
                    continue
            out.append((entry.id, text))
        return out


def last_built_date(root: Any, macros: dict[str, Any]) -> Any:
    """The ``<date>`` element citeproc-js builds last, or None.

    Building a date element opens a level with that element's formatting, affixes included, in
    the queue that holds the end of a date range; the first range the engine renders puts its
    end there, and the level is then replaced by one without affixes. So the first range of a
    list prints its end inside the affixes of the date built last (``(1885–(1888))`` where the
    date's affixes are parentheses), later ones do not. citeproc-js builds the citation, then
    the bibliography, each in document order; a macro's body is built where it is first
    called, again for each call in a sort key.
    """
    last: Any = None
    built: set[str] = set()
    # A sort key expands every macro it calls, at each call: a macro's expansion there is walked
    # once, and kept (its last date, every macro it enters) for the calls whose stack holds none
    # of those macros (they walk it the same way). An expansion that met a recursive call (which
    # the stack cuts short) depends on the stack, and is not kept.
    expanded: dict[str, tuple[Any, frozenset[str]]] = {}
    cut = ""  # no macro is named "": marks an expansion the stack cut short

    def walk(node: Any, in_key: bool, stack: tuple[str, ...], entered: set[str] | None) -> None:
        nonlocal last
        for child in _children(node):
            tag = _tag(child)
            if tag == "date":
                last = child
                continue
            name = child.get("macro") if tag in ("text", "key") else None
            if name:
                macro = macros.get(name)
                if macro is None:
                    continue
                if name in stack:
                    if entered is not None:
                        entered.add(cut)
                    continue
                if in_key or tag == "key":
                    kept = expanded.get(name)
                    if kept is None or not kept[1].isdisjoint(stack):
                        before, last = last, None
                        inner = {name}
                        walk(macro, True, (*stack, name), inner)
                        kept = (last, frozenset(inner))
                        if cut not in inner:
                            expanded[name] = kept
                        last = before
                    if kept[0] is not None:
                        last = kept[0]
                    if entered is not None:
                        entered |= kept[1]
                elif name not in built:
                    built.add(name)
                    walk(macro, False, (*stack, name), entered)
                continue
            walk(child, in_key, stack, entered)

    for area in ("citation", "bibliography", "intext"):
        node = root.find(f"{NS}{area}")
        if node is not None:
            walk(node, False, (), None)
    return last


def _entry_renderer(renderer: Renderer) -> Renderer:
    """Entries without the format's entry wrapper: the caller lays out the list."""
    wrappers = dict(renderer.fmt.wrappers)
    wrappers[("@bibliography", "entry")] = "%s"
    fmt = Format(renderer.fmt.name, renderer.fmt.escape, wrappers)
    return Renderer(fmt, renderer.quotes, case=renderer.case)


# ---------------------------------------------------------------------------------------------
# Disambiguation (citeproc-js's CSL.Disambiguation, for the entries of one list)


class _Cited(NamedTuple):
    """A citation rendered in a disambiguation run, and what rendering it left (``Disambiguator._cite``)."""

    text: str
    after: DisambigConfig  # the expansion rendered into
    names_max: list[int]
    counts: tuple[int, int]  # St.disambiguate_count, St.disambiguate_max
    log: list[list[Any]]  # what the names registry logged


class Disambiguator:
    def __init__(self, engine: Engine, st: St, ambig: dict[str, list[str]]) -> None:
        self.engine = engine
        self.st = st
        self.ambig = ambig
        self.modes = engine.modes
        self.item: Item  # the item a run is disambiguating
        self.memo: dict[tuple[Any, ...], _Cited] = {}  # one run's renderings (``_cite``)
        self._fresh()

    def _fresh(self) -> None:
        """A run's state as it starts. (Set here, not in ``run``: there a type checker would take
        ``base`` for None for the rest of the run, which ``_cite_data`` sets, and mypyc would
        compile what it takes.)"""
        self.lists: list[tuple[DisambigConfig, list[Item]]] = []
        self.base: DisambigConfig | None = None
        self.better: DisambigConfig | None = None
        self.max_names: dict[str, list[int]] = {}
        self.namesets_max = -1

    def _cite(self, item: Item, base: DisambigConfig | None) -> str:
        """The item's citation with ``base``'s expansion. The steps of one run render an item
        again with an expansion it was rendered with before (a third of APA's renderings of a
        thousand entries): such a rendering is taken from the run's memo, keyed by all it reads
        that can change meanwhile, with all it leaves behind that the run reads (the expansion
        rendered into ``base``, ``St``'s counts, what the names registry logged)."""
        engine, st = self.engine, self.st
        if base is None:
            return engine._ambiguous_cite(st, item, base)
        registry = engine.names_registry
        entry = engine.registry.get(item.id)
        key = (item.id, tuple(base.names), tuple(map(tuple, base.givens)), base.year_suffix, base.disambiguate,
               registry.version, engine.range_wrapper is None,
               entry.disambig.year_suffix if entry is not None and entry.disambig is not None else None)
        log = registry.log
        hit = self.memo.get(key)
        if hit is not None:
            after = hit.after
            base.names[:], base.givens[:] = after.names, [list(g) for g in after.givens]
            base.year_suffix, base.disambiguate = after.year_suffix, after.disambiguate
            st.item, st.disambig_request, st.disambig_settings = item, base, base
            st.names_max = list(hit.names_max)
            st.disambiguate_count, st.disambiguate_max = hit.counts
            if log is not None:
                log.extend(hit.log)
            return hit.text
        start = len(log) if log is not None else 0
        text = engine._ambiguous_cite(st, item, base)
        self.memo[key] = _Cited(text, base.clone(), list(st.names_max), (st.disambiguate_count, st.disambiguate_max),
                                log[start:] if log is not None else [])
        return text

    def register(self, akey: str, item_id: str, config: DisambigConfig) -> None:
        entry = self.engine.registry[item_id]
        entry.akey = akey
        entry.disambig = config.clone()

    def run(self, akey: str) -> None:
        if not self.modes:
            return
        ids = self.ambig.get(akey) or []
        if not ids:
            return
        self._fresh()
        registry = self.engine.registry
        if len(ids) == 1 and (not self.engine.add_givenname or self.engine.names_registry.unchanged(ids[0])):
            # A cite of its own: rendering it again would only recompute the given names'
            # expansion, which (see NameRegistry.unchanged) is what the first rendering found.
            return
        self.memo = {}
        first = registry[ids[0]].item
        self._cite_data(first, None)
        if len(ids) > 1:
            bundles = [(self.max_names[first.id], first)]
            for other_id in ids[1:]:
                other = registry[other_id].item
                self._cite_data(other, self.base)
                bundles.append((self.max_names[other.id], other))
            bundles.sort(key=cmp_to_key(_bundle_order))
            items = [b[1] for b in bundles]
            assert self.base is not None
            self.lists.append((self.base, items))
            self.item = items[0]
        else:
            self.item = first
        self.mode = 0
        maxima = self.max_names.get(self.item.id) or []
        self.names_max: int | None = maxima[0] if maxima else None
        assert self.base is not None and self.better is not None
        self.base.pad()
        self.better.pad()
        self.base.year_suffix = None
        self.base.disambiguate = 0
        self.better.year_suffix = None
        self.better.disambiguate = 0
        self.givens_max: int | None = 2 if (self.engine.givenname_rule == "by-cite"
                                            and self.engine.add_givenname) else None
        self._run_lists(akey)

    def _cite_data(self, item: Item, base: DisambigConfig | None) -> None:
        if item.id in self.max_names:
            return
        self._cite(item, base)
        config = self.engine._ambig_config(self.st)
        self.max_names[item.id] = list(self.st.names_max)
        entry = self.engine.registry[item.id]
        assert entry.disambig is not None
        entry.disambig.givens = [list(g) for g in self.st.disambig_settings.givens]
        self.namesets_max = len(entry.disambig.names) - 1
        if self.base is None:
            self.base = config
            self.better = config.clone()
        if len(config.names) < len(self.base.names):
            self.base = config
        for i in range(len(config.names)):
            if i < len(self.base.names) and config.names[i] > self.base.names[i]:
                self.base.givens[i] = list(config.givens[i]) if i < len(config.givens) else []
                self.base.names[i] = config.names[i]
                assert self.better is not None
                self.better.names = list(self.base.names)
                self.better.givens = [list(g) for g in self.base.givens]
                self.base.pad()
                self.better.pad()
        assert self.better is not None
        self.better.givens = [list(g) for g in self.base.givens]

    def _run_lists(self, akey: str) -> None:
        self.init_givens = True
        guard = 0
        while self.lists:
            self.gnameset = 0
            self.gname = 0
            self.clashes = [1, 0]
            while self.lists and self.lists[0][1]:
                guard += 1
                if guard > 2000:
                    return
                self.listpos = 0
                if self.base is None:
                    self.base = self.lists[0][0]
                maxed = self._increment()
                self._scan(self.lists[0])
                self._evaluate(akey, maxed)
            self.lists = self.lists[1:]

    def _scan(self, entry: tuple[DisambigConfig, list[Item]]) -> None:
        items = entry[1]
        assert self.base is not None
        self.item = items[0]
        mine = self._cite(self.item, self.base)
        self.partners = [self.item]
        self.nonpartners: list[Item] = []
        clashes = 0
        for other in items[1:]:
            if self._cite(other, self.base) == mine:
                clashes += 1
                self.partners.append(other)
            else:
                self.nonpartners.append(other)
        self.clashes[0] = self.clashes[1]
        self.clashes[1] = clashes

    def _evaluate(self, akey: str, maxed: bool) -> None:
        mode = self.modes[self.mode]
        if mode == "names":
            self._names(akey, maxed)
        elif mode == "extra":
            self._extra(akey)
        else:
            self._years(akey)
        if maxed:
            if self.mode < len(self.modes) - 1:
                self.mode += 1
            else:
                assert self.better is not None
                while len(self.lists) <= self.listpos + 1:
                    self.lists.append((self.better, []))
                self.lists[self.listpos + 1] = (self.base or self.better, [])

    def _capture(self) -> None:
        assert self.base is not None and self.better is not None
        if (self.engine.givenname_rule == "by-cite" and self.base.givens and self.gnameset < len(self.base.givens)
                and self.gname < len(self.base.givens[self.gnameset])):
                if len(self.better.givens) < len(self.base.givens):
                    self.better.givens = [list(g) for g in self.base.givens]
                while len(self.better.givens[self.gnameset]) <= self.gname:
                    self.better.givens[self.gnameset].append(0)
                self.better.givens[self.gnameset][self.gname] = self.base.givens[self.gnameset][self.gname]
        while len(self.better.names) <= self.gnameset:
            self.better.names.append(0)
        if self.gnameset < len(self.base.names):
            self.better.names[self.gnameset] = self.base.names[self.gnameset]

    def _names(self, akey: str, maxed: bool) -> None:
        assert self.better is not None
        if self.clashes[1] == 0 and len(self.nonpartners) == 1:
            self._capture()
            self.register(akey, self.nonpartners[0].id, self.better)
            self.register(akey, self.partners[0].id, self.better)
            self.lists[self.listpos] = (self.better, [])
        elif self.clashes[1] == 0:
            self._capture()
            self.register(akey, self.partners[0].id, self.better)
            self.lists[self.listpos] = (self.better, self.nonpartners)
            if self.nonpartners:
                self.init_givens = True
        elif len(self.nonpartners) == 1:
            self._capture()
            self.register(akey, self.nonpartners[0].id, self.better)
            self.lists[self.listpos] = (self.better, self.partners)
        elif self.clashes[1] < self.clashes[0]:
            self._capture()
            self.lists[self.listpos] = (self.better, self.partners)
            self.lists.append((self.better, self.nonpartners))
        elif maxed:
            self.lists[self.listpos] = (self.better, self.nonpartners)
            self.lists.append((self.better, self.partners))
            if self.mode == len(self.modes) - 1:
                for partner in self.partners:
                    self.register(akey, partner.id, self.better)
                self.lists[self.listpos] = (self.better, [])

    def _extra(self, akey: str) -> None:
        assert self.base is not None and self.better is not None
        st = self.st
        done = self.clashes[1] == 0 and len(self.nonpartners) < 2
        if not done and (not self.base.disambiguate or st.disambiguate_count != st.disambiguate_max):
            self.mode = 0
            self.base.disambiguate = st.disambiguate_count
            self.better.disambiguate = st.disambiguate_count
            if not self.base.disambiguate:
                self.init_givens = True
                self.base.disambiguate = 1
            else:
                self._names(akey, False)
        elif done or st.disambiguate_count == st.disambiguate_max:
            if done or self.mode == len(self.modes) - 1:
                base = self.lists[self.listpos][0]
                for item in self.lists[self.listpos][1]:
                    self.register(akey, item.id, base)
                self.lists[self.listpos] = (self.better, [])
            else:
                self.mode = len(self.modes) - 1
                base = self.lists[self.listpos][0]
                base.disambiguate = 1
                for item in self.lists[self.listpos][1]:
                    self.register(akey, item.id, base)

    def _years(self, akey: str) -> None:
        registry = self.engine.registry
        base = self.lists[self.listpos][0]
        tokens: list[RegistryEntry] = []
        if self.clashes[1]:
            members = {item.id for item in self.lists[self.listpos][1]}
            for item_id in registry:
                if item_id in members:
                    tokens.append(registry[item_id])
        tokens.sort(key=cmp_to_key(self.engine._compare))
        for pos, token in enumerate(tokens):
            base.year_suffix = pos
            self.register(akey, token.id, base)
        assert self.better is not None
        self.lists[self.listpos] = (self.better, [])

    def _increment(self) -> bool:
        if self.init_givens:
            self.init_givens = False
            return False
        assert self.base is not None
        maxed = False
        mode = self.modes[self.mode]
        if mode == "names":
            increment_names = self.givens_max is None
            increment_namesets = self.names_max is None
            if self.givens_max is not None:
                givens = self.base.givens
                if (givens and self.gnameset < len(givens) and self.gname < len(givens[self.gnameset])
                        and givens[self.gnameset][self.gname] < self.givens_max):
                    givens[self.gnameset][self.gname] += 1
                else:
                    increment_names = True
            if isinstance(self.names_max, int) and increment_names:
                if self.engine.add_names:
                    increment_namesets = False
                    if self.gname < self.names_max:
                        while len(self.base.names) <= self.gnameset:
                            self.base.names.append(0)
                        self.base.names[self.gnameset] += 1
                        self.gname += 1
                    else:
                        increment_namesets = True
                else:
                    increment_namesets = True
            namesets_max = self.namesets_max
            if increment_namesets and self.gnameset < namesets_max:
                self.gnameset += 1
                while len(self.base.names) <= self.gnameset:
                    self.base.names.append(0)
                self.base.names[self.gnameset] = 1
                self.gname = 0
            givens = self.base.givens
            given_done = (self.givens_max is None or self.gnameset >= len(givens)
                          or self.gname >= len(givens[self.gnameset])
                          or givens[self.gnameset][self.gname] == self.givens_max)
            if ((namesets_max == -1 or self.gnameset == namesets_max)
                    and (not self.engine.add_names or self.names_max is None or self.gname == self.names_max)
                    and given_done):
                maxed = True
        elif mode == "extra":
            self.base.disambiguate += 1
            assert self.better is not None
            self.better.disambiguate += 1
        return maxed


def _bundle_order(a: tuple[list[int], Item], b: tuple[list[int], Item]) -> int:
    """The order disambiguation takes a group's items in: by their names' counts, as citeproc-js
    compares two arrays with ``>``, which is as text (``[18]`` before ``[3]``: "18" < "3"), then
    by id. The first item is the one the others are compared with, so the order decides the
    outcome where given names and added names would each tell items apart."""
    ka, kb = ",".join(map(str, a[0])), ",".join(map(str, b[0]))
    if ka != kb:
        return 1 if ka > kb else -1
    return (a[1].id > b[1].id) - (a[1].id < b[1].id)


def make_engine(data: bytes, lang: str | None = None) -> Engine:
    return Engine(parse_style(data), lang)


__all__ = ["CSL_NS", "Callable", "Engine", "StyleError", "_tag", "make_engine", "parse_style"]
