"""A CSL style compiled into Python closures, once per style and locale.

Each element of a layout or macro becomes a function of the rendering state (``St``) with
everything that does not depend on the item read beforehand: affixes, formatting, terms of
the locale, the date format a localized date stands for, the name options. Rendering an entry
is then a run of these functions, which build the output tree as citeproc-js's token
interpreter does (the same levels, the same group rules), without walking the XML again.

The wrappers citeproc-js puts around elements are here too: the first element of a layout
with ``second-field-align`` and any top-level ``display`` go into their own block; inside
``<substitute>`` each child runs only while nothing has been substituted yet; variables used
in a substitution are not printed again; ``subsequent-author-substitute`` looks at the names
(or text standing in for them) printed first in an entry.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import bibkit.exporters.csl.dates as datemod
from bibkit.exporters.csl.locale import CSL_NS
from bibkit.exporters.csl.names import LabelSpec, NamesNode, NameSpec
from bibkit.exporters.csl.numbers import NUMERIC_VARIABLES, letters, padding, roman
from bibkit.exporters.csl.output import Blob, NumericBlob
from bibkit.exporters.csl.runtime import EMPTY, MACRO_WITH_DATE, Fmt, Frame, St

if TYPE_CHECKING:
    from bibkit.exporters.csl.engine import Engine

Run = Callable[[St], None]
Test = Callable[[St], bool]

NS = f"{{{CSL_NS}}}"
MULTI_FIELDS = frozenset("""event publisher publisher-place event-place title container-title collection-title
authority genre title-short medium country jurisdiction archive archive-place""".split())
NUMBER_TEXT = frozenset("""page page-first chapter-number collection-number edition issue number number-of-pages
number-of-volumes volume""".split())
DISPLAY = ("block", "left-margin", "right-inline", "indent")


def _tag(node: Any) -> str:
    tag = node.tag
    return tag[len(NS):] if isinstance(tag, str) and tag.startswith(NS) else ""


def _children(node: Any) -> list[Any]:
    return [child for child in node if isinstance(child.tag, str) and child.tag.startswith(NS)]


class NodeInfo:
    """What the number code reads off the element that prints a number."""

    __slots__ = ("fmt", "formatter", "gender")

    def __init__(self, fmt: Fmt, gender: str | None = None, formatter: Any = None) -> None:
        self.fmt, self.gender, self.formatter = fmt, gender, formatter


class Compiler:
    def __init__(self, engine: Engine, area: str) -> None:
        self.engine = engine
        self.area = area  # bibliography, citation
        self.sort = False
        self.macros: dict[tuple[Any, ...], tuple[list[Run], dict[str, Fmt | None]]] = {}
        self.macro_stack: list[str] = []
        self.first_display = False
        # citeproc-js's build state for <name-part>: the last family and given name-parts
        # compiled, read by every <names> as it ends and cleared only when an outermost one
        # ends; so a <names> inside a substitution takes its parent's name-parts, and the
        # reverse when it has some of its own.
        self.name_parts: dict[str, Fmt | None] = {"family": None, "given": None}
        self.names_level = 0
        # How many <substitute> elements the node compiled now stands in, within its macro:
        # citeproc-js builds each macro on its own, so a macro called in a substitution starts
        # at none (it decides where a missing <name> goes, see ``_names``).
        self.written_in_substitute = 0

    # -- entry points ---------------------------------------------------------------------------

    def layout(self, node: Any) -> list[Run]:
        return self.children(node, nesting=0, subst=0)

    def sort_key(self, node: Any) -> Run:
        """One ``<key>``: renders the key's text into the queue (citeproc-js's key tokens)."""
        engine = self.engine
        self.sort = True
        attrs = node.attrib
        # A key without names-min/-use-first/-use-last takes the et-al settings of its area
        # (<bibliography>, <citation>, <style>), and they win over the <name>'s own in the key:
        # a style that prints every author may sort by the first alone (citeproc-js's key token).
        inherited = engine.inherited.get(self.area, {})
        names_min = _int(attrs.get("names-min", inherited.get("et-al-min")))
        names_first = _int(attrs.get("names-use-first", inherited.get("et-al-use-first")))
        names_last = attrs.get("names-use-last")
        if names_last is None and isinstance(inherited.get("et-al-use-last"), str):
            names_last = inherited["et-al-use-last"]
        variable = attrs.get("variable")
        inner: Run
        if variable:
            if variable in engine.name_variables:
                spec = NameSpec({"name-as-sort-order": "all", "sort-separator": " "}, Fmt())
                if names_min is not None:
                    spec.attrs["et-al-min"] = names_min
                if names_first is not None:
                    spec.attrs["et-al-use-first"] = names_first
                if names_last is not None:
                    spec.attrs["et-al-use-last"] = names_last == "true"
                names = NamesNode([variable], Fmt(), spec)
                inner = self._names_runner(names, nesting=1, subst=0)
            elif variable in NUMERIC_VARIABLES:
                if variable == "citation-number":
                    def inner(st: St) -> None:
                        seq = st.engine.seq.get(st.item.id)
                        st.queue.append(padding(str(seq)) if seq else None, EMPTY)
                else:
                    def inner(st: St, v: str = variable) -> None:
                        raw = st.item.get(v)
                        st.queue.append(padding(str(raw)) if raw not in (None, "") else None, EMPTY)
            elif variable in datemod.DATE_VARIABLES:
                def inner(st: St, v: str = variable) -> None:
                    for piece in datemod.sort_key(st.item.date(v), None):
                        st.queue.append(piece, EMPTY)
            elif variable == "citation-label":
                def inner(st: St) -> None:
                    st.queue.append(engine.citation_label(st.item), EMPTY)
            elif variable == "title":
                def inner(st: St) -> None:
                    value = st.item.text("title")
                    if value:
                        st.queue.append(value, EMPTY)
            else:
                def inner(st: St, v: str = variable) -> None:
                    value = st.item.get(v)
                    if isinstance(value, str | int) and not isinstance(value, bool):
                        st.queue.append(str(value), EMPTY)
        else:
            inner = self._macro_call(attrs.get("macro", ""), EMPTY, nesting=1, subst=0)
        self.sort = False

        def run(st: St) -> None:
            st.done_vars = []
            st.queue.open()
            st.sort_key_flag = True
            if names_min:
                st.etal_min = names_min
            if names_first:
                st.etal_use_first = names_first
            if names_last is not None:
                st.etal_use_last = names_last == "true"
            inner(st)

        return run

    # -- children -------------------------------------------------------------------------------

    def children(self, node: Any, nesting: int, subst: int) -> list[Run]:
        runs = []
        for child in _children(node):
            run = self.element(child, nesting, subst)
            if run is not None:
                runs.append(run)
        return runs

    def element(self, node: Any, nesting: int, subst: int) -> Run | None:
        tag = _tag(node)
        if tag == "text":
            if node.get("macro"):
                return self._wrapped(node, self._macro_text(node, nesting, subst), nesting, subst, "group")
            return self._wrapped(node, self._text(node), nesting, subst, "text")
        if tag == "group":
            return self._wrapped(node, self._group(node, nesting, subst), nesting, subst, "group")
        if tag == "choose":
            return self._choose(node, nesting, subst)
        if tag == "names":
            return self._names(node, nesting, subst)
        if tag == "date":
            return self._wrapped(node, self._date(node), nesting, subst, "date")
        if tag == "number":
            return self._wrapped(node, self._number(node), nesting, subst, "number")
        if tag == "label":
            return self._label(node)
        return None

    def _wrapped(self, node: Any, body: Run, nesting: int, subst: int, kind: str,
                 variables: list[str] | None = None) -> Run:
        """citeproc-js's substituteStart/substituteEnd around an element."""
        fmt_strips = node.get("strip-periods") == "true"
        display = node.get("display") if nesting == 0 else None
        engine = self.engine
        bib = self.area == "bibliography" and not self.sort
        sfa = bib and nesting == 0 and engine.second_field_align
        block = bib and nesting == 0 and not engine.second_field_align and display in DISPLAY
        conditional = subst == 1
        author_substitute = bib and kind in ("text", "names-end") and engine.subsequent_author_substitute is not None
        real_vars = variables if variables is not None else node.get("variable", "").split()
        if not (conditional or sfa or block or fmt_strips or author_substitute):
            return body

        def run(st: St) -> None:
            if conditional and not st.can_substitute[-1]:
                return
            queue = st.queue
            if sfa and not st.render_seen:
                queue.open(Fmt(decorations=[("@display", "left-margin")]))
            elif block:
                queue.open(Fmt(decorations=[("@display", str(display))]))
            if fmt_strips:
                st.strip_periods += 1
            body(st)
            if fmt_strips:
                st.strip_periods -= 1
            if author_substitute and st.area == "bibliography":
                _subsequent_author(st, kind, real_vars)
            if sfa:
                if not st.render_seen:
                    queue.close()
                    st.render_seen = True
                    queue.open(Fmt(decorations=[("@display", "right-inline")]))
                    st.bib_other_open = True
            elif block:
                queue.close()

        return run

    # -- text -----------------------------------------------------------------------------------

    def _text(self, node: Any) -> Run:
        engine = self.engine
        fmt = Fmt.of(node)
        attrs = node.attrib
        form = attrs.get("form") or "long"
        if attrs.get("variable"):
            return self._text_variable(node, fmt, form)
        if "term" in attrs:
            term = attrs["term"]
            if term == "sub verbo":
                term = "sub-verbo"
            plural = 1 if attrs.get("plural") in ("always", "true") else 0
            strip = fmt.strips_periods

            def run_term(st: St) -> None:
                gender = engine.locale.type_genders.get(st.item.type)
                text = engine.term(term, form, plural, gender)
                if text != "":
                    st.frame.term_intended = True
                if not st.term_predecessor and not (engine.style_class == "in-text" and st.area == "citation"):
                    text = engine.case("capitalize-first", text)
                if st.strip_periods or strip:
                    text = text.replace(".", "")
                st.queue.append(text, fmt)
                if st.can_block_substitute:
                    st.can_substitute[-1] = False

            return run_term
        if "value" in attrs:
            value = attrs["value"]

            def run_value(st: St) -> None:
                st.frame.term_intended = True
                st.queue.append(value, fmt)
                if st.can_block_substitute:
                    st.can_substitute[-1] = False

            return run_value
        return lambda st: None

    def _text_variable(self, node: Any, fmt: Fmt, form: str) -> Run:
        engine = self.engine
        real = node.get("variable", "").split()
        first = real[0] if real else ""
        check = _variable_check(real, form, "text", None)
        info = NodeInfo(fmt)
        render: Callable[[St, str], None]
        if first == "citation-number":
            def render(st: St, v: str) -> None:
                if st.just_looking:
                    return
                if st.area.endswith("_sort"):
                    # In a macro a style sorts by, citeproc-js writes the registration number
                    # padded to 20 digits, so that a key made of several pieces compares alike.
                    seq = st.engine.seq.get(st.item.id)
                    st.queue.append(padding(str(seq)) if seq else None, fmt)
                    return
                seq = st.engine.citation_number(st.item.id)
                if seq is None:
                    return
                blob = NumericBlob(seq, "", fmt.prefix, fmt.suffix, fmt.decorations, fmt.text_case,
                                   successor_prefix=engine.layout_delimiter(st.area),
                                   splice_prefix=engine.layout_delimiter(st.area))
                if fmt.text_case:
                    blob.blobs = engine.case(fmt.text_case, blob.blobs)
                st.queue.append(blob, literal=True)
        elif first == "year-suffix":
            def render(st: St, v: str) -> None:
                suffix = st.engine.year_suffix(st.item.id)
                if suffix is None or st.just_looking:
                    return
                blob = NumericBlob(suffix, "", fmt.prefix, fmt.suffix, fmt.decorations, fmt.text_case,
                                   formatter=lambda n, g: letters(n), successor_prefix=engine.layout_delimiter(st.area))
                st.queue.append(blob, literal=True)
        elif first == "citation-label":
            def render(st: St, v: str) -> None:
                label = st.item.text("citation-label") or engine.citation_label(st.item)
                if not st.just_looking:
                    suffix = st.engine.year_suffix(st.item.id)
                    if suffix is not None:
                        label += letters(suffix)
                st.queue.append(label, fmt)
        elif first in MULTI_FIELDS:
            short = form == "short"
            uncased, passthrough = fmt.copy(text_case=""), fmt.copy(text_case="passthrough")

            def render(st: St, v: str) -> None:
                item = st.item
                value = None
                if short and v in ("title", "container-title"):
                    value = item.text(v + "-short")
                if not value:
                    value = item.text(v)
                if not value:
                    return
                tok = fmt
                if fmt.text_case == "sentence" and v in ("title", "container-title"):
                    value = engine.case("sentence", value)
                    tok = uncased
                elif fmt.text_case == "title" and engine.field_language(item) != "en":
                    tok = passthrough
                st.queue.append(value, tok)
                st.probably_rendered_something = True
                if st.can_block_substitute:
                    st.name_node.setdefault("children", []).append(st.queue.current)
        elif first in NUMBER_TEXT:
            def render(st: St, v: str) -> None:
                engine.numbers.process(st, info, st.item, v)
                engine.numbers.output(st, info, v, None)
        elif first in ("URL", "DOI"):
            short = form == "short"

            def render(st: St, v: str) -> None:
                value = st.item.text(v)
                if not value:
                    return
                if v == "URL" and short:
                    value = re.sub(r"(.*\.[^/]+)/.*", r"\1", value)
                    if "//www." in value:
                        value = re.sub(r"https?://", "", value)
                st.queue.append(value, fmt, no_strip_periods=True)
        else:
            # Title case is for English items (CSL 1.0.2; citeproc-js checks title fields only,
            # pandoc every variable).
            non_english = fmt.copy(text_case="passthrough") if fmt.text_case == "title" else fmt

            def render(st: St, v: str) -> None:
                value = st.item.text(v)
                if value:
                    tok = non_english if engine.field_language(st.item) != "en" else fmt
                    st.queue.append(value.replace("\\", ""), tok)

        def run(st: St) -> None:
            variables = check(st)
            if variables:
                render(st, variables[0])

        return run

    def _macro_text(self, node: Any, nesting: int, subst: int) -> Run:
        fmt = Fmt.of(node)
        return self._macro_call(node.get("macro", ""), fmt, nesting, subst)

    def _macro_call(self, name: str, fmt: Fmt, nesting: int, subst: int) -> Run:
        """The text element's level (not a real group) around the macro's own group."""
        engine = self.engine
        macro = engine.macro_nodes.get(name)
        if macro is None:
            raise ValueError(f"the style calls an undefined macro {name!r}")
        if name in self.macro_stack:
            raise ValueError(f"macro {name!r} calls itself")
        inner_subst = subst + 1 if subst else 0
        # citeproc-js builds a macro's tokens once, where it is first called (sort keys apart,
        # which build theirs inline each time): its <names> take the name-parts of that first
        # place (see ``name_parts``), and only that first build leaves its own behind.
        first = engine.macro_first.get(name) if not self.sort else None
        outer: tuple[dict[str, Fmt | None], int] | None = None
        if first is not None:
            outer = (self.name_parts, self.names_level)
            self.name_parts, self.names_level = dict(first[0]), first[1]
        elif not self.sort:
            engine.macro_first[name] = (dict(self.name_parts), self.names_level)
            engine.macro_area[name] = self.area
        # Besides those, only "top level or not" and "directly in a substitution or not" change
        # how a macro compiles: the compiled body is shared by every call in the same situation.
        key = (name, nesting + 2 == 0, min(inner_subst + 1 if inner_subst else 0, 2), self.sort,
               self.names_level > 0, id(self.name_parts["family"]), id(self.name_parts["given"]))
        cached = self.macros.get(key)
        if cached is None:
            self.macro_stack.append(name)
            written, self.written_in_substitute = self.written_in_substitute, 0
            body = self.children(macro, nesting + 2, inner_subst + 1 if inner_subst else 0)
            self.written_in_substitute = written
            self.macro_stack.pop()
            self.macros[key] = (body, dict(self.name_parts))
        else:
            body, parts = cached
            self.name_parts.update(parts)  # as compiling it again would leave them
        if outer is not None:
            self.name_parts, self.names_level = outer
        has_date = macro.find(f".//{NS}date") is not None
        group = self._group_runner(EMPTY, body, real=True, has_date=has_date and self.sort)
        wrapped_inner = self._wrapped_plain(group, nesting + 1, inner_subst)

        plain = not (fmt.prefix or fmt.suffix or fmt.delimiter or fmt.decorations or fmt.text_case)

        def run(st: St) -> None:
            queue = st.queue
            if not (plain or st.macro_with_date) or not queue.elide:
                queue.open(EMPTY if st.macro_with_date else fmt)
                wrapped_inner(st)
                queue.close_plain()
                return
            # The text element's level would have nothing of its own, around the macro's group
            # (one level, or none if it printed nothing): it is made only where close_plain
            # would keep it.
            parent = queue.stack[-1]
            siblings = parent.blobs
            assert isinstance(siblings, list)
            before = len(siblings)
            wrapped_inner(st)
            if len(siblings) > before and not queue.unwrappable(siblings[-1]):
                level = Blob([siblings[-1]])
                level.alldecor = parent.alldecor
                siblings[-1] = level

        return run

    def _wrapped_plain(self, body: Run, nesting: int, subst: int) -> Run:
        """A macro's group: the substitute rule applies, nothing else (it has no attributes)."""
        if subst != 1:
            return body

        def run(st: St) -> None:
            if st.can_substitute[-1]:
                body(st)

        return run

    # -- group ----------------------------------------------------------------------------------

    def _group(self, node: Any, nesting: int, subst: int) -> Run:
        fmt = Fmt.of(node)
        inner_subst = subst + 1 if subst else 0
        body = self.children(node, nesting + 1, inner_subst)
        return self._group_runner(fmt, body, real=True)

    @staticmethod
    def _group_runner(fmt: Fmt, body: list[Run], real: bool, has_date: bool = False) -> Run:
        # (Queue.open and close written out: a long style runs some sixty groups an entry.)
        def run(st: St) -> None:
            queue = st.queue
            if has_date:
                st.macro_with_date = True
            own = EMPTY if st.macro_with_date and st.sort_key_flag else fmt
            stack = queue.stack
            top = stack[-1]
            level = Blob(None, own.prefix, own.suffix, own.delimiter, own.decorations, own.text_case)
            above = top.alldecor
            if above:
                level.alldecor = level.alldecor + above
            siblings = top.blobs
            assert isinstance(siblings, list)
            siblings.append(level)
            stack.append(level)
            frames = st.frames
            parent = frames[-1]
            frame = Frame(False, False, False, st.term_predecessor)
            frames.append(frame)
            for child in body:
                child(st)
            frames.pop()
            if has_date:
                # Off, not back to what it was: in citeproc-js it is one flag, and the end of a
                # macro with a date inside one with a date lets the rest of the outer one print
                # in the sort key (tu-dresden styles: "(= series)" after the year).
                st.macro_with_date = False
            if frame.variable_success or (frame.term_intended and not frame.variable_attempt):
                parent.variable_success = True
                queue.close_plain()
            else:  # the group prints nothing: its level goes
                stack.pop()
                siblings.pop()
                st.term_predecessor = frame.old_term_predecessor
                parent.variable_attempt = frame.variable_attempt

        return run

    # -- choose ---------------------------------------------------------------------------------

    def _choose(self, node: Any, nesting: int, subst: int) -> Run:
        branches: list[tuple[Test | None, list[Run]]] = []
        for child in _children(node):
            tag = _tag(child)
            if tag in ("if", "else-if"):
                branches.append((self._condition(child), self.children(child, nesting, subst)))
            elif tag == "else":
                branches.append((None, self.children(child, nesting, subst)))

        def run(st: St) -> None:
            for test, body in branches:
                if test is None or test(st):
                    for child in body:
                        child(st)
                    return

        return run

    def _condition(self, node: Any) -> Test:
        engine = self.engine
        attrs = node.attrib
        tests: list[Test] = []
        def of_type(types: frozenset[str]) -> Test:
            return lambda st: st.item.type in types

        def has(v: str) -> Test:
            return lambda st: bool(st.item.truthy(v))

        def numeric(v: str) -> Test:
            return lambda st: bool(engine.is_numeric(st, v))

        def uncertain(v: str) -> Test:
            return lambda st: bool((st.item.date(v) or {}).get("circa"))

        def at(position: str) -> Test:
            return lambda st: bool(engine.position_test(st, position))

        if "type" in attrs:
            tests.append(of_type(frozenset(attrs["type"].split())))
        for v in attrs.get("variable", "").split():
            tests.append(has(v))
        for v in attrs.get("is-numeric", "").split():
            tests.append(numeric(v))
        for v in attrs.get("is-uncertain-date", "").split():
            tests.append(uncertain(v))
        for _ in attrs.get("locator", "").split():  # a bibliography has no locators
            tests.append(lambda st: False)
        for position in attrs.get("position", "").split():
            tests.append(at(position))
        if attrs.get("disambiguate") == "true":
            tests.append(engine.disambiguate_test)
        match = attrs.get("match") or "all"
        if not tests:
            return lambda st: True
        if len(tests) == 1:
            only = tests[0]
            return (lambda st: not only(st)) if match == "none" else only
        if match == "any":
            def test_any(st: St) -> bool:
                return any(t(st) for t in tests)

            return test_any
        if match == "none":
            def test_none(st: St) -> bool:
                return all(not t(st) for t in tests)

            return test_none

        def test_all(st: St) -> bool:
            return all(t(st) for t in tests)

        return test_all

    # -- label ----------------------------------------------------------------------------------

    def _label(self, node: Any) -> Run | None:
        engine = self.engine
        variable = node.get("variable", "").split()
        if not variable:
            return None
        term_name = variable[0]
        fmt = Fmt.of(node)
        form = node.get("form") or "long"
        plural_attr = node.get("plural")
        fixed: int | None = 1 if plural_attr in ("always", "true") else 0 if plural_attr in ("never", "false") else None
        strip = fmt.strips_periods

        def run(st: St) -> None:
            # A locator label with no locator (always so in a bibliography) is "page".
            term = "page" if term_name == "locator" else term_name
            plural = fixed
            item = st.item
            if plural is None:
                plural = 0
                if item.get(term_name) not in (None, ""):
                    engine.numbers.process(st, None, item, term_name)
                    shadow = st.shadow_numbers.get(term_name)
                    if shadow is not None:
                        plural = shadow.plural
                        if not shadow.label_form and shadow.label_decorations is None:
                            shadow.label_form = None if form == "long" and "form" not in node.attrib else form
                            shadow.label_decorations = list(fmt.decorations)
                        if term_name in ("locator", "number", "page") and shadow.label:
                            term = shadow.label
            text = engine.term(term, form, plural)
            if st.strip_periods or strip:
                text = text.replace(".", "")
            if text:
                st.frame.term_intended = True
            if "%s" not in text:
                st.queue.append(text, fmt)

        return run

    # -- number ---------------------------------------------------------------------------------

    def _number(self, node: Any) -> Run:
        engine = self.engine
        fmt = Fmt.of(node)
        form = node.get("form") or "numeric"
        formatter: Any = None
        if form == "roman":
            formatter = roman
        elif form == "ordinal":
            formatter = engine.ordinal
        elif form == "long-ordinal":
            formatter = engine.long_ordinal
        info = NodeInfo(fmt, node.get("gender"), formatter)
        check = _variable_check(node.get("variable", "").split(), "long", "number", None)

        def run(st: St) -> None:
            variables = check(st)
            if not variables:
                return
            v = variables[0]
            if st.item.get(v) in (None, ""):
                return
            engine.numbers.process(st, info, st.item, v)
            engine.numbers.output(st, info, v, formatter)

        return run

    # -- date -----------------------------------------------------------------------------------

    def _date(self, node: Any) -> Run:
        engine = self.engine
        node = engine.localized_date(node)
        variable = node.get("variable", "")
        fmt = Fmt.of(node)
        parts = []
        for child in _children(node):
            if _tag(child) == "date-part":
                parts.append(child)
        names = [p.get("name") for p in parts]
        dateparts = [n for n in ("year", "month", "day") if n in names]
        dateparts = [n for n in names if n in ("year", "month", "day")]
        check = _variable_check([variable], "long", "date", dateparts)
        if self.sort:
            def run_sort(st: St) -> None:
                if not check(st):
                    return
                for piece in datemod.sort_key(st.item.date(variable), dateparts):
                    st.queue.append(piece, MACRO_WITH_DATE)

            return run_sort
        part_runs = [self._date_part(p, variable) for p in parts]
        end_fmt = fmt.copy(prefix="", suffix="")

        def run(st: St) -> None:
            variables = check(st)
            if not variables or (st.just_looking and variable == "accessed"):
                st.date_object = None
                return
            date = st.item.date(variable)
            if not date:
                return
            present: list[str] = [p for p in ("year", "month", "day") if p in dateparts and (
                date.get(f"{p}_end") is not None or (p == "month" and date.get("season_end") is not None))]
            at = 2
            for pos, part in enumerate(present):
                if date.get(part) != date.get(f"{part}_end"):
                    at = pos
                    break
            st.date_object = date
            st.date_collapse_at = present[at:]
            st.date_done = []
            st.dateput_fmt = end_fmt
            wrapper = engine.range_wrapper
            st.dateput = (end_fmt if wrapper is None else wrapper).blob()
            queue = st.queue
            queue.open(fmt)
            for part_run in part_runs:
                part_run(st)
            queue.close()

        return run

    def _date_part(self, node: Any, variable: str) -> Run:
        engine = self.engine
        name = node.get("name")
        form = node.get("form") or "long"
        fmt = Fmt.of(node, delimiter=False)
        range_delimiter = node.get("range-delimiter")
        strip_periods = fmt.strips_periods
        gender_terms = engine.locale.noun_genders

        def fmt_value(st: St, value: Any, which: str, gender: str | None) -> Any:
            if not value and value != 0:
                return value
            text = datemod.format_part(engine, str(name), which, value, gender)
            if name == "month" and isinstance(text, str) and (st.strip_periods or strip_periods):
                text = text.replace(".", "")
            return text

        def run(st: St) -> None:
            date = st.date_object
            if not date:
                return
            queue = st.queue
            st.date_done.append(name)
            if date.get("literal") and name == "year":
                queue.append(date["literal"], fmt)
            value = date.get(name)
            value_end = date.get(f"{name}_end")
            if name == "year" and value == 0 and not st.suppress_decorations:
                value = False
            if value is not None:
                bc = ad = ""
                if name == "year":
                    number = value if isinstance(value, int) else _int(value)
                    if isinstance(number, int) and 0 < number < 500:
                        ad = engine.term("ad")
                    if isinstance(number, int) and number < 0:
                        bc = engine.term("bc")
                        value = -number
                month = date.get("month")
                gender = gender_terms.get(f"month-{int(month):02d}") if isinstance(month, int) else None
                form_start = form_end = form
                if name == "day" and form == "ordinal" and engine.locale.opts.get("limit-day-ordinals-to-day-1"):
                    if value != 1:
                        form_start = "numeric"
                    if value_end != 1:
                        form_end = "numeric"
                value = fmt_value(st, value, form_start, gender)
                value_end = fmt_value(st, value_end, form_end, gender)
                queue.open()
                collapse = st.date_collapse_at
                if collapse:
                    ready = all(p in st.date_done for p in collapse)
                    if ready:
                        if str(value_end) != "0":
                            end_level = st.dateput
                            if value_end is not None:
                                leaf = _leaf_blob(st, value_end, fmt)
                                end_level.push(leaf)
                            if isinstance(end_level.blobs, list) and end_level.blobs:
                                end_level.blobs[0].prefix = ""
                        queue.append(value, fmt)
                        current = queue.current
                        if isinstance(current.blobs, list) and current.blobs:
                            current.blobs[-1].suffix = ""
                        if range_delimiter:
                            queue.append(range_delimiter, EMPTY)
                        else:
                            queue.append(engine.term("year-range-delimiter"), EMPTY)
                        current.push(st.dateput)
                        st.dateput = st.dateput_fmt.blob()
                        st.date_collapse_at = []
                        engine.range_wrapper = None
                    else:
                        queue.append(value, fmt)
                        if name in collapse and str(value_end) != "0":
                            level = Blob()
                            if value_end is not None:
                                level.push(_leaf_blob(st, value_end, fmt))
                                if isinstance(level.blobs, list) and level.blobs:
                                    level.blobs[0].prefix = ""
                            if bc:
                                level.push(_leaf_blob(st, bc, EMPTY))
                            if ad:
                                level.push(_leaf_blob(st, ad, EMPTY))
                            st.dateput.push(level)
                else:
                    queue.append(value, fmt)
                if bc:
                    queue.append(bc, EMPTY)
                if ad:
                    queue.append(ad, EMPTY)
                queue.close()
            elif name == "month":
                season = date.get("season")
                if season:
                    text = str(season)
                    if re.fullmatch(r"[1-4]", text):
                        st.frame.variable_success = True
                        queue.append(engine.term(f"season-0{text}"), fmt)
                    else:
                        queue.append(text, fmt)
            if (name == "year" and value and not engine.has_year_suffix
                    and not st.just_looking and not st.has_done_year_suffix):
                suffix = st.engine.year_suffix(st.item.id)
                if suffix is not None:
                    st.has_done_year_suffix = True
                    blob = NumericBlob(suffix, "", fmt.prefix, fmt.suffix, fmt.decorations, fmt.text_case,
                                       formatter=lambda n, g: letters(n),
                                       successor_prefix=engine.layout_delimiter(st.area),
                                       splice_prefix=engine.layout_delimiter(st.area))
                    blob.ugly = True
                    queue.append(blob, literal=True)

        return run

    # -- names ----------------------------------------------------------------------------------

    def _names(self, node: Any, nesting: int, subst: int) -> Run:
        self.names_level += 1
        try:
            return self._names_inner(node, nesting, subst)
        finally:
            self.names_level -= 1

    def _names_inner(self, node: Any, nesting: int, subst: int) -> Run:
        variables = node.get("variable", "").split()
        fmt = Fmt.of(node, delimiter=False)
        names = NamesNode(variables, fmt, names_delimiter=node.get("delimiter"))
        children = _children(node)
        # citeproc-js puts a missing <name> first, so a lone label follows the names; also in a
        # macro called in a substitution ("Cohen ed."), though not in a <substitute> itself.
        has_name = not any(_tag(c) == "name" for c in children) and self.written_in_substitute == 0
        for child in children:
            tag = _tag(child)
            if tag == "name":
                names.name = NameSpec.of(child, CSL_NS)
                names.has_name = has_name = True
                for part in child.iterchildren(f"{NS}name-part"):
                    if part.get("name") in ("family", "given"):
                        self.name_parts[part.get("name")] = Fmt.of(part, delimiter=False)
            elif tag == "et-al":
                names.etal_fmt = Fmt.of(child)
                names.etal_term = child.get("term")
            elif tag == "label":
                label = LabelSpec(Fmt.of(child), child.get("form") or "long",
                                  1 if child.get("plural") in ("always", "true")
                                  else 0 if child.get("plural") in ("never", "false") else None)
                if has_name:
                    names.label_after = label
                else:
                    names.label_before = label
        if names.name is None and subst == 0:
            names.name = NameSpec({}, Fmt())
        singleton = not children
        if singleton and subst > 0:
            return self._wrapped(node, self._names_reinit(variables), nesting, subst, "names-singleton", variables)
        substitute = node.find(f"{NS}substitute")
        if substitute is not None:
            self.written_in_substitute += 1
            names.substitute = self.children(substitute, nesting + 1, 1)
            self.written_in_substitute -= 1
        # The name-parts this <names> ends with (see ``name_parts``).
        family, given = self.name_parts["family"], self.name_parts["given"]
        if family is not None or given is not None:
            if names.name is None:
                names.name = NameSpec({}, Fmt())
            names.name.family, names.name.given = family, given
        if self.names_level == 1:
            self.name_parts = {"family": None, "given": None}
        body = self._names_runner(names, nesting, subst)
        return self._wrapped(node, body, nesting, subst, "names-end", [])

    def _names_reinit(self, variables: list[str]) -> Run:
        check = _variable_check(variables, "long", "names", None)

        def run(st: St) -> None:
            found = check(st)
            st.name_output.reinit(found if found is not None else [])

        return run

    def _names_runner(self, names: NamesNode, nesting: int, subst: int) -> Run:
        check = _variable_check(names.variables, "long", "names", None)
        substitute = names.substitute

        def run(st: St) -> None:
            variables = check(st)
            st.can_substitute.append(True)
            st.name_node = {"children": []}
            output = st.name_output
            output.init(names, variables)
            if substitute is not None and not (st.value and not st.common_term_match_fail):
                if names.has_name:
                    # citeproc-js runs a <name>'s token before the substitution: the names that
                    # stand in take its et-al settings unless they have their own.
                    output.fill_etal(names.name)
                st.can_block_substitute = True
                st.common_term_match_fail = False
                for child in substitute:
                    child(st)
            output.output(names, names.name)
            st.etal_min = st.etal_use_first = None
            st.etal_use_last = None
            if not st.can_substitute.pop():
                st.can_substitute[-1] = False
            if len(st.can_substitute) == 1:
                st.can_block_substitute = False

        return run


