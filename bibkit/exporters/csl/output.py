"""The output of one entry: a tree of blobs, its punctuation settled, then flattened to text.

Rendering a style builds a tree as citeproc-js does: every group, macro call, names element
and variable opens a *level* carrying its affixes, delimiter and formatting (decorations), and
text goes in as leaves. Before the tree becomes a string, four passes move and merge the
punctuation at the seams the way citeproc-js's output queue does (``adjust``): a suffix's
leading space or mark joins its parent's, a delimiter's first mark is copied onto the
siblings it separates, duplicate marks collapse (``.`` + ``.``), ``?`` absorbs a following
``.``, and, where the locale says punctuation goes inside quotes, a period or comma moves
inside the closing quotation mark. The exact rules matter: thousands of styles were written
against citeproc-js's output, and a reader sees every stray comma.

``Format`` is the output format (text, HTML, Markdown): how text is escaped and how each
formatting attribute is written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Decoration = tuple[str, str]

# Punctuation that merges with its neighbour (left mark -> right mark -> result).
MERGE: dict[str, dict[str, str]] = {
    "!": {".": "!", "?": "!?", ":": "!", ",": "!,", ";": "!;"},
    "?": {"!": "?!", ".": "?", ":": "?", ",": "?,", ";": "?;"},
    ".": {"!": ".!", "?": ".?", ":": ".:", ",": ".,", ";": ".;"},
    ":": {"!": "!", "?": "?", ".": ":", ",": ":,", ";": ":;"},
    ",": {"!": ",!", "?": ",?", ":": ",:", ".": ",.", ";": ",;"},
    ";": {"!": "!", "?": "?", ":": ";", ",": ";,", ".": ";"},
}
MERGE_RTL: dict[str, dict[str, str]] = {}
for _left, _table in MERGE.items():
    for _right, _result in _table.items():
        MERGE_RTL.setdefault(_right, {})[_left] = _result
PUNCT = frozenset(MERGE)
PUNCT_OR_SPACE = PUNCT | {" ", "\u00a0"}
SWAP_IN = frozenset(".!?,")  # may move inside closing quotes (never ; or :)
SWAP_OUT = frozenset(",;:")  # may move outside closing quotes (never . ! ?)
TERMINAL = frozenset(":.;!? ")
_FORMATTING = ("@font-style", "@font-variant", "@font-weight", "@text-decoration", "@vertical-align")
ROMANESQUE = re.compile(
    "[-0-9a-zA-Z\u0e01-\u0e5b\u00c0-\u017f\u0370-\u03ff\u0400-\u052f\u0590-\u05d4\u05d6-\u05ff"
    "\u1f00-\u1fff\u0600-\u06ff\u200c\u200d\u200e\u0218\u0219\u021a\u021b\u202a-\u202e]")

START, SUCCESSOR, SUCCESSOR_OF_SUCCESSOR, END, SEEN, SUPPRESS = range(6)


class Blob:
    """A level (``blobs`` is a list) or a leaf (``blobs`` is text)."""

    __slots__ = ("alldecor", "blobs", "decorations", "delimiter", "institution", "inverted", "prefix",
                 "quotes_punct", "suffix", "text_case")
    num = None  # a Blob is never a number
    particle = ""

    def __init__(self, blobs: str | list[Any] | None = None, prefix: str = "", suffix: str = "",
                 delimiter: str = "", decorations: list[Decoration] | None = None, text_case: str = "") -> None:
        self.blobs: str | list[Any] = [] if blobs is None else blobs
        self.prefix = prefix
        self.suffix = suffix
        self.delimiter = delimiter
        # The decorations of this level and of every level above it (non-empty lists only):
        # what a "normal" decoration would undo (see Renderer._orphan).
        if decorations:
            self.decorations: list[Decoration] = list(decorations)
            self.alldecor: tuple[list[Decoration], ...] = (self.decorations,)
        else:
            self.decorations = []
            self.alldecor = ()
        self.text_case = text_case
        self.quotes_punct = False
        self.institution = False
        self.inverted = False

    def push(self, child: Any) -> None:
        above = self.alldecor
        if above:
            child.alldecor = child.alldecor + above
        self.blobs.append(child)  # type: ignore[union-attr]

    def __repr__(self) -> str:  # for debugging
        return f"Blob({self.prefix!r}, {self.blobs!r}, {self.suffix!r}, d={self.delimiter!r}, {self.decorations})"


class NumericBlob:
    """A number that may join a range (citation numbers, year suffixes, numeric variables)."""

    __slots__ = ("alldecor", "blobs", "decorations", "formatter", "gender", "num", "particle", "prefix",
                 "range_prefix", "splice_prefix", "status", "successor_prefix", "suffix", "suppress_splice",
                 "text_case", "ugly")

    def __init__(self, num: int | str, particle: str = "", prefix: str = "", suffix: str = "",
                 decorations: list[Decoration] | None = None, text_case: str = "",
                 formatter: Callable[[Any, str | None], str] | None = None, gender: str | None = None,
                 successor_prefix: str = "", splice_prefix: str = "", range_prefix: str = "") -> None:
        self.num, self.particle = num, particle
        self.blobs = str(num)
        self.prefix, self.suffix = prefix, suffix
        self.decorations = list(decorations) if decorations else []
        self.alldecor: tuple[list[Decoration], ...] = ()
        self.text_case = text_case
        self.formatter = formatter
        self.gender = gender
        self.status = START
        self.successor_prefix, self.splice_prefix, self.range_prefix = successor_prefix, splice_prefix, range_prefix
        self.suppress_splice = False
        self.ugly = False

    @property
    def delimiter(self) -> str:
        return ""

    def kind(self) -> str:
        return self.formatter(1, None) if self.formatter else "1"

    def check_next(self, following: Any, start: bool) -> None:
        is_num = isinstance(following, NumericBlob)
        if start:
            self.status = START
            if is_num:
                following.status = SUCCESSOR if following.num == _plus1(self.num) else SEEN
        elif (not is_num or not following.num or self.kind() != following.kind()
              or following.num != _plus1(self.num)):
            if self.status == SUCCESSOR_OF_SUCCESSOR:
                self.status = END
            if is_num:
                following.status = SEEN
        elif self.status in (START, SEEN):
            following.status = SUCCESSOR
        elif self.status in (SUCCESSOR, SUCCESSOR_OF_SUCCESSOR):
            if self.range_prefix:
                following.status = SUCCESSOR_OF_SUCCESSOR
                self.status = SUPPRESS
            else:
                following.status = SUCCESSOR

    def check_last(self, last: Any) -> bool:
        if self.status == SEEN or (getattr(last, "num", None) != _minus1(self.num) and self.status == SUCCESSOR):
            self.status = SUCCESSOR
            return True
        return False

    def __repr__(self) -> str:
        return f"Num({self.prefix!r}, {self.num!r}, {self.suffix!r})"


def _plus1(n: Any) -> Any:
    return n + 1 if isinstance(n, int) else None


def _minus1(n: Any) -> Any:
    return n - 1 if isinstance(n, int) else None


# ---------------------------------------------------------------------------------------------
# Output formats


@dataclass(frozen=True)
class Format:
    name: str
    escape: Callable[[str], str]
    # (attribute, value) -> "%s" template; a missing pair passes text through.
    wrappers: dict[Decoration, str]

    def decorate(self, decoration: Decoration, text: str, quotes: tuple[str, str, str, str]) -> str:
        attr, value = decoration
        if attr == "@quotes":
            if value == "true":
                return quotes[0] + text + quotes[1]
            if value == "inner":
                return quotes[2] + text + quotes[3]
            return text
        template = self.wrappers.get(decoration)
        return template.replace("%s", text) if template is not None else text


# The superscript characters citeproc-js writes as <sup> in HTML (CSL.SUPERSCRIPTS), each as its
# base character(s): Unicode's <super> decomposition, and four it has none for.
_SUPER_CHARS = ("\u00aa\u00b2\u00b3\u00b9\u00ba\u02b0\u02b1\u02b2\u02b3\u02b4\u02b5\u02b6\u02b7\u02b8\u02e0\u02e1"
                "\u02e2\u02e3\u02e4\u1d2c\u1d2d\u1d2e\u1d30\u1d31\u1d32\u1d33\u1d34\u1d35\u1d36\u1d37\u1d38"
                "\u1d39\u1d3a\u1d3c\u1d3d\u1d3e\u1d3f\u1d40\u1d41\u1d42\u1d43\u1d44\u1d45\u1d46\u1d47\u1d48"
                "\u1d49\u1d4a\u1d4b\u1d4c\u1d4d\u1d4f\u1d50\u1d51\u1d52\u1d53\u1d54\u1d55\u1d56\u1d57\u1d58"
                "\u1d59\u1d5a\u1d5b\u1d5c\u1d5d\u1d5e\u1d5f\u1d60\u1d61\u2070\u2071\u2074\u2075\u2076\u2077"
                "\u2078\u2079\u207a\u207b\u207c\u207d\u207e\u207f\u2120\u2122\u3192\u3193\u3194\u3195\u3196"
                "\u3197\u3198\u3199\u319a\u319b\u319c\u319d\u319e\u319f")
_SUPERSCRIPTS = {ch: "".join(chr(int(code, 16)) for code in unicodedata.decomposition(ch).split()[1:])
                 for ch in _SUPER_CHARS}
_SUPERSCRIPTS.update({"\u02c0": "\u0294", "\u02c1": "\u0295", "\u06e5": "\u0648", "\u06e6": "\u064a"})
_SUPER_RE = re.compile("[" + "".join(_SUPERSCRIPTS) + "]")


def _html_escape(text: str) -> str:
    text = text.replace("&", "&#38;").replace("<", "&#60;").replace(">", "&#62;")
    text = re.sub(r"\s\s", "\u00a0 ", text)
    return _SUPER_RE.sub(lambda m: f"<sup>{_SUPERSCRIPTS.get(m.group(), m.group())}</sup>", text)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~!{}])")

def _unescaped(text: str) -> str:
    return text


TEXT = Format("text", _unescaped, {
    ("@bibliography", "entry"): "%s\n", ("@display", "block"): "\n%s", ("@display", "left-margin"): "%s ",
    ("@display", "indent"): "\n    %s",
})
HTML = Format("html", _html_escape, {
    ("@font-style", "italic"): "<i>%s</i>", ("@font-style", "oblique"): "<em>%s</em>",
    ("@font-style", "normal"): '<span style="font-style:normal;">%s</span>',
    ("@font-variant", "small-caps"): '<span style="font-variant:small-caps;">%s</span>',
    ("@font-variant", "normal"): '<span style="font-variant:normal;">%s</span>',
    ("@font-weight", "bold"): "<b>%s</b>", ("@font-weight", "normal"): '<span style="font-weight:normal;">%s</span>',
    ("@text-decoration", "none"): '<span style="text-decoration:none;">%s</span>',
    ("@text-decoration", "underline"): '<span style="text-decoration:underline;">%s</span>',
    ("@vertical-align", "sup"): "<sup>%s</sup>", ("@vertical-align", "sub"): "<sub>%s</sub>",
    ("@vertical-align", "baseline"): '<span style="baseline">%s</span>',
    ("@bibliography", "entry"): '  <div class="csl-entry">%s</div>\n',
    ("@display", "block"): '\n\n    <div class="csl-block">%s</div>\n',
    ("@display", "left-margin"): '\n    <div class="csl-left-margin">%s</div>',
    ("@display", "right-inline"): '<div class="csl-right-inline">%s</div>\n  ',
    ("@display", "indent"): '<div class="csl-indent">%s</div>\n  ',
})
# Markdown has no small capitals, underline or upright-inside-italic: the text stays as it is.
MARKDOWN = Format("markdown", lambda s: _MD_SPECIAL.sub(r"\\\1", s), {
    ("@font-style", "italic"): "*%s*", ("@font-style", "oblique"): "*%s*", ("@font-weight", "bold"): "**%s**",
    ("@vertical-align", "sup"): "<sup>%s</sup>", ("@vertical-align", "sub"): "<sub>%s</sub>",
    ("@bibliography", "entry"): "%s\n", ("@display", "block"): "\n%s", ("@display", "left-margin"): "%s ",
    ("@display", "indent"): "\n    %s",
})
FORMATS = {"text": TEXT, "html": HTML, "markdown": MARKDOWN}


# ---------------------------------------------------------------------------------------------
# The punctuation passes (citeproc-js: CSL.Output.Queue.adjust)


def _is_number(blob: Any) -> bool:
    return isinstance(blob.num, int) or (
        isinstance(blob.blobs, list) and len(blob.blobs) == 1 and isinstance(blob.blobs[0].num, int))


def _ends_in_number(blob: Any) -> bool:
    if isinstance(blob.num, int):
        return True
    if not isinstance(blob.blobs, list) or not blob.blobs:
        return False
    return _ends_in_number(blob.blobs[-1])


def _has_decorations(blob: Any, quotes: bool = False) -> bool:
    return any(attr in _FORMATTING or (quotes and attr == "@quotes") for attr, _ in blob.decorations)


def _has_descendant_quotes(blob: Any) -> bool:
    for attr, value in blob.decorations:
        if attr == "@quotes" and value != "false":
            return True
    if not isinstance(blob.blobs, list):
        return False
    return _has_descendant_quotes(blob.blobs[-1]) if blob.blobs else False


def _has_descendant_merging(parent_char: str, blob: Any) -> bool:
    child_char = blob.suffix[-1:]
    if not child_char and isinstance(blob.blobs, str):
        child_char = blob.blobs[-1:]
    merged = MERGE_RTL.get(parent_char, {}).get(child_char)
    if merged and len(merged) == 1:
        return True
    if not isinstance(blob.blobs, list) or not blob.blobs:
        return False
    return _has_descendant_merging(parent_char, blob.blobs[-1])


def _match_last_char(blob: Any, char: str) -> bool:
    if char not in PUNCT:
        return False
    if isinstance(blob.blobs, str):
        return blob.blobs[-1:] == char
    if not blob.blobs:
        return False
    child = blob.blobs[-1]
    child_char = child.suffix[-1:]
    if not child_char:
        return _match_last_char(child, char)
    return bool(child_char == char)


def _get(obj: Any, part: str) -> str:
    return obj.blobs if part == "blobs" else getattr(obj, part)  # type: ignore[no-any-return]


def _set(obj: Any, part: str, value: str) -> None:
    setattr(obj, part, value)


def _merge_chars(first: Any, first_part: str, second: Any, second_part: str, merge_right: bool = False) -> None:
    """The mark ending ``first``'s part meets the one starting ``second``'s: a duplicate is
    dropped; two that combine become one (on the right, or on the left)."""
    first_char = _get(first, first_part)[-1:]
    second_char = _get(second, second_part)[:1]
    if first_char == second_char:
        if merge_right:
            _set(first, first_part, _get(first, first_part)[:-1])
        else:
            _set(second, second_part, _get(second, second_part)[1:])
        return
    if merge_right:
        if first_char not in MERGE:
            return
        result = MERGE[first_char].get(second_char)
        if result is not None:
            _set(first, first_part, _get(first, first_part)[:-1])
            _set(second, second_part, result + _get(second, second_part)[1:])
        else:
            _set(second, second_part, first_char + _get(second, second_part))
            _set(first, first_part, _get(first, first_part)[:-1])
    else:
        if second_char not in MERGE_RTL:
            return
        result = MERGE_RTL[second_char].get(first_char)
        if result is not None:
            _set(first, first_part, _get(first, first_part)[:-1] + result)
            _set(second, second_part, _get(second, second_part)[1:])
        else:
            _set(first, first_part, _get(first, first_part) + second_char)
            _set(second, second_part, _get(second, second_part)[1:])


def _purge_up_left(parent: Any) -> None:
    """citeproc-js's first three passes in one walk: drop empty levels; move a child's leading
    mark or space up to its level (``upward``); merge the marks where undelimited siblings meet
    (``leftward``). The same as the three passes in turn: each node's own adjustments read and
    write only its children's affixes and its own, which no adjustment elsewhere touches out of
    order."""
    blobs = parent.blobs
    if blobs.__class__ is str:
        suffix = parent.suffix
        if suffix and suffix[0] in PUNCT and suffix[0] == blobs[-1:]:
            parent.suffix = suffix[1:]
        return
    if not blobs:
        return
    kept = []
    for child in blobs:
        inner = child.blobs
        if inner.__class__ is str:  # (a leaf's own pass, without a call for it: half the nodes are leaves)
            suffix = child.suffix
            if suffix and suffix[0] in PUNCT and suffix[0] == inner[-1:]:
                child.suffix = suffix[1:]
            if inner:
                kept.append(child)
            continue
        _purge_up_left(child)
        if child.blobs:
            kept.append(child)
    parent.blobs = blobs = kept
    if not blobs:
        return
    # upward
    decorated = bool(parent.decorations) and _has_decorations(parent, True)
    last = len(blobs) - 1
    delimiter = parent.delimiter
    first = blobs[0]
    if parent.prefix[-1:] == " " and first.prefix[:1] == " ":
        first.prefix = first.prefix[1:]
    char = first.prefix[:1]
    if char and not decorated and char in PUNCT_OR_SPACE and not parent.prefix:
        parent.prefix += char
        first.prefix = first.prefix[1:]
    final = blobs[last]
    if not decorated and final.suffix[-1:] == " ":
        if parent.suffix[:1] != " ":
            parent.suffix = " " + parent.suffix
        final.suffix = final.suffix[:-1]
    if delimiter:
        mark = delimiter[-1]
        if mark in PUNCT_OR_SPACE:
            for i in range(1, last + 1):
                child = blobs[i]
                if child.prefix[:1] == mark:
                    child.prefix = child.prefix[1:]
        return
    # leftward (only between undelimited siblings)
    for i in range(last - 1, -1, -1):
        child, sibling = blobs[i], blobs[i + 1]
        sibling_char = sibling.prefix[:1]
        if sibling_char and sibling_char in PUNCT and not (
                (child.decorations and _has_decorations(child)) or (sibling.decorations and _has_decorations(sibling))):
            suffix_matches = sibling_char == child.suffix[-1:]
            field_matches = (not child.suffix and child.blobs.__class__ is str and child.blobs[-1:] == sibling_char)
            if not suffix_matches and not field_matches:
                _merge_chars(child, "suffix", sibling, "prefix")
            else:
                sibling.prefix = sibling.prefix[1:]


def downward(parent: Any, quotes_move: bool) -> None:
    blobs = parent.blobs
    if blobs.__class__ is str:
        suffix = parent.suffix
        if suffix and suffix[0] in PUNCT and suffix[0] == blobs[-1:]:
            parent.suffix = suffix[1:]
        return
    if not blobs:
        return
    delimiter = parent.delimiter
    if delimiter and delimiter[0] in PUNCT:
        char = delimiter[0]
        for i in range(len(blobs) - 2, -1, -1):
            if blobs[i].suffix[-1:] != char:
                blobs[i].suffix += char
        parent.delimiter = delimiter = delimiter[1:]
    last = len(blobs) - 1
    for i in range(last, -1, -1):
        child = blobs[i]
        if i == last:
            parent_char = parent.suffix[:1]
            if parent_char in PUNCT:
                allow = _has_descendant_merging(parent_char, child)
                if not allow and quotes_move:
                    allow = _has_descendant_quotes(child)
                if allow and not _ends_in_number(child):
                    if child.blobs.__class__ is str:
                        _merge_chars(child, "blobs", parent, "suffix")
                    else:
                        _merge_chars(child, "suffix", parent, "suffix")
                    if parent.suffix[:1] == ".":
                        child.suffix += "."
                        parent.suffix = parent.suffix[1:]
            child_suffix = child.suffix
            if child_suffix:
                if child_suffix[-1] == " " and parent.suffix[:1] == " ":
                    parent.suffix = parent.suffix[1:]
                if child_suffix[0] in PUNCT_OR_SPACE:
                    if child.blobs.__class__ is str and child.blobs[-1:] == child_suffix[0]:
                        child.suffix = child_suffix = child_suffix[1:]
                    if child_suffix[-1:] == parent.suffix[:1]:
                        parent.suffix = parent.suffix[:-1]
            if parent.suffix and _match_last_char(parent, parent.suffix[0]):
                parent.suffix = parent.suffix[1:]
        elif delimiter:
            if delimiter[0] in PUNCT_OR_SPACE and delimiter[0] == child.suffix[-1:]:
                child.suffix = child.suffix[:-1]
        else:
            sibling = blobs[i + 1]
            mark = child.suffix[-1:]
            if (mark and mark in PUNCT_OR_SPACE and mark == sibling.prefix[:1] and not _is_number(child)
                    and not (child.decorations and _has_decorations(child, True))):
                sibling.prefix = sibling.prefix[1:]
        if (child.suffix and child.suffix[0] in PUNCT and child.blobs.__class__ is str and not _is_number(child)
                and not (child.decorations and _has_decorations(child, True))):
            _merge_chars(child, "blobs", child, "suffix")
        if child.blobs.__class__ is str:  # (a leaf's own pass, without a call for it)
            suffix = child.suffix
            if suffix and suffix[0] in PUNCT and suffix[0] == child.blobs[-1:]:
                child.suffix = suffix[1:]
        else:
            downward(child, quotes_move)


def _quoted(blob: Any) -> bool:
    return any(attr == "@quotes" and value != "false" for attr, value in blob.decorations)


def fix(parent: Any, punctuation_in_quote: bool) -> None:
    """Punctuation after a quoted child moves inside its closing mark, or out of it."""
    for child in parent.blobs:
        if child.decorations and _quoted(child):
            if punctuation_in_quote:
                _swap_in(child)
            else:
                _swap_out(child)
        if child.blobs.__class__ is list:
            fix(child, punctuation_in_quote)


def _swap_in(child: Any) -> None:
    if isinstance(child.blobs, str):
        while child.suffix[:1] in SWAP_IN and child.suffix:
            before = (child.blobs, child.suffix)
            _merge_chars(child, "blobs", child, "suffix")
            if (child.blobs, child.suffix) == before:
                break
    elif child.blobs:
        while child.suffix[:1] in SWAP_IN and child.suffix:
            last = child.blobs[-1]
            before = (last.suffix, child.suffix)
            _merge_chars(last, "suffix", child, "suffix")
            if (last.suffix, child.suffix) == before:
                break


def _swap_out(child: Any) -> None:
    if isinstance(child.blobs, str):
        while child.blobs[-1:] in SWAP_OUT and child.blobs:
            _merge_chars(child, "blobs", child, "suffix", True)
    elif child.blobs:
        last = child.blobs[-1]
        while last.suffix[-1:] in SWAP_OUT and last.suffix:
            _merge_chars(last, "suffix", child, "suffix", True)


# ---------------------------------------------------------------------------------------------
# Flattening (citeproc-js: CSL.Output.Queue.prototype.string)


@dataclass
class Renderer:
    """Turns an adjusted tree into text in one format."""

    fmt: Format
    quotes: tuple[str, str, str, str]
    suppress_decorations: bool = False
    # Formats a number's text as the queue would (``append`` + a one-leaf flattening).
    number_text: Callable[[str], str] | None = None
    # Text case for numbers: (mode, text) -> text, with the locale's words kept lower case.
    case: Callable[[str, str], str] | None = None

    def _orphan(self, blob: Any, decoration: Decoration) -> bool:
        """A ``normal`` decoration with nothing abnormal above it to undo prints nothing."""
        if decoration[1] != "normal":
            return False
        for decorset in blob.alldecor:
            for attr, value in decorset:
                if attr == decoration[0] and value != "normal":
                    return False
        return True

    def _decorate(self, blob: Any, text: str, only_layout: bool | None = None) -> str:
        for decoration in blob.decorations:
            attr = decoration[0]
            if attr == "@strip-periods":
                continue
            structural = attr in ("@bibliography", "@display")
            if only_layout is True and not structural:
                continue
            if only_layout is False and structural:
                continue
            if self._orphan(blob, decoration):
                continue
            text = self.fmt.decorate(decoration, text, self.quotes)
        return text

    def string(self, blobs: list[Any], parent: Any = None) -> list[Any]:
        esc = self.fmt.escape
        escaped = esc is not _unescaped  # (plain text: most of the pieces of a list, every sort key)
        decorate = self.fmt.decorate
        plain = self.suppress_decorations
        out: list[Any] = []
        numbers = False  # a NumericBlob is among the pieces
        has_parent = parent is not None and parent is not False
        delimiter = parent.delimiter if has_parent else ""
        last_child: Any = None
        for child in blobs:
            last_child = child
            content = child.blobs
            if child.num is not None and isinstance(child.num, int):
                out.append(child)
                numbers = True
            elif content.__class__ is str:
                if child.particle:
                    content = child.blobs = child.particle + content
                    child.particle = ""
                if content:
                    text = esc(content) if escaped else content
                    if not plain:
                        for decoration in child.decorations:
                            if decoration[0] == "@strip-periods" or (
                                    decoration[1] == "normal" and self._orphan(child, decoration)):
                                continue
                            text = decorate(decoration, text, self.quotes)
                    if text:
                        if not (child.prefix or child.suffix):
                            out.append(text)
                        elif escaped:
                            out.append(esc(child.prefix) + text + esc(child.suffix))
                        else:
                            out.append(child.prefix + text + child.suffix)
            elif content:
                more = self.string(content, child)
                if len(more) == 1 and more[0].__class__ is str:
                    out.append(more[0])
                    continue
                if more:
                    numbers = True
                if has_parent and len(more) > 1 and child.delimiter:
                    number_seen = False
                    for j, piece in enumerate(more):
                        if not isinstance(piece, str):
                            number_seen = True
                        elif number_seen:
                            more[j] = child.delimiter + piece
                out.extend(more)
        if not numbers:
            return self._strings(out, parent, has_parent, delimiter, last_child)
        for i in range(len(out) - 1):
            if isinstance(out[i], NumericBlob) and isinstance(out[i + 1], NumericBlob) and not out[i + 1].ugly:
                out[i].suffix += delimiter or ""
                out[i + 1].successor_prefix = ""
                out[i + 1].ugly = True
        split = 0
        for i, piece in enumerate(out):
            if isinstance(piece, str):
                split = i + 1
                if i < len(out) - 1 and isinstance(out[i + 1], NumericBlob):
                    if delimiter and not out[i + 1].ugly:
                        out[i] += esc(delimiter)
                    out[i + 1].ugly = True
        if parent is not None and parent is not False:
            if parent.decorations or parent.suffix:
                split = len(out)
            elif parent.prefix:
                for i, piece in enumerate(out):
                    if isinstance(piece, NumericBlob):
                        split = i
                        if i == 0:
                            piece.prefix = parent.prefix + piece.prefix
                        break
        start = self.render(out[:split], delimiter)
        if start and parent is not None and parent is not False and (
                parent.decorations or parent.suffix or parent.prefix):
            if not self.suppress_decorations:
                for decoration in parent.decorations:
                    if decoration[0] in ("@bibliography", "@display", "@strip-periods"):
                        continue
                    if last_child is not None and self._orphan(last_child, decoration):
                        continue
                    start = self.fmt.decorate(decoration, start, self.quotes)
            start = esc(parent.prefix) + start + esc(parent.suffix)
            if not self.suppress_decorations:
                for decoration in parent.decorations:
                    if decoration[0] in ("@bibliography", "@display"):
                        start = self.fmt.decorate(decoration, start, self.quotes)
        rest = out[split:]
        if not rest and start:
            result: list[Any] = [start]
        elif rest and not start:
            result = rest
        elif start and rest:
            result = [start, *rest]
        else:
            result = []
        if parent is None and self.suppress_decorations:
            result = [self.render(result, "")] if result else []
        return result

    def _strings(self, out: list[str], parent: Any, has_parent: bool, delimiter: str, last_child: Any) -> list[Any]:
        """``string`` when no piece is a number: join, decorate, add the affixes."""
        if not out:
            return []
        esc = self.fmt.escape
        if len(out) == 1:
            start = out[0]
        elif not delimiter:
            start = "".join(out)
        else:
            start = (esc(delimiter) if esc is not _unescaped else delimiter).join(out)
        if has_parent and start and (parent.decorations or parent.suffix or parent.prefix):
            if not self.suppress_decorations and parent.decorations:
                for decoration in parent.decorations:
                    if decoration[0] in ("@bibliography", "@display", "@strip-periods"):
                        continue
                    if decoration[1] == "normal" and last_child is not None and self._orphan(last_child, decoration):
                        continue
                    start = self.fmt.decorate(decoration, start, self.quotes)
            if esc is _unescaped:
                start = parent.prefix + start + parent.suffix
            else:
                start = esc(parent.prefix) + start + esc(parent.suffix)
            if not self.suppress_decorations and parent.decorations:
                for decoration in parent.decorations:
                    if decoration[0] in ("@bibliography", "@display"):
                        start = self.fmt.decorate(decoration, start, self.quotes)
        return [start] if start else []

    def render(self, blobs: list[Any], delimiter: str) -> str:
        """Strings joined by ``delimiter``; numbers rendered with their range joins."""
        esc = self.fmt.escape
        start = True
        for i, blob in enumerate(blobs):
            if isinstance(blob, NumericBlob):
                blob.check_next(blobs[i + 1] if i + 1 < len(blobs) else None, start)
                start = False
            else:
                start = True
        again = True
        for i in range(len(blobs) - 1, 0, -1):
            blob = blobs[i]
            if isinstance(blob, NumericBlob):
                if again and blob.check_last(blobs[i - 1]):
                    again = False
            else:
                again = True
        out = ""
        for i, blob in enumerate(blobs):
            joint = delimiter if out else ""
            if isinstance(blob, str):
                out += esc(joint) + blob
            elif blob.status != SUPPRESS:
                if blob.particle:
                    text = f"{blob.particle}{blob.num}"
                elif blob.formatter is not None:
                    text = blob.formatter(blob.num, blob.gender)
                else:
                    text = str(blob.num)
                text = self.number_text(text) if self.number_text else esc(text)
                if blob.text_case and text:
                    if self.case is not None:
                        text = self.case(blob.text_case, text)
                    else:
                        from bibkit.exporters.csl.textcase import apply

                        text = apply(blob.text_case, text)
                if not self.suppress_decorations:
                    for decoration in blob.decorations:
                        if decoration[0] == "@strip-periods" or self._orphan(blob, decoration):
                            continue
                        text = self.fmt.decorate(decoration, text, self.quotes)
                text = esc(blob.prefix) + text + esc(blob.suffix)
                if blob.status == END:
                    joint_text = blob.range_prefix
                elif blob.status == SUCCESSOR:
                    joint_text = blob.successor_prefix
                elif blob.status == START:
                    joint_text = blob.splice_prefix if i > 0 and not blob.suppress_splice else ""
                elif blob.status == SEEN:
                    joint_text = blob.splice_prefix
                else:
                    joint_text = ""
                out += esc(joint_text or "") + text
        return out


def settle(top: Blob, punctuation_in_quote: bool) -> None:
    """The four punctuation passes over one entry's tree."""
    _purge_up_left(top)
    downward(top, punctuation_in_quote)
    fix(top, punctuation_in_quote)
