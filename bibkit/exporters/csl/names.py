"""Names: ``<names>``, ``<name>``, ``<et-al>``, name labels and substitution, as citeproc-js
renders them.

A name list is cut to ``et-al-use-first`` names once it reaches ``et-al-min`` (unless
disambiguation asked for more), joined with the name delimiter and the ``and`` term, and each
name is put together from its parts in display order (``Vincent van Gogh``), sort order
(``Gogh, Vincent van``) or, for names written in a script without spaces, family first.
Given names are initialised (``J.-P.``) or kept whole as the style and disambiguation say;
particles written into the family or given name (``van Gogh``) are recognised. Organisations
(literal names) print as written, with the family name's formatting.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from bibkit.exporters.csl.output import ROMANESQUE, Blob
from bibkit.exporters.csl.runtime import EMPTY, Fmt, bare

if TYPE_CHECKING:
    from bibkit.exporters.csl.runtime import St

STARTS_ROMANESQUE = re.compile(
    "^[&a-zA-Z\u0e01-\u0e5b\u00c0-\u017f\u0370-\u03ff\u0400-\u052f\u0590-\u05d4\u05d6-\u05ff\u1f00-\u1fff"
    "\u0600-\u06ff\u200c\u200d\u200e\u0218\u0219\u021a\u021b\u202a-\u202e]")
NAME_INITIAL = re.compile(
    "^([A-Z\u0e01-\u0e5b\u00c0-\u017f\u0400-\u042f\u0590-\u05d4\u05d6-\u05ff\u0600-\u06ff\u0370\u0372\u0376"
    "\u0386\u0388-\u03ab\u03e2\u03e4\u03e6\u03e8\u03ea\u03ec\u03ee\u03f4\u03f7\u03fd-\u03ff])"
    "([a-zA-Z\u0e01-\u0e5b\u00c0-\u017f\u0400-\u052f\u0600-\u06ff\u0370-\u03ff\u1f00-\u1fff]*|)(\\.)*")
NAME_PARTS = ("non-dropping-particle", "family", "given", "dropping-particle", "suffix", "literal")
_NAME_SPLIT = re.compile(r"((?:[-\s]*</*(?:span\s+class=\"no(?:case|decor)\"|i|sc|b|sub|sup)>[-\s]*|[-\s]+))")
_PARTICLE_GIVEN = re.compile(r"^([^ ]+(?:\u02bb |\u2019 | |' ) *)(.+)$")
_PARTICLE_FAMILY = re.compile(r"^([^ ]+(?:\-|\u02bb|\u2019| |') *)(.+)$")
_PARTICLE_ENDS = "-\u02bb\u2019'"  # (and a space)
_INHERITED = ("and", "delimiter-precedes-last", "delimiter-precedes-et-al", "initialize-with", "initialize",
              "name-as-sort-order", "sort-separator", "et-al-min", "et-al-use-first", "et-al-use-last",
              "et-al-subsequent-min", "et-al-subsequent-use-first", "form", "delimiter")


# ---------------------------------------------------------------------------------------------
# Name input


@dataclass
class Name:
    family: str = ""
    given: str = ""
    non_dropping_particle: str = ""
    dropping_particle: str = ""
    suffix: str = ""
    literal: str = ""
    comma_suffix: bool = False
    comma_dropping_particle: str = ""
    static_ordering: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    def part(self, name: str) -> str:
        return str(getattr(self, name.replace("-", "_")) or "")


def _split_particles(value: str, given: bool) -> tuple[bool, str, list[str]]:
    # (Most names hold none of the marks a particle ends with: the patterns cannot match.)
    if " " not in value and (given or not any(mark in value for mark in _PARTICLE_ENDS)):
        return False, value, []
    orig = value
    rex = _PARTICLE_GIVEN if given else _PARTICLE_FAMILY
    work = value[::-1] if given else value
    particles: list[str] = []
    has = False
    m = rex.match(work)
    while m:
        m1 = m.group(1)[::-1] if given else m.group(1)
        first = re.sub(r"^[-'\u02bb\u2019\s]*(.).*$", r"\1", m1, flags=re.S)
        has = first.upper() != first
        if not has:
            break
        if given:
            particles.append(orig[-len(m1):])
            orig = orig[:-len(m1)]
        else:
            particles.append(orig[:len(m1)])
            orig = orig[len(m1):]
        work = m.group(2)
        m = rex.match(work)
    if given:
        particles.reverse()
        for i in range(1, len(particles)):
            if particles[i][:1] == " ":
                particles[i - 1] += " "
        particles = [p[1:] if p[:1] == " " else p for p in particles]
        rest = orig[:len(work)]
    else:
        rest = orig[-len(work):] if work else ""
    return has, rest, particles


def parse_particles(name: Name) -> None:
    """Particles written into the family or given name (``van Gogh``, ``Ludwig van``)."""
    _, family, found = _split_particles(name.family, False)
    name.family = family
    ndp = "".join(found)
    last = ndp[-1:]
    ndp = ndp.strip()
    if last == " " and ndp[-1:] in ("'", "\u2019"):
        ndp += " "
    if ndp:
        name.non_dropping_particle = ndp
    if not name.suffix and "," in name.given:
        m = re.search(r"(\s*,!*\s*)", name.given)
        if m:
            idx = name.given.index(m.group(1))
            possible = name.given[idx + len(m.group(1)):]
            comma = re.sub(r"\s*", "", name.given[idx:idx + len(m.group(1))])
            if possible.replace(".", "") == "et al" and not name.dropping_particle:
                name.dropping_particle = possible
                name.comma_dropping_particle = ","
            else:
                if len(comma) == 2:
                    name.comma_suffix = True
                name.suffix = possible
            name.given = name.given[:idx]
    _, given, found = _split_particles(name.given, True)
    name.given = given
    dp = "".join(found).strip()
    if dp:
        name.dropping_particle = dp


def read_name(value: Any) -> Name:
    """A CSL-JSON name, with particles parsed as citeproc-js parses them."""
    if not isinstance(value, dict):
        return Name(literal=str(value), raw={"literal": str(value)})
    name = Name(family=str(value.get("family") or ""), given=str(value.get("given") or ""),
                non_dropping_particle=str(value.get("non-dropping-particle") or ""),
                dropping_particle=str(value.get("dropping-particle") or ""),
                suffix=str(value.get("suffix") or ""), literal=str(value.get("literal") or ""),
                comma_suffix=bool(value.get("comma-suffix")), raw=value)
    if name.literal:
        name.family = name.given = ""
        return name
    if value.get("isInstitution") and name.family and not name.given:
        name.literal, name.family = name.family, ""
        return name
    parse = value.get("parse-names")
    noparse = False
    if (name.family[:1] == '"' and name.family[-1:] == '"') or (parse is not None and not parse):
        if name.family[:1] == '"' and name.family[-1:] == '"':
            name.family = name.family[1:-1]
        noparse = True
    if (not name.non_dropping_particle and name.family and not noparse and name.given
            and not value.get("static-particles")):
        parse_particles(name)
    return name


def raw_name(name: Name) -> str:
    if name.literal:
        return name.literal
    return " ".join(p for p in (name.given, name.family) if p)


def romanesque(name: Name, language: str) -> int:
    """2: a Latin-like name; 1: mixed, or a Japanese or Chinese item; 0: no Latin letters."""
    level = 2
    if not ROMANESQUE.search(name.family.replace('"', "")):
        level = 0
    if not level and name.given and STARTS_ROMANESQUE.match(name.given):
        level = 1
    if level == 2 and language[:2] in ("ja", "zh"):
        level = 1
    return level


# ---------------------------------------------------------------------------------------------
# Initials (citeproc-js's CSL.Util.Names)


def _notag(text: str) -> str:
    return re.sub(r"^(?:<[^>]+>)*", "", text)


def _mergetag(tagstr: str, newstr: str) -> str:
    tags = re.findall(r"(?:-*<[^>]+>-*)", tagstr)
    if not tags:
        return newstr
    tagged = "".join(tags)
    m = re.match(r"^(.*[^\s])*(\s+)$", newstr)
    if m:
        return (m.group(1) or "") + tagged + m.group(2)
    return newstr + tagged


def _tagonly(text: str) -> str:
    m = re.search(r"(?:<[^>]+>)+", text)
    return m.group(0) if m else text


@lru_cache(maxsize=65536)
def initialize_with(name: str, terminator: str, normalise_only: bool, hyphen: bool = True) -> str:
    if not name:
        return ""
    terminator = terminator or ""
    if name in ("Lord", "Lady") or (not STARTS_ROMANESQUE.match(_notag(name)) and "%s" not in terminator):
        return name
    if not hyphen:
        name = name.replace("-", " ")
    name = re.sub(r"\s*\-\s*", "-", name)
    name = re.sub(r"\s+", " ", name)
    name = re.sub(r"-([a-z])", "\u2013\\1", name)
    i = len(name) - 2
    while i > -1:
        if name[i] == "." and name[i + 1:i + 2] != " ":
            name = name[:i] + ". " + name[i + 1:]
        i -= 1
    parts = _NAME_SPLIT.split(name)
    strings, tags = parts[0::2], parts[1::2]
    namelist = [strings[0]]
    if not tags:
        mmm = re.search(r"[^\.]+$", namelist[0])
        if mmm and len(mmm.group(0)) == 1 and mmm.group(0) != mmm.group(0).lower():
            namelist[0] += "."
    for i in range(1, len(strings)):
        namelist.append(tags[i - 1])
        namelist.append(strings[i])
    ret = _normalise(namelist, terminator) if normalise_only else _initialise(namelist, terminator)
    return re.sub("\u2013([a-z])", r"-\1", ret)


def _cleanup(text: str) -> str:
    text = re.sub("[\u0009\u000a\u000b\u000c\u000d\u0020\ufeff\u00a0]+$", "", text)
    text = re.sub(r"\s*\-\s*", "-", text)
    return re.sub("[\u0009\u000a\u000b\u000c\u000d\u0020]+", " ", text)


def _normalise(namelist: list[str], terminator: str) -> str:
    abbrev = []
    for i, piece in enumerate(namelist):
        bare = _notag(piece)
        if len(bare) > 1 and bare[-1:] == ".":
            namelist[i] = re.sub(r"^(.*)\.(.*)$", r"\1\2", piece)
            abbrev.append(True)
        elif len(piece) == 1 and piece.upper() == piece:
            abbrev.append(True)
        else:
            abbrev.append(False)
    for i in range(0, len(namelist), 2):
        if abbrev[i]:
            if i < len(namelist) - 2:
                namelist[i + 1] = _tagonly(namelist[i + 1])
                if not abbrev[i + 2]:
                    namelist[i + 1] = _tagonly(namelist[i + 1]) + " "
                if len(namelist[i + 2]) > 1:
                    namelist[i + 1] = re.sub("\ufeff$", "", terminator) + namelist[i + 1]
                else:
                    namelist[i + 1] = _mergetag(namelist[i + 1], terminator)
            if i == len(namelist) - 1:
                namelist[i] = namelist[i] + terminator
    return _cleanup("".join(namelist))


def _initialise(namelist: list[str], terminator: str) -> str:
    count = len(namelist)
    for i in range(0, count, 2):
        n = namelist[i]
        if not n:
            continue
        m = NAME_INITIAL.match(n)
        groups: list[str] | None = None
        if m:
            groups = [m.group(1), m.group(2) or "", m.group(3) or ""]
        elif not STARTS_ROMANESQUE.match(n) and len(n) > 1 and "%s" in terminator:
            groups = [n[0], n[1:], ""]
        if groups and groups[1] and groups[2]:
            groups = [groups[0] + groups[1], "", groups[2]]
        if groups and groups[0][:1] == groups[0][:1].upper():
            extra = ""
            if groups[1]:
                caps = ""
                for c in groups[1]:
                    if c == c.upper():
                        caps += c
                    else:
                        break
                if len(caps) < len(groups[1]):
                    extra = caps.lower()
            namelist[i] = groups[0] + extra
            if i < count - 1:
                if "%s" in terminator:
                    namelist[i] = terminator.replace("%s", namelist[i], 1)
                elif "-" in namelist[i + 1]:
                    namelist[i + 1] = _mergetag(namelist[i + 1].replace("-", "", 1), terminator) + "-"
                else:
                    namelist[i + 1] = _mergetag(namelist[i + 1], terminator)
            else:
                if "%s" in terminator:
                    namelist[i] = terminator.replace("%s", namelist[i], 1)
                else:
                    namelist.append(terminator)
        elif ROMANESQUE.search(n) and (groups is None or not groups[2]):
            namelist[i] = " " + n
    return _cleanup("".join(namelist))


# ---------------------------------------------------------------------------------------------
# The compiled elements


@dataclass
class NameSpec:
    """A ``<name>`` element, its ``<name-part>`` children and, derived from it, the
    ``<institution>`` citeproc-js adds for organisations."""

    attrs: dict[str, Any]
    fmt: Fmt
    family: Fmt | None = None
    given: Fmt | None = None
    institution_fmt: Fmt = field(default_factory=Fmt)
    institution_and: str | None = None
    # citeproc-js adds an <institution delimiter=", "> to every <names>, taking the delimiter
    # of the <name> if it has one.
    institution_delimiter: str | None = ", "
    # Options as read for an area (citation, bibliography): (area, key, parent key, default) -> value.
    resolved: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def inner(self, part: Fmt | None) -> Fmt:
        """A name-part's formatting without its affixes (which go on the joined part)."""
        if part is None:
            return EMPTY
        key = ("inner", id(part), None, None)
        found = self.resolved.get(key)
        if found is None or found[0] is not part:
            found = self.resolved[key] = (part, part.copy(prefix="", suffix=""))
        return found[1]

    @classmethod
    def of(cls, node: Any, ns: str) -> NameSpec:
        attrs: dict[str, Any] = {}
        for key in _INHERITED:
            if key in node.attrib:
                attrs[key] = node.get(key)
        for key in ("et-al-min", "et-al-use-first", "et-al-subsequent-min", "et-al-subsequent-use-first"):
            if key in attrs:
                attrs[key] = _int(attrs[key])
        if "et-al-use-last" in attrs:
            attrs["et-al-use-last"] = attrs["et-al-use-last"] == "true"
        if "initialize" in attrs:
            if attrs["initialize"] == "false":
                attrs["initialize"] = False
            else:
                del attrs["initialize"]
        spec = cls(attrs, Fmt.of(node, delimiter=False))
        institution: dict[str, str] = {k: node.get(k) for k in ("font-style", "font-variant", "font-weight",
                                                                  "text-decoration", "text-case") if node.get(k)}
        for part in node.iterchildren(f"{{{ns}}}name-part"):
            fmt = Fmt.of(part, delimiter=False)
            if part.get("name") == "family":
                spec.family = fmt
                institution.update({k: part.get(k) for k in ("font-style", "font-variant", "font-weight",
                                                               "text-decoration", "text-case") if part.get(k)})
            elif part.get("name") == "given":
                spec.given = fmt
        from bibkit.exporters.csl.runtime import DECORATION_ORDER

        case = institution.get("text-case", "")
        decorations = [(f"@{k}", institution[k]) for k in DECORATION_ORDER if k in institution]
        spec.institution_fmt = Fmt(decorations=decorations, text_case="" if case == "normal" else case)
        spec.institution_delimiter = node.get("delimiter", ", ")
        spec.institution_and = node.get("and")
        return spec


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


