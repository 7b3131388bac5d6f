"""What a compiled style works on while it renders one entry: the output queue and the state.

``Fmt`` is an element's formatting, read once when the style is compiled: affixes, delimiter,
decorations (formatting attributes in citeproc-js's fixed order) and text case. ``Queue`` is the
tree being built: ``open`` starts a level, ``append`` adds text (with the transformations
citeproc-js applies to every piece of text it outputs), ``close`` ends the level.
``St`` carries everything one rendering needs beside the queue: the item, the group frames
that decide whether a group prints, the variables already used by a substitution, and the
names and disambiguation settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bibkit.exporters.csl.output import ROMANESQUE, TERMINAL, Blob, Decoration

if TYPE_CHECKING:
    from bibkit.exporters.csl.engine import Engine

# The order citeproc-js applies formatting attributes in.
DECORATION_ORDER = ("strip-periods", "font-style", "font-variant", "font-weight", "text-decoration",
                    "vertical-align", "quotes")

_BEFORE_MARK = re.compile(" ([:;?!\u00bb])")
_NO_MARKS = frozenset(":;?!\u00bb\u00ab")
_SPACE_QUOTE = re.compile(r"\s+'")
_STRIP_PERIODS = re.compile(r"\.([^a-z]|$)")


@dataclass(slots=True)
class Fmt:
    """An element's formatting."""

    prefix: str = ""
    suffix: str = ""
    delimiter: str = ""
    decorations: list[Decoration] = field(default_factory=list)
    text_case: str = ""

    @classmethod
    def of(cls, node: Any, *, affixes: bool = True, delimiter: bool = True) -> Fmt:
        attrs = node.attrib
        decorations = [(f"@{name}", attrs[name]) for name in DECORATION_ORDER if attrs.get(name)]
        return cls(prefix=attrs.get("prefix", "") if affixes else "",
                   suffix=attrs.get("suffix", "") if affixes else "",
                   delimiter=attrs.get("delimiter", "") if delimiter else "",
                   decorations=decorations,
                   text_case=attrs.get("text-case", "") if attrs.get("text-case") != "normal" else "")

    @property
    def strips_periods(self) -> bool:
        return ("@strip-periods", "true") in self.decorations

    def blob(self, content: Any = None) -> Blob:
        return Blob(content, self.prefix, self.suffix, self.delimiter, self.decorations or None, self.text_case)

    def copy(self, **changes: Any) -> Fmt:
        # (not dataclasses.replace, which looks at the fields each time: numbers copy their
        # element's formatting for every value they print)
        copied = Fmt(self.prefix, self.suffix, self.delimiter, list(self.decorations), self.text_case)
        for name, value in changes.items():
            setattr(copied, name, value)
        return copied


EMPTY = Fmt()


@dataclass(slots=True)
class Frame:
    """Whether a group prints: it does when a variable in it printed, or when it holds a term
    and tried no variable (citeproc-js's group context)."""

    term_intended: bool = False
    variable_attempt: bool = False
    variable_success: bool = False
    old_term_predecessor: bool = False


