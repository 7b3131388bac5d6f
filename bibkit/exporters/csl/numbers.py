"""Numeric variables (volume, issue, page, edition, ...) as citeproc-js reads and prints them.

A value is split into numbers and the joins between them (``12-15``, ``3, 5 & 7``), with any
embedded label (``vol. 3``). It is *numeric* when every piece is a number (``12``, ``xii``,
``e1234``; not ``15:1-15:18`` or ``406.3``), which decides ``is-numeric``, plurals of labels,
``form="ordinal"`` and whether a hyphen becomes the locale's range delimiter. Page ranges are
abbreviated by the style's ``page-range-format`` after an abbreviated end is expanded
(``321-28`` is 321 to 328).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bibkit.exporters.csl.output import NumericBlob
from bibkit.exporters.csl.runtime import EMPTY, Fmt

if TYPE_CHECKING:
    from bibkit.exporters.csl.runtime import St

SUBDIV = {
    "vrs.": "verse", "sv.": "sub-verbo", "subpara.": "subparagraph", "op.": "opus", "subch.": "subchapter",
    "add.": "addendum", "amend.": "amendment", "annot.": "annotation", "app.": "appendix", "art.": "article",
    "bibliog.": "bibliography", "bk.": "book", "ch.": "chapter", "cl.": "clause", "col.": "column",
    "cmt.": "comment", "dec.": "decision", "dept.": "department", "ex.": "example", "fig.": "figure",
    "fld.": "field", "fol.": "folio", "n.": "note", "hypo.": "hypothetical", "illus.": "illustration",
    "intro.": "introduction", "l.": "line", "no.": "issue", "p.": "page", "pp.": "page", "para.": "paragraph",
    "pt.": "part", "pmbl.": "preamble", "princ.": "principle", "pub.": "publication", "r.": "rule",
    "rn.": "randnummer", "sched.": "schedule", "sec.": "section", "ser.": "series,", "subdiv.": "subdivision",
    "subsec.": "subsection", "supp.": "supplement", "tbl.": "table", "tit.": "title", "vol.": "volume",
}
SUBDIV_REVERSE = {
    "verse": "vrs.", "sub-verbo": "sv.", "sub verbo": "sv.", "subparagraph": "subpara.", "opus": "op.",
    "subchapter": "subch.", "addendum": "add.", "amendment": "amend.", "annotation": "annot.",
    "appendix": "app.", "article": "art.", "bibliography": "bibliog.", "book": "bk.", "chapter": "ch.",
    "clause": "cl.", "column": "col.", "comment": "cmt.", "decision": "dec.", "department": "dept.",
    "example": "ex.", "figure": "fig.", "field": "fld.", "folio": "fol.", "note": "n.", "hypothetical": "hypo.",
    "illustration": "illus.", "introduction": "intro.", "line": "l.", "issue": "no.", "page": "p.",
    "paragraph": "para.", "part": "pt.", "preamble": "pmbl.", "principle": "princ.", "publication": "pub.",
    "rule": "r.", "randnummer": "rn.", "schedule": "sched.", "section": "sec.", "series,": "ser.",
    "subdivision": "subdiv.", "subsection": "subsec.", "supplement": "supp.", "table": "tbl.", "title": "tit.",
    "volume": "vol.",
}
NUMERIC_VARIABLES = frozenset("""call-number chapter-number collection-number division edition page issue
locator locator-extra number number-of-pages number-of-volumes part-number printing-number section
supplement-number version volume supplement citation-number""".split())
RANGED = frozenset("""page chapter-number collection-number edition issue number number-of-pages
number-of-volumes volume locator locator-extra""".split())

_LABEL_WORDS = r"(?:[a-z]|[a-z][a-z]|[a-z][a-z][a-z]|[a-z][a-z][a-z][a-z]|subpara|subch|amend|bibliog|annot|illus|princ|intro|sched|subdiv|subsec)"  # noqa: E501
_LABELS = re.compile(rf"((?:^| ){_LABEL_WORDS}(?:\.| ) *)")
_SPLIT_LABELS = re.compile(rf"(?:(?:^| ){_LABEL_WORDS}(?:\.| ) *)")
_VALUE = re.compile(r"^([0-9]*[a-zA-Z]+0*)?([0-9]+(?:[a-zA-Z]*|[-,a-zA-Z]+))$")
_DIGITS_AND = re.compile(r"^[0-9]+([-;,:a-zA-Z]*)$")
_ROMANISH = re.compile(r"^[ivxlcmIVXLCM]+$")
# (compiled once: each is matched for every number of every entry)
_LEADING_INT = re.compile(r"\s*([-+]?\d+)")
_FIRST_WORD = re.compile(r"^([^ ]+)")
_SPACED_WORD = re.compile(r"(\s*)([^\s]+)(\s*)")
_SPACED_HYPHEN = re.compile(r"\s*-\s*")
_NUMBER_THEN_MARKS = re.compile(r"^[0-9]+([-,:a-zA-Z]*)$")
_LABEL_VALUE = re.compile(r"^(?:[0-9]+|[ixv]+)([-,:a-zA-Z]*|\-[\-0-9]+)$")
_SLASHED = re.compile(r"^[0-9]+(?:/[0-9]+)+$")
_PLAIN_NUMBER = re.compile(r"^[1-9][0-9]*$")
_SPACED_RANGE = re.compile(r"\s+-\s+")
_LEADING_NUMBER = re.compile(r"\s*(-?[0-9]+)")


@dataclass
class Value:
    """One number in a field, with its label and what joins it to the next."""

    value: str
    particle: str = ""
    label: str = ""
    orig_label: str = ""
    label_suffix: str = ""
    joining: str = ""
    plural: int = 0
    numeric: bool = False
    collapsible: bool | None = None
    label_visible: bool = False
    sleepy: bool = False  # a leading label on a page that is not p./pp.
    styling: Fmt = field(default_factory=Fmt)


@dataclass
class Shadow:
    """What citeproc-js keeps about a numeric variable while an entry renders."""

    values: list[Value] = field(default_factory=list)
    numeric: bool = False
    collapsible: bool = False
    plural: int = 0
    label: str | None = None
    label_form: str | None = None
    label_capitalize: bool = False
    label_decorations: list[Any] | None = None
    master: Fmt = field(default_factory=Fmt)


def _js_int(text: str) -> int | None:
    m = _LEADING_INT.match(text)
    return int(m.group(1)) if m else None


_SUBSECTION = re.compile(r"^(?:(?:[a-z]|[a-z][a-z]|[a-z][a-z][a-z]|[a-z][a-z][a-z][a-z])\.  *)*[0-9]+[,a-zA-Z]+$")
# Number variables citeproc-js reads through its multilingual lookup (CSL.LangPrefsMap).
_MULTILINGUAL = frozenset(("number", "edition", "issue", "volume"))


class Numbers:
    """Number parsing and formatting for one engine (locale terms, range formats)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        term = engine.term
        and_term = term("and")
        full = r",\s+and\s+|\s+and\s+"
        if not engine.lang.startswith("en"):
            full += rf"|,\s+{re.escape(and_term)}\s+|\s+{re.escape(and_term)}\s+"
        symbol = r"\s*&\s*"
        self.and_only = re.compile(f"^{symbol}$")
        joiner = rf"{symbol}|{full}|;\s+|,\s+|\s*\\*[\-\u2013]+\s*"
        self.joiner = re.compile(f"({joiner})")
        self.joiner_no_hyphen = re.compile("(" + joiner.replace(r"\-", "", 1) + ")")
        ampersand = term("and", "symbol")
        self.ampersand = "&" if ampersand == and_term else ampersand
        self.page_mangler = range_mangler(engine, "page")
        self.year_mangler = range_mangler(engine, "year")

    # -- parsing (citeproc-js's processNumber) ------------------------------------------------

    def _normalise(self, text: str, variable: str, item: Any) -> str:
        text = text.strip()
        m = _FIRST_WORD.match(text)
        if m and m.group(1) not in SUBDIV:
            if variable in ("locator", "locator-extra", "page"):
                label = SUBDIV_REVERSE.get(item.get("label", "")) if item.get("label") else "p."
            else:
                label = SUBDIV_REVERSE.get(variable)
            if label:
                text = f"{label} {text}"
        return text

    def _compose(self, variable: str, orig_label: str, label: str, value: str, joining: str | None,
                 position: int | None) -> Value:
        info = Value(value="", orig_label=orig_label)
        if not label and variable not in SUBDIV_REVERSE:
            label = f"var:{variable}"
        if label:
            m = _SPACED_WORD.search(label)
            assert m is not None
            if variable == "page" and position == 0 and m.group(2) not in ("p.", "pp."):
                info.sleepy = True
                info.label_visible = True
            info.label = m.group(2)
            info.label_suffix = m.group(3) or ""
        m = _VALUE.match(value)
        if m:
            info.particle = m.group(1) or ""
            info.value = m.group(2)
        else:
            info.value = value
        info.joining = _SPACED_HYPHEN.sub("-", joining or "", count=1)
        return info

    @staticmethod
    def _fixup_subsections(elems: list[str]) -> list[str]:
        i = len(elems) - 2
        while i > -1:
            if (elems[i] == "-" and i - 1 >= 0
                    and _SUBSECTION.match(elems[i - 1])
                    and re.match(r"^[,a-zA-Z]+$", elems[i + 1])):
                elems[i - 1] = "".join(elems[i - 1:i + 2])
                elems = elems[:i] + elems[i + 2:]
            i -= 2
        return elems

    def _parse(self, text: str, variable: str, item: Any) -> list[Value]:
        term = self.engine.term
        default_label = SUBDIV_REVERSE.get(variable, "")
        text = self._normalise(text, variable, item)
        if variable == "page":
            text = text.replace("\u2013", "-")
        if "\\-" in text:
            joiner = self.joiner_no_hyphen
            text = "\\-".join(part.replace("-", "\u2013") for part in text.split("\\-")).replace("\\", "")
        else:
            joiner = self.joiner
        parts = joiner.split(text)
        if len(parts) > 1:
            pieces, joins = parts[0::2], parts[1::2]
            for i, join in enumerate(joins):
                if self.and_only.match(join):
                    if re.search(r"[a-zA-Z]$", pieces[i]) and re.match(r"^[a-zA-Z]", pieces[i]):
                        joins[i] = self.ampersand
                    else:
                        joins[i] = f" {self.ampersand} "
            elems: list[str] = []
            for i in range(len(pieces) - 1):
                elems += [pieces[i], joins[i]]
            elems.append(pieces[-1])
            elems = self._fixup_subsections(elems)
        else:
            elems = [text]
        values: list[Value] = []
        label = default_label
        orig_label = ""
        for i in range(0, len(elems), 2):
            following = elems[i + 1] if i + 1 < len(elems) else None
            labels = _LABELS.findall(elems[i])
            if labels:
                lst = _SPLIT_LABELS.split(elems[i])
                j = len(lst) - 1
                while j > 0:
                    if lst[j - 1] and (not _DIGITS_AND.match(lst[j]) or not _DIGITS_AND.match(lst[j - 1])):
                        lst[j - 1] = lst[j - 1] + labels[j - 1] + lst[j]
                        lst = lst[:j] + lst[j + 1:]
                        labels = labels[:j - 1] + labels[j:]
                    j -= 1
                if labels:
                    slug = labels[0].strip()
                    meaning = SUBDIV.get(slug)
                    not_a_label = (meaning is None or self.engine.locale.term(meaning) is None
                                   or (variable not in ("locator", "number", "locator-extra", "page")
                                       and meaning != variable))
                    if not_a_label:
                        if i == 0 and len(lst) > 1:
                            labels = labels[1:]
                            lst[0] = f"{lst[0]} {slug} {lst[1]}"
                            lst = lst[:1] + lst[2:]
                    else:
                        orig_label = slug
                for j, piece in enumerate(lst):
                    if piece or j == len(lst) - 1:
                        if j >= 1 and j - 1 < len(labels) and labels[j - 1]:
                            label = labels[j - 1]
                        filtered = "" if orig_label == label.strip() else orig_label
                        values.append(self._compose(variable, filtered, label, piece.strip() if piece else "",
                                                    following if j == len(lst) - 1 else None, i))
            else:
                filtered = "" if orig_label == label.strip() else orig_label
                values.append(self._compose(variable, filtered, label, elems[i], following, None))
        del term
        return values

    def _plurals_and_numerics(self, values: list[Value], variable: str, raw: Any) -> None:
        if not values:
            return
        start, count = 0, 1
        for i in range(1, len(values)):
            if values[i - 1].label == values[i].label:
                count += 1
            else:
                self._fix_numeric(values, start, count)
                self._fix_visibility(values, start, variable)
                start, count = i, 1
        self._fix_numeric(values, start, count)
        self._fix_visibility(values, start, variable)
        if values[0].numeric and variable.startswith("number-of-"):
            n = _js_int(str(raw))
            if n is not None and n > 1:
                values[0].plural = 1

    @staticmethod
    def _fix_numeric(values: list[Value], pos: int, count: int) -> None:
        """One run of values with the same label: numeric or not, collapsible, plural."""
        master = values[pos]
        val = master.value
        numeric = True
        collapsible: bool | None = master.collapsible
        escaped = master.joining == "\\-"
        m_val = _NUMBER_THEN_MARKS.match(val)
        m_label = _LABEL_VALUE.match(master.value)
        if not val or not m_val or not m_label or escaped:
            collapsible = False
            if not val or not m_label:
                numeric = False
            if escaped:
                count -= 1
        if (m_val and m_val.group(1)) or (m_label and m_label.group(1)):
            collapsible = False
        if master.collapsible is None:
            # citeproc-js overrides the checks above with this one (parseInt succeeds).
            for j in range(pos, min(pos + count, len(values))):
                v = values[j].value
                values[j].collapsible = not (_js_int(v) is None and not _ROMANISH.match(v))
            # (the master's, as set above; read from the list: a type checker takes the
            # master's for None still, and mypyc compiles what it takes)
            collapsible = values[pos].collapsible if count else None
        for j in range(pos, min(pos + count, len(values))):
            if count > 1 and collapsible:
                values[j].plural = 1
            values[j].numeric = numeric
            values[j].collapsible = bool(collapsible)

    def _fix_visibility(self, values: list[Value], pos: int, variable: str) -> None:
        label = values[pos].label
        if label.startswith("var:"):
            return
        if pos == 0:
            if variable in ("locator", "number", "locator-extra", "page"):
                if self.engine.locale.term(SUBDIV.get(label, "")) is None:
                    values[pos].label_visible = True
            else:
                if SUBDIV.get(label) != variable:
                    values[0].label_visible = True
        else:
            values[pos].label_visible = True

    def _range_delimiter(self, variable: str, val: Value, delimiter: str, numeric: bool) -> str:
        is_page = variable == "page" or (variable in ("locator", "locator-extra")
                                         and "p." in (val.label, val.orig_label))
        has_term = True
        if variable in ("locator", "locator-extra", "page"):
            has_term = bool(self.engine.term(SUBDIV.get(val.orig_label or val.label, "")))
        if has_term and delimiter == "-" and numeric:
            if is_page or variable in ("locator", "locator-extra", "issue", "volume", "edition", "number"):
                delimiter = self.engine.term("page-range-delimiter") or "\u2013"
            if variable == "collection-number":
                delimiter = self.engine.term("year-range-delimiter") or "\u2013"
        return delimiter

    def _mangle_pages(self, values: list[Value], i: int, info: dict[str, Any], variable: str) -> None:
        if i < 1 or info["count"] != 2:
            return
        if values[i - 1].particle != values[i].particle:
            return
        if values[i - 1].joining != "-":
            info["count"] = 1
            return
        first, second = _js_int(values[i - 1].value), _js_int(values[i].value)
        if (not self.engine.opts.get("page-range-format") and first is not None and second is not None
                and first > second):
            values[i - 1].joining = self._range_delimiter(variable, values[i], values[i - 1].joining, True)
            return
        val = values[i]
        is_page = variable == "page" or (variable in ("locator", "locator-extra")
                                         and "p." in (val.label, val.orig_label))
        if is_page and first is not None and second is not None:
            text = (f"{values[i - 1].particle}{values[i - 1].value} - {values[i].particle}{values[i].value}")
            text = self.page_mangler(text)
        else:
            pattern = r"^([0-9]+|[ivxlcmIVXLCM]+)$"
            if re.match(pattern, values[i - 1].value) and re.match(pattern, values[i].value):
                values[i - 1].joining = self.engine.term("page-range-delimiter")
            text = values[i - 1].value + values[i - 1].joining.replace("\\-", "-", 1) + values[i].value
        m = re.match(r"^((?:[0-9]*[a-zA-Z]+0*))?([0-9]+[a-z]*)(\s*[^0-9]+\s*)([-,a-zA-Z]?0*)([0-9]+[a-z]*)$", text)
        if m:
            delimiter = self._range_delimiter(variable, val, m.group(3), bool(values[i].numeric))
            values[i - 1].particle = m.group(1) or ""
            values[i - 1].value = m.group(2)
            values[i - 1].joining = delimiter
            values[i].particle = m.group(4)
            values[i].value = m.group(5)
        info["count"] = 0

    def _fix_ranges(self, values: list[Value], variable: str) -> None:
        if variable not in RANGED:
            return
        info: dict[str, Any] = {"count": 0, "label": None}
        for i, val in enumerate(values):
            if not val.collapsible:
                info["count"] = 0
                info["label"] = None
                val.joining = self._range_delimiter(variable, val, val.joining, bool(val.numeric))
            elif info["label"] == val.label and val.joining == "-":
                info["count"] = 1
            elif info["label"] == val.label and val.joining != "-":
                info["count"] += 1
                if info["count"] == 2:
                    self._mangle_pages(values, i, info, variable)
            elif info["label"] != val.label:
                info["label"] = val.label
                info["count"] = 1
        if info["count"] == 2:
            self._mangle_pages(values, len(values) - 1, info, variable)

    def _styling(self, values: list[Value], node: Any, st: St) -> Fmt:
        fmt: Fmt = node.fmt
        inner = fmt.copy(prefix="", suffix="", decorations=[])
        if st.just_looking:
            master = Fmt()
            inner = fmt.copy()
        else:
            master = Fmt(prefix=fmt.prefix, suffix=fmt.suffix, decorations=list(fmt.decorations))
        for val in values:
            val.styling = inner.copy(suffix=inner.suffix + val.joining.replace("\\-", "-", 1))
        if not st.just_looking and values and values[0].value[:1] == '"' and values[-1].value[-1:] == '"':
            values[0].value = values[0].value[1:]
            values[-1].value = values[-1].value[:-1]
            master.decorations.append(("@quotes", "true"))
        return master

    def process(self, st: St, node: Any, item: Any, variable: str) -> None:
        real = variable
        variable = "page" if variable == "page-first" else variable
        shadow = st.shadow_numbers.get(real)
        if node is not None and shadow is not None and shadow.values:
            self._fix_ranges(shadow.values, variable)
            shadow.master = self._styling(shadow.values, node, st)
            return
        if shadow is None:
            shadow = st.shadow_numbers[real] = Shadow()
        raw = item.get(real)
        if real in _MULTILINGUAL and (raw is None or not isinstance(raw, str | int)):
            # citeproc-js reads these through its multilingual lookup, which answers "" for a
            # missing value: one empty number is rendered (it prints nothing, but counts as
            # text for capitalize-first).
            raw = ""
        elif raw is None or raw == "" or not isinstance(raw, str | int):
            return
        text = str(raw)
        if not shadow.values:
            values = self._parse(text, variable, item)
            for i in range(len(values) - 1):
                if not values[i].joining and values[i + 1].label:
                    values[i].joining = " "
            self._plurals_and_numerics(values, variable, raw)
            for v in values:
                if not v.numeric:
                    v.plural = 0
            shadow.values = values
            if node is not None:
                self._fix_ranges(values, variable)
                shadow.master = self._styling(values, node, st)
            if values:
                shadow.numeric = values[0].numeric
                shadow.collapsible = bool(values[0].collapsible)
                shadow.plural = values[0].plural
                shadow.label = SUBDIV.get(values[0].label)
                if variable == "number" and shadow.label == "issue" and self.engine.term("number"):
                    shadow.label = "number"
        values = shadow.values
        if variable == "number" and len(values) == 1 and "|" in values[0].value:
            values[0].value = values[0].value.replace("|", ", ")
            values[0].numeric, values[0].plural, values[0].collapsible = True, 1, False
            shadow.numeric, shadow.plural, shadow.collapsible = True, 1, False
        if len(values) == 1 and _SLASHED.match(values[0].value):
            values[0].numeric, values[0].plural, values[0].collapsible = True, 0, False
            shadow.numeric, shadow.plural, shadow.collapsible = True, 0, False
        if variable == "page" and values and values[0].sleepy:
            shadow.label_form = "short"

    # -- output (citeproc-js's outputNumericField) ---------------------------------------------

    def output(self, st: St, node: Any, variable: str, formatter: Callable[[Any, str | None], str] | None) -> None:
        shadow: Shadow = st.shadow_numbers[variable]
        queue = st.queue
        queue.open(shadow.master)
        values = shadow.values
        master_label = values[0].label if values else None
        label_form = shadow.label_form or "long"
        embedded_form = shadow.label_form or "short"
        engine = self.engine
        for val in values:
            label = ""
            if val.label:
                name = val.label[4:] if val.label.startswith("var:") else SUBDIV.get(val.label)
                if name:
                    label = engine.term(name, label_form if val.label == master_label else embedded_form,
                                        val.plural)
                    if shadow.label_capitalize:
                        label = engine.case("capitalize-first", label)
            placeholder = label.find("%s") if label else -1
            styling = val.styling
            if 0 < placeholder < len(label) - 2:
                styling = styling.copy(prefix=styling.prefix + label[:placeholder],
                                       suffix=label[placeholder + 2:] + styling.suffix)
            elif val.label_visible:
                if not label:
                    label = val.label
                if placeholder > 0:
                    queue.append(label[:placeholder], Fmt(decorations=list(shadow.label_decorations or [])))
                elif placeholder in (len(label) - 2, -1):
                    queue.append(label + val.label_suffix, EMPTY)
            if val.collapsible:
                number: int | str = int(val.value) if _PLAIN_NUMBER.match(val.value) else val.value
                particle = val.particle
                text_case = styling.text_case
                if text_case:
                    particle = engine.case(text_case, particle) if particle else particle
                blob = NumericBlob(number, particle, styling.prefix, styling.suffix, styling.decorations, text_case,
                                   formatter if val.label == master_label else None,
                                   node.gender or engine.locale.noun_genders.get(variable))
                if text_case:
                    blob.blobs = engine.case(text_case, blob.blobs)
                queue.append(blob, literal=True)
            else:
                queue.append(val.particle + val.value, styling)
            if placeholder == 0 and placeholder < len(label) - 2:
                queue.append(label[2:], Fmt(decorations=list(shadow.label_decorations or [])))
            st.term_predecessor = True
        queue.close()