@dataclass
class LabelSpec:
    fmt: Fmt
    form: str = "long"
    plural: int | None = None  # None: contextual


@dataclass
class NamesNode:
    variables: list[str]
    fmt: Fmt
    name: NameSpec | None = None
    etal_fmt: Fmt | None = None
    etal_term: str | None = None
    label_before: LabelSpec | None = None
    label_after: LabelSpec | None = None
    substitute: list[Any] | None = None  # compiled children
    names_delimiter: str | None = None
    has_name: bool = False  # a <name> child of its own (not a default or inherited one)


# ---------------------------------------------------------------------------------------------
# Rendering


class _PartOptions(NamedTuple):
    """The options every name's parts read (``NameOutput.opt``), read once for a ``<name>`` and area."""

    form: Any
    initialize: Any
    initialize_with: Any
    sort_separator: Any
    name_as_sort_order: Any


class NameOutput:
    """One cite's name rendering state (citeproc-js keeps one NameOutput per cite)."""

    def __init__(self, st: St) -> None:
        self.st = st
        self.nameset_base = 0
        self.nameset_offset = 0
        self.variables: list[str] = []
        self.node: NamesNode | None = None
        self.label_variable = ""

    # -- options, as citeproc-js's inheritOpt reads them --------------------------------------

    def fill_etal(self, spec: NameSpec | None) -> None:
        """The et-al settings a <name> fills in where a sort key (or an earlier <name> of the
        same <names>) has set none; they are also where disambiguation starts from
        (citeproc-js's tmp et-al, reset when a <names> ends)."""
        st = self.st
        if st.etal_min is None:
            st.etal_min = self.opt(spec, "et-al-min")
        if st.etal_use_first is None:
            st.etal_use_first = self.opt(spec, "et-al-use-first")
        if st.etal_use_last is None:
            st.etal_use_last = self.opt(spec, "et-al-use-last")

    def opt(self, spec: NameSpec | None, key: str, parent: str | None = None, default: Any = None) -> Any:
        st = self.st
        if spec is None:
            spec = st.engine.no_name_spec
        memo = (st.root, key, parent, default)
        try:
            return spec.resolved[memo]
        except KeyError:
            pass
        if key in spec.attrs:
            value = spec.attrs[key]
        else:
            value = st.engine.inherited[st.root].get(parent or key)
            if value is None:
                value = default
        spec.resolved[memo] = value
        return value

    def _part_options(self, spec: NameSpec) -> _PartOptions:
        memo = (self.st.root, "parts")  # (the options' own keys have four parts)
        found: _PartOptions | None = spec.resolved.get(memo)
        if found is None:
            found = spec.resolved[memo] = _PartOptions(
                self.opt(spec, "form", "name-form", "long"), self.opt(spec, "initialize"),
                self.opt(spec, "initialize-with"), self.opt(spec, "sort-separator"),
                self.opt(spec, "name-as-sort-order"))
        return found

    def init(self, node: NamesNode, variables: list[str]) -> None:
        st = self.st
        if st.term_predecessor:
            st.subsequent_author_substitute_ok = False
        self.nameset_base += self.nameset_offset
        self.nameset_offset = 0
        self.node = node
        self.variables = variables
        st.value = []
        st.rendered_name = []
        st.label_blob = None
        for v in self.variables:
            names = st.item.names(v)
            if names:
                st.value.extend(names)
        st.frame.variable_attempt = True
        self.label_variable = self.variables[0] if self.variables else ""

    def reinit(self, variables: list[str]) -> None:
        st = self.st
        self.label_variable = variables[0] if variables else ""
        if st.can_substitute[-1]:
            self.nameset_offset = 0
            self.variables = variables
            if any(st.item.names(v) for v in variables):
                st.can_substitute[-1] = False

    def output(self, outer: NamesNode, name_spec: NameSpec | None) -> None:
        """Render ``self.variables`` with the outer ``<names>`` element's configuration."""
        st = self.st
        engine = st.engine
        spec = name_spec or engine.no_name_spec
        delimiter = self.opt(spec, "delimiter", "name-delimiter", ", ")
        and_mode = self.opt(spec, "and")
        and_term: str | None = None
        if and_mode == "text":
            and_term = engine.term("and", "long", 0)
        elif and_mode == "symbol":
            and_term = "&"
        dpl = self.opt(spec, "delimiter-precedes-last")
        if and_term is not None and STARTS_ROMANESQUE.match(and_term):
            and_single, and_multiple, and_suffix = " ", delimiter if isinstance(delimiter, str) else ", ", " "
        else:
            and_single = and_multiple = and_suffix = ""
        if dpl == "always":
            and_single = delimiter
        elif dpl == "never":
            if and_multiple:
                and_multiple = " "
        elif dpl == "after-inverted-name":
            if and_single:
                and_single = delimiter
            if and_multiple:
                and_multiple = " "
        made: list[tuple[dict[str, Blob], dict[str, Blob] | None, dict[str, Blob]]] = []

        def joins() -> tuple[dict[str, Blob], dict[str, Blob] | None, dict[str, Blob]]:
            """The et-al, "and" and ellipsis pieces, made when a list of names needs them."""
            if made:
                return made[0]
            and_joins: dict[str, Blob] | None = None
            if and_mode:
                and_joins = {"single": self._leaf(and_term or "", EMPTY, and_single, and_suffix),
                             "multiple": self._leaf(and_term or "", EMPTY, and_multiple, and_suffix)}
            elif delimiter:
                and_joins = {"single": Blob(delimiter), "multiple": Blob(delimiter)}
            ellipsis: dict[str, Blob] = {}
            use_last_opt = self.opt(spec, "et-al-use-last")
            if use_last_opt:
                ellipsis = {"single": Blob("\u2026", " ", " "), "multiple": Blob("\u2026", delimiter or ", ", " ")}
            # et-al
            etal_term = engine.term(outer.etal_term or "et-al", "long", 0)
            etal_single, etal_multiple = " ", delimiter
            dpe = self.opt(spec, "delimiter-precedes-et-al")
            if dpe == "always":
                etal_single = delimiter
            elif dpe == "never":
                etal_multiple = " "
            elif dpe == "after-inverted-name":
                etal_single, etal_multiple = delimiter, " "
            if not STARTS_ROMANESQUE.match(etal_term or ""):
                etal_single = "" if etal_single == " " else etal_single
                etal_multiple = "" if etal_multiple == " " else etal_multiple
            etal_fmt = outer.etal_fmt or EMPTY
            etal = {"single": self._leaf(etal_term, etal_fmt, etal_single, ""),
                    "multiple": self._leaf(etal_term, etal_fmt, etal_multiple or "", "")}
            made.append((etal, and_joins, ellipsis))
            return made[0]

        st.term_predecessor_name = True  # as making those pieces would (citeproc-js always does)

        self.fill_etal(spec)
        # et-al configuration (getEtAlConfig)
        if st.position:
            etal_min = self.opt(spec, "et-al-subsequent-min") or self.opt(spec, "et-al-min")
            etal_first = self.opt(spec, "et-al-subsequent-use-first") or self.opt(spec, "et-al-use-first")
            etal_last = None
        else:
            etal_min = st.etal_min or self.opt(spec, "et-al-min")
            etal_first = st.etal_use_first or self.opt(spec, "et-al-use-first")
            etal_last = st.etal_use_last if isinstance(st.etal_use_last, bool) else self.opt(spec, "et-al-use-last")
        if not st.etal_min:
            st.etal_min = etal_min
        variables = self.variables
        freeters: dict[str, list[Name]] = {}
        counts: dict[str, int] = {}
        offsets: dict[str, int] = {}
        maximum = engine.max_names.get(st.root, 0)
        for v in variables:
            offsets[v] = self.nameset_offset
            values = list(st.item.names(v) or [])
            freeters[v] = values
            if values:
                self.nameset_offset += 1
            counts[v] = len(values)
            if maximum and len(values) > 50 and len(values) > maximum + 2:
                freeters[v] = values[:maximum + 1] + values[-1:]
        # disambiguation of given names, then how many names
        for i, v in enumerate(variables):
            if freeters[v]:
                self._disambig_givens(freeters[v], self.nameset_base + i, spec)
        names_count = 0
        for i, v in enumerate(variables):
            pos = self.nameset_base + i
            if freeters[v]:
                st.names_max.append(len(freeters[v]))
                freeters[v] = self._constrain(freeters[v], counts[v], pos, etal_min, etal_first, etal_last)
                names_count += len(freeters[v])
        if spec.attrs.get("form") == "count":
            if st.sort_key_flag or names_count != 0:
                st.queue.append(str(names_count), EMPTY)
                st.frame.variable_success = True
            return
        etal_spec: dict[str, int] = {}
        for v in variables:
            etal_spec[v] = 0
            if freeters[v] and len(freeters[v]) < counts[v] and not st.sort_key_flag:
                etal_spec[v] = 2 if etal_last else 1
        common_term = self._common_term(outer, variables, freeters, etal_spec)
        blobs: list[Any] = []
        for i, v in enumerate(variables):
            pos = self.nameset_base + i
            if not freeters[v]:
                continue
            rendered = self._render_names(v, freeters[v], pos, spec, delimiter, etal_spec[v], joins, dpl, and_term)
            if rendered is not None:
                if not st.area.endswith("_sort"):
                    rendered = self._labels(rendered, v, outer, counts[v], common_term)
                blobs.append(rendered)
            if common_term:
                break
        queue = st.queue
        queue.open(Fmt(delimiter=outer.names_delimiter if outer.names_delimiter is not None
                       else st.engine.inherited[st.root].get("names-delimiter") or ""))
        for blob in blobs:
            queue.append(blob, not_serious=True, literal=True)
        if not st.just_looking and blobs:
            st.probably_rendered_something = True
        queue.close()
        top = queue.pop()
        st.name_node["top"] = top
        queue.append(top, outer.fmt)
        if st.term_predecessor_name:
            st.term_predecessor = True
        self.variables = []

    def _leaf(self, text: str, fmt: Fmt, prefix: str, suffix: str) -> Blob:
        queue = self.st.queue
        queue.append(text, fmt, not_serious=True)
        blob: Blob = queue.pop()
        blob.prefix, blob.suffix = prefix, suffix
        return blob

    def _constrain(self, names: list[Name], count: int, pos: int, etal_min: Any, etal_first: Any,
                   etal_last: Any) -> list[Name]:
        st = self.st
        request = st.disambig_request
        discretionary = st.etal_min
        if st.suppress_decorations:
            if request is not None and pos < len(request.names) and request.names[pos]:
                discretionary = request.names[pos]
            elif etal_min is not None and count >= etal_min:
                discretionary = etal_first
        else:
            if (request is not None and pos < len(request.names) and etal_first is not None
                    and request.names[pos] > etal_first):
                discretionary = count if etal_min is not None and count < etal_min else request.names[pos]
            elif etal_min is not None and count >= etal_min:
                discretionary = etal_first
            if etal_last and discretionary is not None and etal_min is not None and discretionary > etal_min - 2:
                discretionary = etal_min - 2
        sane = etal_min is not None and etal_first is not None and etal_min >= etal_first
        overlength = discretionary is not None and count > discretionary
        if discretionary is not None and discretionary > count:
            discretionary = len(names)
        if sane and overlength and discretionary is not None:
            names = names[:discretionary] + (names[-1:] if etal_last else [])
        settings = st.disambig_settings
        while len(settings.names) <= pos:
            settings.names.append(0)
        settings.names[pos] = len(names)
        settings.pad()
        return names

    def _disambig_givens(self, names: list[Name], pos: int, spec: NameSpec) -> None:
        st = self.st
        engine = st.engine
        settings = st.disambig_settings
        initials = self.opt(spec, "initialize-with")
        form = self.opt(spec, "form", "name-form", "long")
        registry = engine.names_registry
        while len(settings.givens) <= pos:
            settings.givens.append([])
        for i, name in enumerate(names):
            if not name.given and not name.family:
                continue
            registry.add(st.item.id, name, i)
            base = registry.evaluate(st.item.id, name, i, 0, form, initials)
            if i >= len(settings.givens[pos]):
                settings.givens[pos].append(base)
            if st.disambig_request is not None:
                value = settings.givens[pos][i] if i < len(settings.givens[pos]) else 0
                if (value == 1 and engine.givenname_rule == "by-cite"
                        and (not isinstance(initials, str) or not name.given)):
                    value = 2
                param = value
                if engine.add_givenname and name.given:
                    param = registry.evaluate(st.item.id, name, i, param, form, initials)
            else:
                param = base
            if not st.sort_key_flag:
                row = settings.givens[pos]
                while len(row) <= i:  # citeproc-js's arrays take any index
                    row.append(0)
                row[i] = param

    def _common_term(self, outer: NamesNode, variables: list[str], freeters: dict[str, list[Name]],
                     etal_spec: dict[str, int]) -> str | None:
        if len(variables) < 2:
            return None
        term = "".join(sorted(variables))
        label = outer.label_before or outer.label_after
        if label is None or self.st.engine.locale.term(term) is None:
            return None
        if not self.st.engine.term(term, label.form, 0):
            return None
        for a, b in itertools.pairwise(variables):
            if (freeters[a] or freeters[b]) and (
                    etal_spec[a] != etal_spec[b] or not _same_names(freeters[a], freeters[b])):
                return None
        return term

    def _labels(self, blob: Any, variable: str, outer: NamesNode, count: int, common_term: str | None) -> Any:
        label = outer.label_before or outer.label_after
        if label is None:
            return blob
        st = self.st
        plural = 1 if count > 1 else 0
        if label.plural is not None:
            plural = label.plural
        term = common_term or variable
        text = st.engine.term(term, label.form, plural)
        if label.fmt.strips_periods or st.strip_periods:
            text = text.replace(".", "")
        queue = st.queue
        queue.open()
        if outer.label_before is not None:
            queue.append(text, label.fmt, not_serious=True)
            queue.append(blob, literal=True, not_serious=True)
        else:
            queue.append(blob, literal=True, not_serious=True)
            queue.append(text, label.fmt, not_serious=True)
            st.label_blob = queue.pop()
            queue.append(st.label_blob, literal=True, not_serious=True)
        queue.close()
        return queue.pop()

    # -- joining (citeproc-js's NameOutput._join and friends) ---------------------------------

    def join(self, blobs: list[Any], delimiter: str, final: Blob | None = None) -> Blob | None:
        blobs = [b for b in blobs if b and b.blobs]
        if not blobs:
            return None
        if len(blobs) > 1:
            if len(blobs) == 2:
                if final is None:
                    blobs[0].suffix += delimiter
                else:
                    blobs = [blobs[0], final, blobs[1]]
            else:
                offset = 1 if final is not None else 0
                last = blobs.pop()
                for i in range(len(blobs) - offset):
                    blobs[i].suffix += delimiter
                blobs.append(final)
                blobs.append(last)
        # What citeproc-js's queue does here (open a level, append each blob, close, pop the
        # level), built directly: a level holding each blob in a level of its own, both
        # inheriting the decorations above. A level with nothing of its own around a bare level
        # changes no text (see Queue.close_plain): a bare blob (an earlier join) goes in as it is.
        above = self.st.queue.stack[-1].alldecor
        level = Blob()
        wrapped = level.blobs
        assert isinstance(wrapped, list)
        for blob in blobs:
            if blob is not None:
                if bare(blob):
                    wrapped.append(blob)
                    continue
                wrapper = Blob([blob])
                if above:
                    wrapper.alldecor = above
                wrapped.append(wrapper)
        if above:
            level.alldecor = above
        return level

    def _render_names(self, v: str, names: list[Name], pos: int, spec: NameSpec, delimiter: str, etal_mode: int,
                      joins: Callable[[], tuple[dict[str, Blob], dict[str, Blob] | None, dict[str, Blob]]],
                      dpl: Any, and_term: str | None) -> Blob | None:
        st = self.st
        blobs: list[Any] = []
        for i, name in enumerate(names):
            self._rendered(name)
            if not name.literal and not name.family and not name.given:
                continue  # prints nothing, and citeproc-js joins the names without it
            if not name.literal:
                blob = self._personal(name, pos, i, spec)
                st.queue.append(blob, spec.fmt, not_serious=True)
                blobs.append(st.queue.pop())
            else:
                blobs.append(self._institution(name, spec))
        blobs = [b for b in blobs if b and b.blobs]
        if etal_mode == 0 and len(blobs) < 2:
            return self.join(blobs, delimiter)
        etal, and_joins, ellipsis = joins()
        if etal_mode == 1:
            joined = self.join(blobs, delimiter)
            queue = st.queue
            queue.open(spec.fmt.copy(delimiter=""))
            queue.append(joined, literal=True, not_serious=True)
            if len(blobs) > 1:
                queue.append(_clone(etal["multiple"]), literal=True, not_serious=True)
            elif len(blobs) == 1:
                queue.append(_clone(etal["single"]), literal=True, not_serious=True)
            queue.close()
            result: Blob = queue.pop()
            return result
        if etal_mode == 2:
            final = None
            if len(blobs) > 1:
                final = _clone(ellipsis["multiple" if len(blobs) > 2 else "single"])
                final = self._after_inverted(blobs, delimiter, final, dpl)
            return self.join(blobs, delimiter, final)
        if st.sort_key_flag:
            return self.join(blobs, delimiter)
        final = None
        if len(blobs) > 1 and and_joins is not None:
            which = "multiple" if len(blobs) > 2 else "single"
            final = _clone(and_joins[which])
            if blobs[-1].institution:
                final = self._institution_and(spec, delimiter, and_term, which, final)
            final = self._after_inverted(blobs, delimiter, final, dpl)
        return self.join(blobs, delimiter, final)

    def _institution_and(self, spec: NameSpec, delimiter: str, name_and: str | None, which: str,
                         name_final: Blob) -> Blob:
        """The join before an organisation that ends a list follows the ``<institution>``
        citeproc-js derives from ``<name>``: its own ``and``, the style's delimiter rules."""
        engine = self.st.engine
        inst_delimiter = spec.institution_delimiter if spec.institution_delimiter is not None else delimiter
        mode = spec.institution_and or engine.inherited[self.st.root].get("and")
        term: str | None
        if mode == "text":
            term = engine.term("and", "long", 0)
        elif mode == "symbol":
            term = "&"
        elif mode == "none":
            term = inst_delimiter
        else:
            term = name_and
        if term is not None and STARTS_ROMANESQUE.match(term):
            single, multiple, suffix = " ", inst_delimiter, " "
        else:
            single = multiple = suffix = ""
        dpl = engine.inherited[self.st.root].get("delimiter-precedes-last")
        if dpl == "always":
            single = inst_delimiter
        elif dpl == "never" and multiple:
            multiple = " "
        if term is None:
            return Blob(inst_delimiter)
        blob = self._leaf(term, EMPTY, single if which == "single" else multiple, suffix)
        if not blob.blobs:
            blob.blobs = name_final.blobs
        return blob

    @staticmethod
    def _after_inverted(blobs: list[Any], delimiter: str, final: Blob, dpl: Any) -> Blob:
        if dpl == "after-inverted-name" and len(blobs) > 1:
            previous = blobs[-2]
            if isinstance(previous.blobs, list) and previous.blobs and getattr(previous.blobs[0], "inverted", False):
                final.prefix = delimiter
        return final

    def _rendered(self, name: Name) -> None:
        st = self.st
        # (read only for subsequent-author-substitute)
        if (st.area == "bibliography" and st.rendered_name is not None
                and st.engine.subsequent_author_substitute is not None):
            st.rendered_name.append("".join(name.part(p) for p in NAME_PARTS))

    def _part(self, text: str, fmt: Fmt | None, spec: NameSpec) -> Blob | None:
        st = self.st
        if text and (st.strip_periods or (fmt is not None and fmt.strips_periods)):
            text = text.replace(".", "")
        if st.queue.append(text, spec.inner(fmt), not_serious=True):
            blob: Blob = st.queue.pop()
            return blob
        return None

    def _personal(self, name: Name, pos: int, i: int, spec: NameSpec) -> Blob:
        st = self.st
        engine = st.engine
        language = st.item.language
        order = romanesque(name, language)
        # citeproc-js keeps an input's static-ordering only for items without a language.
        static_ordering = bool(name.raw.get("static-ordering")) and not language
        comma_dp = name.comma_dropping_particle
        # dropping particle
        dp_text = name.dropping_particle
        if dp_text and st.sort_key_flag:
            dp_text = re.sub(r"['\u2019]", "", dp_text, count=1)
        dropping: Blob | None
        if name.dropping_particle and re.match(r"^et.?al[^a-z]$", name.dropping_particle):
            comma_dp = ""
            dropping = None
        else:
            dropping = self._part(dp_text, spec.given, spec) if dp_text else None
        family = self._part(name.family, spec.family, spec)
        ndp_text = name.non_dropping_particle
        if ndp_text and st.sort_key_flag:
            ndp_text = re.sub(r"['\u2019]", "", ndp_text, count=1)
        ndp = self._part(ndp_text, spec.family, spec) if ndp_text else None
        options = self._part_options(spec)
        given, level = self._given(name, pos, i, spec, options)
        suffix = self._suffix(name, spec)
        if given is None:
            dropping = None
            suffix = None
        sort_sep = options.sort_separator or ""
        suffix_sep = ", " if name.comma_suffix else " "
        hyphenated = _ends_joining(ndp)
        nbsp = "\u00a0" if engine.default_locale[:2] in ("fr", "ru", "cs") else " "
        join = self.join
        blob: Blob | None
        nso = options.name_as_sort_order
        if order == 0:
            blob = join([ndp, family, given], "")
        elif order == 1 or static_ordering:
            merged = join([ndp, family], nbsp)
            blob = join([merged, given], " ")
        elif st.sort_key_flag:
            if engine.demote == "never":
                merged = join([ndp, family], nbsp)
                merged = join([merged, dropping], " ")
                merged = join([merged, given], engine.sort_sep)
                blob = self._with_suffix(merged, suffix, " ")
            else:
                second = join([given, dropping, ndp], " ")
                merged = join([family, second], engine.sort_sep)
                blob = self._with_suffix(merged, suffix, " ")
        elif nso == "all" or (nso == "first" and i == 0):
            if name.given in ("Lord", "Lady"):
                sort_sep = ", "
            if engine.demote in ("always", "display-and-sort"):
                second = join([given, dropping], comma_dp + " ")
                second = join([second, ndp], " ")
                if second is not None and spec.given is not None:
                    second.prefix, second.suffix = spec.given.prefix, spec.given.suffix
                if family is not None and spec.family is not None:
                    family.prefix, family.suffix = spec.family.prefix, spec.family.suffix
                merged = join([family, second], sort_sep)
                blob = self._with_suffix(merged, suffix, sort_sep)
            else:
                first = join([ndp, family], "" if hyphenated else nbsp)
                if first is not None and spec.family is not None:
                    first.prefix, first.suffix = spec.family.prefix, spec.family.suffix
                second = join([given, dropping], comma_dp + " ")
                if second is not None and spec.given is not None:
                    second.prefix, second.suffix = spec.given.prefix, spec.given.suffix
                merged = join([first, second], sort_sep)
                blob = self._with_suffix(merged, suffix, sort_sep)
            if blob is not None:
                blob.inverted = True
        else:
            particle = name.dropping_particle
            if (particle and name.family and not name.non_dropping_particle
                    and particle[-1:] in ("'", "\u02bc", "\u2019", "-") and particle[:-1] != "de"):
                family = join([dropping, family], "")
                dropping = None
            if hyphenated:
                second = join([ndp, family], "")
                second = join([dropping, second], nbsp)
            else:
                second = join([dropping, ndp, family], nbsp)
            second = join([second, suffix], suffix_sep)
            if second is not None and spec.family is not None:
                second.prefix, second.suffix = spec.family.prefix, spec.family.suffix
            if given is not None and spec.given is not None:
                given.prefix, given.suffix = spec.given.prefix, spec.given.suffix
            if second is not None and second.prefix:
                comma_dp = ""
            initials = options.initialize_with
            space = nbsp if (isinstance(initials, str) and re.search("[\u00a0\ufeff]", initials)
                             and level == 1) else " "
            blob = join([given, second], comma_dp + space)
        st.frame.variable_success = True
        st.can_substitute[-1] = False
        st.term_predecessor = True
        st.name_node.setdefault("children", []).append(blob)
        return blob if blob is not None else Blob("")

    def _with_suffix(self, merged: Blob | None, suffix: Blob | None, delimiter: str) -> Blob | None:
        """A name's parts joined to its suffix (``Jr.``). Without one, the join would be a level
        with nothing of its own around ``merged``, itself a join: where ``merged`` is bare, the
        level is left out, as Queue.close_plain leaves out such a level (most names have no
        suffix; a name's parts are five to ten levels)."""
        if suffix is None and merged is not None and bare(merged):
            return merged
        return self.join([merged, suffix], delimiter)

    def _given(self, name: Name, pos: int, i: int, spec: NameSpec,
               options: _PartOptions) -> tuple[Blob | None, int]:
        st = self.st
        engine = st.engine
        form_short = options.form != "long"
        initialize_on = options.initialize is not False
        initials = options.initialize_with
        has_initials = isinstance(initials, str)
        if form_short:
            default = 0
        elif has_initials:
            default = 1
        else:
            default = 2
        givens = st.disambig_settings.givens
        requested = givens[pos][i] if pos < len(givens) and i < len(givens[pos]) else 0
        level = requested if requested > default else default
        if engine.givenname_rule.endswith("-with-initials"):
            has_initials = True
        given = name.given
        if name.family and level == 1:
            if has_initials:
                given = initialize_with(given, initials if isinstance(initials, str) else "", not initialize_on,
                                        engine.initialize_with_hyphen)
        elif level == 0:
            return None, 0
        if st.strip_periods or (spec.given is not None and spec.given.strips_periods):
            given = given.replace(".", "")
        if st.queue.append(given, spec.inner(spec.given), not_serious=True):
            blob: Blob = st.queue.pop()
            return blob, level
        return None, level

    def _suffix(self, name: Name, spec: NameSpec) -> Blob | None:
        st = self.st
        text = name.suffix
        if not text:
            return None  # (an empty piece: joins leave it out)
        initials = self.opt(spec, "initialize-with")
        if text and isinstance(initials, str):
            text = initialize_with(text, initials, True, st.engine.initialize_with_hyphen)
        if text and (st.strip_periods or (spec.family is not None and spec.family.strips_periods)):
            text = text.replace(".", "")
        tail = ""
        if text and text[-1:] == ".":
            text, tail = text[:-1], "."
        if st.queue.append(text, EMPTY, not_serious=True):
            blob: Blob = st.queue.pop()
            blob.suffix = tail + blob.suffix
            return blob
        return None

    def _institution(self, name: Name, spec: NameSpec) -> Blob | None:
        st = self.st
        style = spec.institution_fmt
        parts = re.split(r"\s*\|\s*", name.literal)
        blobs = []
        for part in parts:
            text = part
            if st.strip_periods or style.strips_periods:
                text = text.replace(".", "")
            st.frame.variable_success = True
            st.can_substitute[-1] = False
            st.queue.append(text, style, not_serious=True)
            blobs.append(st.queue.pop())
        separator = spec.institution_delimiter if spec.institution_delimiter is not None else \
            self.opt(spec, "delimiter", "name-delimiter", ", ")
        joined = self.join(blobs, separator)
        blob = self.join([joined], " ")
        if blob is not None:
            blob.institution = True
        st.name_node.setdefault("children", []).append(blob)
        return blob