def _leaf_blob(st: St, text: Any, fmt: Fmt) -> Blob:
    queue = st.queue
    queue.open()
    queue.append(text, fmt)
    queue.close()
    level = queue.pop()
    return level.blobs[0] if isinstance(level.blobs, list) and level.blobs else Blob("")


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _variable_check(real: list[str], form: str, kind: str, dateparts: list[str] | None) -> Callable[[St], list[str]]:
    """The variables not used up by a substitution; marks the group as having printed a
    variable or having tried one (citeproc-js's ``@variable`` attribute functions)."""
    short = form == "short"

    def check(st: St) -> list[str]:
        done = st.done_vars
        variables = [v for v in real if v not in done] if done else list(real)
        if st.can_block_substitute:
            done.extend(real)
        item = st.item
        output = False
        for variable in variables:
            if short and not item.get(variable):
                if variable == "title":
                    variable = "title-short"
                elif variable == "container-title":
                    variable = "container-title-short"
            if variable == "year-suffix":
                output = True
                break
            if variable in datemod.DATE_VARIABLES:
                date = item.date(variable)
                if date and datemod.has_content(date, dateparts or ()):
                    output = True
                    break
                continue
            if variable in ("citation-number", "citation-label"):
                output = True
                break
            if variable in ("locator", "locator-extra", "first-reference-note-number"):
                break
            if item.names(variable):
                break
            value = item.get(variable)
            if isinstance(value, str) and value:
                output = True
                break
            if isinstance(value, int | float) and not isinstance(value, bool):
                output = True
                break
            if isinstance(value, list | dict):
                break
        frame = st.frames[-1]
        if output:
            for variable in real:
                frame.variable_success = True
                if st.can_substitute[-1] and st.area == "bibliography" and isinstance(item.get(variable), str):
                    st.name_node["top"] = st.queue.current
                    if st.rendered_name is not None:
                        st.rendered_name.append(item.get(variable))
                    else:
                        st.rendered_name = [item.get(variable)]
            st.can_substitute[-1] = False
        else:
            frame.variable_attempt = True
        return variables

    return check


