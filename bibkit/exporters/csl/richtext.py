"""Rich text and quotation marks inside field text, read as citeproc-js reads them.

Record values may carry CSL's rich-text markup: ``<i>``, ``<b>``, ``<sc>``, ``<sup>``, ``<sub>``,
``<span style="font-variant:small-caps;">``, ``<span class="nocase">`` (protected from case
changes, no formatting) and ``<span class="nodecor">`` (formatting undone). Straight and
typographic quotation marks pair up into quotes that print in the locale's marks, one level
deeper inside a quoted element. Each leaf of the output tree is parsed here into nested
blobs, after text case has been applied to the raw string (``textcase`` skips the markup).

Formatting flips against what surrounds it: ``<i>`` inside an italic title prints upright, as
citeproc-js's "flip-flop" rules say. Unpaired tags and quotes stay text; a straight ``'``
between letters, or before a letter, is an apostrophe (’).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bibkit.exporters.csl.output import ROMANESQUE, Blob


@dataclass
class _Tag:
    kind: str  # nocase, nodecor, tag, quote
    closer: str
    attr: str | None
    outer: str | None
    flipflop: dict[str, str] = field(default_factory=dict)


_ITALIC = {"italic": "normal", "normal": "italic"}
_BOLD = {"bold": "normal", "normal": "bold"}
_SC = {"small-caps": "normal", "normal": "small-caps"}
_QUOTE_FLIP = {"true": "inner", "inner": "true", "false": "true"}


def _base_tags() -> dict[str, _Tag]:
    tags = {
        '<span class="nocase">': _Tag("nocase", "</span>", None, None),
        '<span class="nodecor">': _Tag("nodecor", "</span>", "@class", "nodecor", {"nodecor": "nodecor"}),
        '<span style="font-variant:small-caps;">': _Tag("tag", "</span>", "@font-variant", "small-caps", _SC),
        "<sc>": _Tag("tag", "</sc>", "@font-variant", "small-caps", _SC),
        "<i>": _Tag("tag", "</i>", "@font-style", "italic", _ITALIC),
        "<b>": _Tag("tag", "</b>", "@font-weight", "bold", _BOLD),
        "<sup>": _Tag("tag", "</sup>", "@vertical-align", "sup", {"sub": "sup", "sup": "sup"}),
        "<sub>": _Tag("tag", "</sub>", "@vertical-align", "sub", {"sup": "sub", "sub": "sub"}),
        ' "': _Tag("quote", '"', "@quotes", "true", _QUOTE_FLIP),
        " '": _Tag("quote", "'", "@quotes", "inner", _QUOTE_FLIP),
    }
    tags['("'] = tags[' "']  # the same entry: a change of outer form applies to both
    tags["('"] = tags[" '"]
    return tags


_NORM_SC = re.compile(r'(<span)\s+(style="font-variant:)\s*(small-caps);?"[^>]*(>)')
_NORM_CLASS = re.compile(r'(<span)\s+(class="no(?:case|decor)")[^>]*(>)')
_APOSTROPHE_IN_WORD = re.compile(f"({ROMANESQUE.pattern})\u2019({ROMANESQUE.pattern})")
_OUTER_FLIP = {" '": ' "', ' "': " '", '("': "('", "('": '("'}


def _at(flags: list[bool], i: int) -> bool:
    # citeproc-js indexes this list by tag position though it holds one flag per opening tag.
    return 0 <= i < len(flags) and flags[i]


class FlipFlopper:
    """Parses leaf text into nested blobs; one per style and locale (it keeps the outer quote
    form of the last string that had quotes, as citeproc-js does)."""

    def __init__(self, open_quote: str, close_quote: str, open_inner: str, close_inner: str,
                 layout_decorations: list[tuple[str, str]]) -> None:
        self.tags = _base_tags()
        straight = (' "', " '", '"', "'")
        if open_quote and close_quote and open_quote not in straight:
            base = self.tags[' "']
            self.tags[open_quote] = _Tag("quote", close_quote, "@quotes", base.outer, _QUOTE_FLIP)
        if open_inner and close_inner and open_inner not in straight:
            base = self.tags[" '"]
            self.tags[open_inner] = _Tag("quote", close_inner, "@quotes", base.outer, _QUOTE_FLIP)
        self.layout_decorations = layout_decorations
        openers = list(self.tags)
        closers = list(dict.fromkeys(t.closer for t in self.tags.values()))
        everything = "|".join(re.escape(t) for t in openers + closers)
        self._split = re.compile(f"({everything})")
        self._openers = set(openers)
        self._closers = set(closers)
        # Every tag holds one of these: text without them has nothing to parse.
        self._signal = frozenset("<\"'" + "".join(t for t in openers + closers if len(t) == 1))

    def _doppel(self, text: str) -> tuple[list[str], list[str], list[bool]]:
        text = _NORM_SC.sub(r'\1 \2\3;"\4', text)
        text = _NORM_CLASS.sub(r"\1 \2\3", text)
        parts = self._split.split(text)
        strings, tags = parts[0::2], parts[1::2]
        forced: list[bool] = []
        for i in range(len(tags) - 1):
            if tags[i] in self.tags:
                if strings[i + 1] == "" and tags[i + 1] in ('"', "'"):
                    tags[i + 1] = " " + tags[i + 1]
                    forced.append(True)
                else:
                    forced.append(False)
        return strings, tags, forced

    def plain(self, text: str) -> bool:
        """``text`` holds neither markup nor quotes: ``process`` would leave it as it is."""
        return self._signal.isdisjoint(text)

    def process(self, blob: Blob) -> None:
        """Turn ``blob``'s text into nested blobs where it holds markup or quotes."""
        text = blob.blobs
        assert isinstance(text, str)
        if self._signal.isdisjoint(text):
            return
        leading_space = text[:1] == " " and not re.match(r"^\s+['\"]", text)
        text = " " + _APOSTROPHE_IN_WORD.sub(r"\1'\2", text)
        strings, tags, forced = self._doppel(text)
        if not tags:
            return
        stack: list[tuple[str, int]] = []  # (closer, position) of open tags, kind looked up by position
        kinds: list[str] = []
        quote_seen = False
        for i in range(len(tags)):
            tag = tags[i]
            following = strings[i + 1]
            apostrophe = self._apostrophe(tag, following)
            if apostrophe:
                strings[i + 1] = apostrophe + strings[i + 1]
                tags[i] = ""
                continue
            info: Any = None
            while True:
                info = self._push(tag, i, stack, kinds)
                if info is None:
                    break
                if "fixtag" in info:
                    fixtag = info["fixtag"]
                    if tag in self._closers and tag == "'":
                        strings[i + 1] = "\u2019" + strings[i + 1]
                        tags[i] = ""
                    else:
                        failed = tags[fixtag]
                        if _at(forced, fixtag - 1):
                            failed = failed[1:]
                        strings[fixtag + 1] = failed + strings[fixtag + 1]
                        tags[fixtag] = ""
                    if stack:
                        if tag != "'":
                            stack.pop()
                            kinds.pop()
                            continue
                        break
                    break
                if "nocase" in info:
                    tags[info["nocase"][0]] = ""
                    tags[info["nocase"][1]] = ""
                    break
                break
            if info is not None and "fixtag" in info:
                strings[i + 1] = tags[i] + strings[i + 1]
                tags[i] = ""
        while stack:
            _, pos = stack.pop()
            kinds.pop()
            tag = tags[pos]
            if tag in (" '", "'"):
                strings[pos + 1] = " \u2019" + strings[pos + 1]
            else:
                strings[pos + 1] = tag + strings[pos + 1]
            tags[pos] = ""
        for i in range(len(tags) - 1, -1, -1):
            if not tags[i]:
                del tags[i]
                strings[i] = strings[i] + strings[i + 1]
                del strings[i + 1]
        for i, tag in enumerate(tags):
            forced_space = _at(forced, i - 1)
            if tag in (' "', " '", '("', "('"):
                if not quote_seen:
                    self.tags[tag].outer = "true"
                    self.tags[_OUTER_FLIP[tag]].outer = "inner"
                    quote_seen = True
                if not forced_space:
                    strings[i] += tag[:1]
        self._to_blobs(blob, strings, tags, leading_space)

    @staticmethod
    def _apostrophe(tag: str, following: str) -> str | None:
        if tag == "'":
            if following and following[0] not in ",.?:; ":
                return "\u2019"
        elif tag == " '" and following[:1] == " ":
            return " \u2019"
        return None

    def _push(self, tag: str, pos: int, stack: list[tuple[str, int]], kinds: list[str]) -> dict[str, Any] | None:
        if tag in self._openers:
            entry = self.tags[tag]
            stack.append((entry.closer, pos))
            kinds.append(entry.kind)
            return None
        if stack and tag == stack[-1][0]:
            _, opened = stack.pop()
            kind = kinds.pop()
            if kind == "nocase":
                return {"nocase": (opened, pos)}
            return None
        if stack:
            return {"fixtag": stack[-1][1]}
        return {"fixtag": pos}

    def _decoration(self, tag: str, own: list[tuple[str, str]], blob: Blob) -> tuple[str, str]:
        entry = self.tags[tag]
        attr = entry.attr
        found: tuple[str, str] | None = None
        for decoration in reversed(own):
            if decoration[0] == attr:
                found = decoration
                break
        if found is None:
            every = [self.layout_decorations, *blob.alldecor]
            for decorset in reversed(every):
                for decoration in reversed(decorset or []):
                    if decoration[0] == attr:
                        found = decoration
                        break
                if found is not None:
                    break
        if found is None:
            return (str(attr), str(entry.outer))
        return (str(attr), entry.flipflop.get(found[1], str(entry.outer)))

    def _to_blobs(self, blob: Blob, strings: list[str], tags: list[str], leading_space: bool) -> None:
        blob.blobs = []
        stack: list[Blob] = [blob]
        own: list[tuple[str, str]] = []
        first = [True]

        def add(text: str, decoration: tuple[str, str] | None = None) -> None:
            if first[0]:
                for _ in range(2):
                    if text[:1] == " ":
                        text = text[1:]
                first[0] = False
            latest = stack[-1]
            assert isinstance(latest.blobs, list)
            if decoration is not None:
                level = Blob()
                level.alldecor = latest.alldecor
                if decoration == ("@class", "nodecor"):
                    undo: list[tuple[str, str]] = []
                    seen: set[str] = set()
                    for decorset in reversed([self.layout_decorations, *level.alldecor]):
                        for attr, _value in reversed(decorset or []):
                            if attr in ("@font-weight", "@font-style", "@font-variant") and attr not in seen:
                                level.decorations.append((attr, "normal"))
                                undo.append((attr, "normal"))
                                seen.add(attr)
                    level.alldecor = level.alldecor + (undo,)
                else:
                    level.decorations.append(decoration)
                    level.alldecor = level.alldecor + ([decoration],)
                latest.blobs.append(level)
                stack.append(level)
                if text:
                    leaf = Blob(text)
                    leaf.alldecor = level.alldecor
                    level.blobs.append(leaf)  # type: ignore[union-attr]
            elif text:
                leaf = Blob(text)
                leaf.alldecor = latest.alldecor
                latest.blobs.append(leaf)

        add((" " + strings[0]) if leading_space else strings[0])
        for i, tag in enumerate(tags):
            text = strings[i + 1]
            if tag in self._openers:
                decoration = self._decoration(tag, own, blob)
                own.append(decoration)
                add(text, decoration)
            else:
                if own:
                    own.pop()
                if len(stack) > 1:
                    stack.pop()
                add(text)