def _clone(blob: Blob) -> Blob:
    copy = Blob(blob.blobs if isinstance(blob.blobs, str) else list(blob.blobs), blob.prefix, blob.suffix,
                blob.delimiter, blob.decorations, blob.text_case)
    copy.alldecor = blob.alldecor
    return copy


def _ends_joining(blob: Any) -> bool:
    if blob is None:
        return False
    if isinstance(blob.blobs, str):
        return blob.blobs[-1:] in ("\u2019", "'", "-", " ")
    return bool(blob.blobs) and _ends_joining(blob.blobs[-1])


def _same_names(a: list[Name], b: list[Name]) -> bool:
    if len(a) != len(b):
        return False
    return all(x.part(p) == y.part(p) for x, y in zip(a, b, strict=True) for p in NAME_PARTS)


# ---------------------------------------------------------------------------------------------
# The name registry (citeproc-js's Registry.NameReg): who else has this family name?


class NameRegistry:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.reg: dict[str, dict[str, Any]] = {}
        self._cache: dict[tuple[str, int], tuple[str, str, str]] = {}
        self._added: dict[str, set[tuple[str, str]]] = {}
        self._marks: dict[str, list[tuple[int, int]]] = {}
        # Counts up whenever what ``evaluate`` reads changes.
        self.version = 0
        # While a list: what ``add`` and ``evaluate`` did, in order, for ``replay``.
        self.log: list[list[Any]] | None = None
        # Only the first name of a list is registered and may expand (most author-date styles):
        # the other names' answers are their form's level, with nothing to look up.
        self.primary = engine.givenname_rule.startswith("primary-")

    @property
    def read(self) -> bool:
        """Whether what ``evaluate`` answers can depend on the names added: only where the style
        disambiguates given names. Otherwise it is asked with request 0 alone (``_disambig_givens``)
        and answers the form's level whatever the registry holds."""
        return bool(self.engine.add_givenname)

    def _keys(self, item_id: str, name: Name) -> tuple[str, str, str]:
        key = (item_id, id(name))
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._make_keys(item_id, name)
        return found

    def _make_keys(self, item_id: str, name: Name) -> tuple[str, str, str]:
        def strip(text: str) -> str:
            return re.sub(r"\s+$", "", re.sub(r"\s+", " ", (text or "").replace(".", " ")))

        pkey = strip(name.family)
        if self.engine.demote == "never" and name.non_dropping_particle and name.family:
            pkey = f"{pkey} {name.non_dropping_particle}"
        skey = strip(name.given)
        m = re.search(r"[,!]* ([^,]+)$", skey)
        if m and m.group(1) == m.group(1).lower():
            skey = re.sub(r"[,!]* [^,]+$", "", skey)
        ikey = initialize_with(skey, "%s", False, self.engine.initialize_with_hyphen)
        if self.engine.givenname_rule == "by-cite":
            pkey = item_id + pkey
        return pkey, ikey, skey

    def add(self, item_id: str, name: Name, position: int) -> None:
        rule = self.engine.givenname_rule
        if rule.startswith("primary-") and position != 0:
            return
        pkey, ikey, skey = self._keys(item_id, name)
        if not pkey:
            return
        if self.log is not None:
            self.log.append([item_id, pkey, ikey, skey])
        self._add(item_id, pkey, ikey, skey)

    def _add(self, item_id: str, pkey: str, ikey: str, skey: str) -> None:
        self._added.setdefault(item_id, set()).add((pkey, ikey))
        entry = self.reg.get(pkey)
        if entry is None:
            entry = self.reg[pkey] = {"count": 0, "ikey": {}, "items": []}
            self.version += 1
        if item_id not in entry["items"]:
            entry["items"].append(item_id)
        if ikey:
            if ikey not in entry["ikey"]:
                entry["ikey"][ikey] = {"count": 0, "skey": {}, "items": [item_id]}
                entry["count"] += 1
                self.version += 1
            elif item_id not in entry["ikey"][ikey]["items"]:
                entry["ikey"][ikey]["items"].append(item_id)
            if skey:
                sub = entry["ikey"][ikey]
                if skey not in sub["skey"]:
                    sub["skey"][skey] = {"items": [item_id]}
                    sub["count"] += 1
                    self.version += 1
                elif item_id not in sub["skey"][skey]["items"]:
                    sub["skey"][skey]["items"].append(item_id)

    def emptied(self) -> NameRegistry:
        """A registry without names that keeps the keys made so far (a name's keys depend on
        its item and itself alone)."""
        empty = NameRegistry(self.engine)
        empty._cache = self._cache
        return empty

    def save(self) -> NameRegistry:
        """A copy to ``restore`` from: what ``_add`` changes in place is copied (a list's marks
        are replaced whole, never changed)."""
        saved = NameRegistry(self.engine)
        saved.reg = {pkey: {"count": entry["count"], "items": list(entry["items"]), "ikey": {
            ikey: {"count": sub["count"], "items": list(sub["items"]),
                   "skey": {skey: {"items": list(leaf["items"])} for skey, leaf in sub["skey"].items()}}
            for ikey, sub in entry["ikey"].items()}} for pkey, entry in self.reg.items()}
        saved._added = {item_id: set(keys) for item_id, keys in self._added.items()}
        saved._marks = dict(self._marks)
        saved._cache, saved.version = dict(self._cache), self.version
        return saved

    def restore(self, saved: NameRegistry) -> None:
        self.reg, self._added, self._marks = saved.reg, saved._added, saved._marks
        self._cache, self.version = saved._cache, saved.version

    def _counts(self, item_id: str) -> list[tuple[int, int]]:
        out = []
        for pkey, ikey in sorted(self._added.get(item_id, ())):
            entry = self.reg[pkey]
            out.append((entry["count"], entry["ikey"][ikey]["count"] if ikey else 0))
        return out

    def mark(self, item_id: str) -> None:
        """Remember what ``evaluate`` sees for the item's names now."""
        self._marks[item_id] = self._counts(item_id)

    def unchanged(self, item_id: str) -> bool:
        """``evaluate`` would answer for the item's names as it did at ``mark``: it reads only
        the counts of their family names and initials, and those are as they were."""
        return self._marks.get(item_id) == self._counts(item_id)

    def evaluate(self, item_id: str, name: Name, position: int, request: int, form: str, initials: Any) -> int:
        param = 0 if form == "short" else 1 if isinstance(initials, str) else 2
        if position and self.primary:
            return param  # (``_answer``'s answer for a name after the first, whatever is registered)
        pkey, ikey, _ = self._keys(item_id, name)
        answer = self._answer(item_id, pkey, ikey, position, request, param, isinstance(initials, str))
        if self.log is not None:
            self.log.append([item_id, pkey, ikey, position, request, param, isinstance(initials, str), answer])
        return answer

    @contextlib.contextmanager
    def logging(self) -> Iterator[list[list[Any]]]:
        """What ``add`` and ``evaluate`` do meanwhile, in order, for ``replay``."""
        log: list[list[Any]] = []
        self.log = log
        try:
            yield log
        finally:
            self.log = None

    def replay(self, log: list[list[Any]]) -> bool:
        """Do again what a rendering logged (``log``) did to the registry, in order. False at
        the first answer this registry gives otherwise: that rendering met another state, and
        what it rendered must be rendered again from here (what that adds again, it adds without
        effect: adding is idempotent)."""
        for op in log:
            if len(op) == 4:
                self._add(*op)
            elif self._answer(*op[:7]) != op[7]:
                return False
        return True

    def _answer(self, item_id: str, pkey: str, ikey: str, position: int, request: int, param: int,
                initials: bool) -> int:
        engine = self.engine
        rule = engine.givenname_rule
        entry = self.reg.get(pkey)
        if entry is None or ikey not in entry["ikey"]:
            return param
        if item_id not in engine.registry:
            # The citation that registers an item (its ambiguity key) expands no given name,
            # whatever other items' names are: citeproc-js answers so for an item it has not
            # registered yet. Two items with the same citation are then in one group whoever
            # was registered between them (and get year suffixes).
            return param
        if rule == "by-cite" and param <= request:
            return request
        if not engine.add_givenname:
            return param
        if rule.startswith("primary-name") and position > 0:
            return param
        if rule in ("all-names", "primary-name", "by-cite", ""):
            if entry["count"] > 1:
                param = 1
            if entry["ikey"][ikey]["count"] > 1 or (entry["count"] > 1 and not initials):
                param = 2
        elif rule in ("all-names-with-initials", "primary-name-with-initials"):
            param = 1 if entry["count"] > 1 else 0
        return param