class Queue:
    """The tree being built for one entry, sort key or citation."""

    __slots__ = ("elide", "numbered", "root", "st", "stack")

    def __init__(self, st: St) -> None:
        self.st = st
        self.root = Blob()
        self.stack: list[Blob] = [self.root]
        # The levels a number went into, at any depth (their ids): never bare (see close_plain).
        self.numbered: set[int] = set()
        # Whether close_plain may leave out a wrapper: not in an entry whose layout gives its
        # first or last level affixes after the fact (Engine._render).
        self.elide = True

    def reset(self) -> None:
        self.root = Blob()
        self.stack = [self.root]
        self.numbered = set()

    @property
    def current(self) -> Blob:
        return self.stack[-1]

    def open(self, fmt: Fmt = EMPTY) -> Blob:
        blob = Blob(None, fmt.prefix, fmt.suffix, fmt.delimiter, fmt.decorations, fmt.text_case)
        parent = self.stack[-1]
        above = parent.alldecor
        if above:
            blob.alldecor = blob.alldecor + above
        parent.blobs.append(blob)  # type: ignore[union-attr]
        self.stack.append(blob)
        return blob

    def open_blob(self, blob: Blob) -> Blob:
        self.stack[-1].push(blob)
        self.stack.append(blob)
        return blob

    def close(self) -> Blob:
        return self.stack.pop()

    def close_plain(self) -> None:
        """Close a group's or a macro call's level, which nothing refers to once closed. A level
        with nothing of its own (no affixes, delimiter, formatting or case) around a single
        level that is ``bare`` and holds no number at any depth is left out: the four
        punctuation passes and the flattening read the same text through it as without it
        (test_output_tree.py; the sweep's lists are the same to the byte), and half of a
        style's levels are such wrappers (a macro call is two levels, a group inside it a
        third)."""
        level = self.stack.pop()
        blobs = level.blobs
        if not self.elide or len(blobs) != 1 or level.prefix or level.suffix or level.delimiter \
                or level.decorations or level.text_case:
            return
        child: Any = blobs[0]
        if not self.unwrappable(child):
            return
        siblings = self.stack[-1].blobs
        if siblings and siblings[-1] is level:  # (always, unless the level was moved)
            siblings[-1] = child  # type: ignore[index]

    def unwrappable(self, child: Any) -> bool:
        """Whether a level with nothing of its own around ``child`` may be left out: ``child`` is
        bare and no number went into it (close_plain; compile's macro calls)."""
        return bare(child) and id(child) not in self.numbered

    def pop(self) -> Any:
        blobs = self.stack[-1].blobs
        assert isinstance(blobs, list)
        return blobs.pop()

    def append(self, content: Any, fmt: Fmt | None = EMPTY, not_serious: bool = False,
               ignore_predecessor: bool = False, no_strip_periods: bool = False, literal: bool = False) -> bool:
        """Add text (or a finished blob) to the current level, as citeproc-js's ``append``."""
        if content is None:
            return False
        st = self.st
        kind = content.__class__
        if kind is int:
            content, kind = str(content), str
        if st.macro_with_date and not not_serious and fmt is not MACRO_WITH_DATE:
            return False
        if not_serious:
            ignore_predecessor = True
        if literal:
            self.stack[-1].push(content)
            if content.num is not None:  # (numbers join and print through the levels they are in)
                self.numbered.update(map(id, self.stack))
            return True
        if fmt is None:
            fmt = EMPTY
        if kind is not str:
            blob = Blob([content], fmt.prefix, fmt.suffix, fmt.delimiter, fmt.decorations, fmt.text_case)
            self.stack[-1].push(blob)
            return True
        if content:
            if " " in content and not _NO_MARKS.isdisjoint(content):
                content = _BEFORE_MARK.sub("\u202f\\1", content).replace("\u00ab ", "\u00ab\u202f")
            if "'" in content:
                content = _SPACE_QUOTE.sub(" '", content)
                if not not_serious and content.startswith("'"):
                    content = " " + content
        if not ignore_predecessor:
            st.term_predecessor = True
        elif not_serious:
            st.term_predecessor_name = True
        blob = Blob(content, fmt.prefix, fmt.suffix, fmt.delimiter, fmt.decorations, fmt.text_case)
        if content and content[0] in TERMINAL and content[0] != " ":
            lead = ""
            rest = content
            while rest and rest[0] in TERMINAL:
                lead += rest[0]
                rest = rest[1:]
            if rest and lead:
                blob.prefix += lead
                blob.blobs = rest
        if fmt.text_case:
            blob.blobs = st.engine.case(fmt.text_case, content)
        if st.strip_periods and not no_strip_periods:
            blob.blobs = _STRIP_PERIODS.sub(r"\1", str(blob.blobs))
        if blob.decorations:
            kept = []
            for decoration in blob.decorations:
                if decoration[0] == "@quotes" and decoration[1] != "false":
                    blob.quotes_punct = True
                if decoration[0] == "@font-style" and not ROMANESQUE.search(str(blob.blobs)):
                    continue
                kept.append(decoration)
            blob.decorations = kept  # (alldecor keeps the list as it was, as in citeproc-js)
        self.stack[-1].push(blob)
        if content:
            st.engine.flipflop.process(blob)
        return True