# ---------------------------------------------------------------------------------------------
# Ranges (citeproc-js's PageRangeMangler) and number forms


def range_mangler(engine: Any, kind: str) -> Callable[..., str]:
    delimiter = engine.term(f"{kind}-range-delimiter")
    fmt = engine.opts.get(f"{kind}-range-format")
    range_re = re.compile(r"([0-9]*[a-zA-Z]+0*)?([0-9]+[a-z]*)\s*(?:\u2013|-)\s*([0-9]*[a-zA-Z]+0*)?([0-9]+[a-z]*)")

    def stringify(lst: list[Any]) -> str:
        flat = [("".join(x) if isinstance(x, list) else x) for x in lst]
        text = "".join(flat)
        return re.sub(r"([^\\])\-", lambda m: m.group(1) + engine.term(f"{kind}-range-delimiter"), text)

    def listify(text: str) -> list[Any]:
        this_delim = "" if delimiter == "-" else re.escape(delimiter)
        text = re.sub(rf"([^\\])[-{this_delim}\u2013]", r"\1 - ", text)
        text = _SPACED_RANGE.sub(" - ", text)
        pair = r"(?:[0-9]*[a-zA-Z]+0*)?[0-9]+[a-z]*\s+\-\s+(?:[0-9]*[a-zA-Z]+0*)?[0-9]+[a-z]*"
        found = re.findall(pair, text)
        rest = re.split(pair, text)
        out: list[Any] = [rest[0]]
        for i in range(1, len(rest)):
            out.append(_SPACED_HYPHEN.sub("-", found[i - 1]))
            out.append(rest[i])
        return out

    def expand(text: str) -> list[Any]:
        lst = listify(text)
        for pos in range(1, len(lst), 2):
            m = range_re.search(lst[pos])
            if m:
                g = [m.group(0), m.group(1), m.group(2), m.group(3), m.group(4)]
                if not g[3] or g[1] == g[3]:
                    if len(g[4]) < len(g[2]):
                        g[4] = g[2][:len(g[2]) - len(g[4])] + g[4]
                    a, b = _js_int(g[2]), _js_int(g[4])
                    if a is not None and b is not None and a < b:
                        g[3] = delimiter + (g[1] or "")
                        lst[pos] = [g[1] or "", g[2], g[3], g[4]]
            if isinstance(lst[pos], str):
                lst[pos] = lst[pos].replace("-", delimiter)
        return lst

    def minimise_internal(begin: str, end: str, minchars: int, isyear: bool) -> str:
        b, e = list(begin), list(end)
        ret = list(reversed(e))
        if len(b) == len(e):
            for i in range(len(b)):
                if b[i] == e[i] and len(ret) > minchars:
                    ret.pop()
                else:
                    if minchars and isyear and len(ret) == 3:
                        front = list(reversed(b[:i]))
                        ret += front
                    break
        return "".join(reversed(ret))

    def minimise(lst: list[Any], minchars: int = 0, isyear: bool = False) -> str:
        for i in range(1, len(lst), 2):
            if isinstance(lst[i], list):
                lst[i][3] = minimise_internal(lst[i][1], lst[i][3], minchars, isyear)
                if lst[i][2][1:] == lst[i][0]:
                    lst[i][2] = delimiter
        return stringify(lst)

    def chicago(lst: list[Any], sixteen: bool) -> str:
        m: Any = None
        for pos in range(1, len(lst), 2):
            if isinstance(lst[pos], list):
                m = lst[pos]
                begin, end = int(m[1]), int(m[3])
                if sixteen:
                    e = str(end)
                    if begin > 100 and begin % 100:
                        for i in range(2, len(e)):
                            divisor = 10 ** i
                            if begin // divisor == end // divisor:
                                m[3] = str(end % divisor)
                                break
                elif begin > 100 and begin % 100 and begin // 100 == end // 100:
                    m[3] = str(end % 100)
                elif begin >= 10000:
                    m[3] = str(end % 1000)
            if isinstance(m, list) and m[2][1:] == m[0]:
                m[2] = delimiter
        return stringify(lst)

    def mangle(text: str, isyear: bool = False) -> str:
        lst = expand(str(text))
        if fmt == "minimal":
            return minimise(lst)
        if fmt == "minimal-two":
            return minimise(lst, 2, isyear)
        if fmt in ("chicago", "chicago-15"):
            return chicago(lst, False)
        if fmt == "chicago-16":
            return chicago(lst, True)
        return stringify(lst)

    return mangle


def roman(n: Any, _gender: str | None = None) -> str:
    numerals = (("", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"),
                ("", "x", "xx", "xxx", "xl", "l", "lx", "lxx", "lxxx", "xc"),
                ("", "c", "cc", "ccc", "cd", "d", "dc", "dcc", "dccc", "cm"),
                ("", "m", "mm", "mmm", "mmmm", "mmmmm"))
    if not isinstance(n, int) or n >= 6000:
        return "" if isinstance(n, int) else str(n)
    out = ""
    for pos, digit in enumerate(reversed(str(n))):
        out = numerals[pos][int(digit)] + out
    return out


def letters(n: int) -> str:
    """Year suffixes: 0 -> a, 25 -> z, 26 -> aa (citeproc-js's Suffixator)."""
    n += 1
    key = ""
    while True:
        x = 26 if n % 26 == 0 else n % 26
        key = "abcdefghijklmnopqrstuvwxyz"[x - 1] + key
        n = (n - x) // 26
        if n == 0:
            return key


def padding(text: str) -> str:
    m = _LEADING_NUMBER.match(text)
    if not m:
        return text
    n = int(m.group(1))
    if n < 0:
        n = 99999999999999999999 + n
    return str(n).rjust(20, "0")