def _subsequent_author(st: St, kind: str, variables: list[str]) -> None:
    """Replace names that repeat the previous entry's (citeproc-js's substituteEnd)."""
    engine = st.engine
    text = engine.subsequent_author_substitute
    if text is None:
        return
    item = st.item
    if kind == "text":
        key = ",".join(variables)
        if not item.get(key):
            return
    if kind == "names-singleton":
        return
    if st.suppress_decorations or not st.subsequent_author_substitute_ok:
        return
    if st.rendered_name is None:
        return
    rule = engine.subsequent_author_substitute_rule
    node = st.name_node
    children = node.get("children", [])
    if rule in ("partial-each", "partial-first"):
        substituting = True
        rendered: list[str] = []
        last = st.last_rendered_name if isinstance(st.last_rendered_name, list) else None
        for i, child in enumerate(children):
            name = st.rendered_name[i] if i < len(st.rendered_name) else None
            if (substituting and last is not None and len(last) > i - 1 and name is not None
                    and i < len(last) and name == last[i]):
                if child is not None:
                    child.blobs = [Blob(text)]
                if rule == "partial-first":
                    substituting = False
            else:
                substituting = False
            rendered.append(name)  # type: ignore[arg-type]
        st.last_rendered_name = rendered
    elif rule == "complete-each":
        joined = ",".join(str(n) for n in st.rendered_name)
        if joined:
            if st.last_rendered_name == joined:
                for child in children:
                    if child is not None:
                        child.blobs = [Blob(text)]
            st.last_rendered_name = joined
    else:
        joined = ",".join(str(n) for n in st.rendered_name)
        if joined:
            if st.last_rendered_name == joined:
                top = node.get("top")
                if top is not None:
                    substitute = Blob(text)
                    if st.label_blob is not None:
                        top.blobs = [substitute, st.label_blob]
                    elif isinstance(top.blobs, list) and top.blobs:
                        top.blobs[0].blobs = [substitute]
                    else:
                        top.blobs = [substitute]
            st.last_rendered_name = joined
    st.subsequent_author_substitute_ok = False


def deep_copy(node: Any) -> Any:
    return copy.deepcopy(node)