MACRO_WITH_DATE = Fmt()


def bare(blob: Any) -> bool:
    """A level with nothing of its own but a delimiter (no affixes, formatting or case) that
    holds no number, and does not end in a suffix with two spaces: a level with nothing of its
    own around it may be left out (close_plain). (Each level moves one trailing space up, and
    drops it where its last child's suffix still ends in one: a wrapper is one more level.)"""
    inner = blob.blobs
    if inner.__class__ is not list or blob.prefix or blob.suffix or blob.decorations or blob.text_case:
        return False
    for child in inner:
        if child.num is not None:
            return False
    last = inner[-1] if inner else None
    while last is not None:
        suffix = last.suffix
        if suffix and suffix[-2:] == "  ":
            return False
        last = last.blobs[-1] if last.blobs.__class__ is list and last.blobs else None
    return True


@dataclass
class DisambigConfig:
    """How far a citation's names are expanded, and its year suffix (citeproc-js AmbigConfig)."""

    names: list[int] = field(default_factory=list)
    givens: list[list[int]] = field(default_factory=list)
    year_suffix: int | None = None
    disambiguate: int = 0

    def clone(self) -> DisambigConfig:
        return DisambigConfig(list(self.names), [list(g) for g in self.givens], self.year_suffix,
                              self.disambiguate)

    def pad(self) -> None:
        for i, count in enumerate(self.names):
            while len(self.givens) <= i:
                self.givens.append([])
            while len(self.givens[i]) < count:
                self.givens[i].append(0)


class St:
    """State for one rendering pass (an entry, a sort key, a citation)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.queue = Queue(self)
        self.item: Any = None
        self.area = "bibliography"
        self.root = "bibliography"
        self.suppress_decorations = False
        self.just_looking = False
        self.sort_key_flag = False
        self.macro_with_date = False
        self.frames: list[Frame] = [Frame()]
        self.done_vars: list[str] = []
        self.can_substitute: list[bool] = [False]
        self.can_block_substitute = False
        self.strip_periods = 0
        self.term_predecessor = False
        self.term_predecessor_name = False
        self.rendered_name: list[str] | None = None
        self.name_node: dict[str, Any] = {}
        self.label_blob: Any = None
        self.value: list[Any] = []
        self.common_term_match_fail = False
        self.disambig_settings = DisambigConfig()
        self.disambig_request: DisambigConfig | None = None
        self.names_max: list[int] = []
        self.nameset_base = 0
        self.nameset_offset = 0
        self.etal_min: int | None = None
        self.etal_use_first: int | None = None
        self.etal_use_last: bool | None = None
        self.shadow_numbers: dict[str, Any] = {}
        self.render_seen = False
        self.bib_other_open = False
        self.subsequent_author_substitute_ok = False
        self.disambiguate_count = 0
        self.disambiguate_max = 0
        self.has_done_year_suffix = False
        self.probably_rendered_something = False
        self.position = 0  # 0 first; 1 subsequent (ambiguous citations)
        self.first_name_string: str | None = None
        self.sort_keys: list[str | None] = []
        self.name_output: Any = None
        self.last_rendered_name: Any = None
        self.date_object: dict[str, Any] | None = None
        self.date_collapse_at: list[str] = []
        self.date_done: list[str] = []
        self.dateput: Blob = Blob()
        self.dateput_fmt: Fmt = EMPTY

    @property
    def frame(self) -> Frame:
        return self.frames[-1]
