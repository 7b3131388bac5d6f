"""Text rules of the reference CSL processors that citeproc-py lacks, on citeproc-py's strings.

citeproc-py represents rendered text as ``MixedString`` (a list of segments: ``String``, ``NoCase``
for text no case change may touch, and here ``QuoteMark``). Everything in this module keeps that
structure, so that a later step (quoting, case, punctuation at a seam) still knows what each
piece is. The rules are citeproc-js's (``CSL.Util.FlipFlopper``, ``CSL.Output.Formatters``,
``CSL.Output.Queue.adjust``), which pandoc's citeproc follows too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from citeproc.string import MixedString, NoCase, String


@dataclass(frozen=True)
class Glyphs:
    """A locale's quotation marks: outer (level 0, 2, ...) and inner (level 1, 3, ...)."""

    open: str = "“"
    close: str = "”"
    open_inner: str = "‘"
    close_inner: str = "’"

    def mark(self, opening: bool, level: int) -> str:
        if level % 2 == 0:
            return self.open if opening else self.close
        return self.open_inner if opening else self.close_inner


class QuoteMark(String):  # type: ignore[misc]
    """A quotation mark that is markup, not text: its glyph follows its nesting level.

    Case changes and period stripping leave it alone; ``quote`` re-levels the marks inside a
    quoted element, so that a title's own quotes become inner quotes inside the style's quotes.
    """

    opening: bool
    level: int
    straight: bool  # typed as ' or " in the record (citeproc-js's case rules tell them apart)

    @classmethod
    def make(cls, opening: bool, level: int, glyphs: Glyphs, straight: bool = False) -> QuoteMark:
        mark = cls(glyphs.mark(opening, level))
        mark.opening, mark.level, mark.straight = opening, level, straight
        return mark

    def nested(self, glyphs: Glyphs) -> QuoteMark:
        return QuoteMark.make(self.opening, self.level + 1, glyphs, self.straight)

    def _same(self, *_: Any, **__: Any) -> QuoteMark:
        return self

    lower = upper = soft_lower = soft_upper = capitalize_first = replace = rstrip = _same

    def words(self) -> Iterator[QuoteMark]:
        yield self


# ---------------------------------------------------------------------------------------------
# Quotes and apostrophes in field text (citeproc-js: CSL.Util.FlipFlopper.processTags)

_OPENERS = {' "': '"', " '": "'", '("': '"', "('": "'", "“": "”", "‘": "’"}
_TAGS = re.compile(r'( "| \'|\("|\(\'|“|‘|"|\'|”|’)')
_LETTER = r"[^\W\d_]"
_SANDWICHED = re.compile(rf"(?<={_LETTER})’(?={_LETTER})")


def parse_quotes(text: str, glyphs: Glyphs) -> list[str | QuoteMark]:
    """Field text split into text and quotation marks; straight apostrophes become ’.

    Quotes pair up as citeproc-js pairs them: an opener is a quote after a space or a bracket (or
    at the start), a closer is any other; ``'`` followed by a letter or digit is an apostrophe; a
    closer that matches no opener is text (``'`` becomes ’), and so is an opener never closed.
    """
    s = " " + _SANDWICHED.sub("'", text)
    parts = _TAGS.split(s)
    strings: list[str] = parts[0::2]
    tags: list[str | None] = list(parts[1::2])
    forced: set[int] = set()  # openers whose leading space this function added
    for i in range(len(tags) - 1):
        if tags[i] in _OPENERS and strings[i + 1] == "" and tags[i + 1] in ('"', "'"):
            tags[i + 1] = " " + str(tags[i + 1])
            forced.add(i + 1)

    def neutralise(j: int) -> None:
        tag = str(tags[j])
        strings[j + 1] = (tag[1:] if j in forced else tag) + strings[j + 1]
        tags[j] = None

    stack: list[tuple[int, str]] = []
    for i, tag in enumerate(tags):
        if tag is None:
            continue
        following = strings[i + 1]
        if tag == "'" and following and following[0] not in ",.?:; ":
            strings[i + 1], tags[i] = "’" + following, None
            continue
        if tag == " '" and following.startswith(" "):
            strings[i + 1], tags[i] = " ’" + following, None
            continue
        if tag in _OPENERS:
            stack.append((i, _OPENERS[tag]))
            continue
        while True:
            if stack and stack[-1][1] == tag:
                stack.pop()
                break
            if tag == "'":
                strings[i + 1], tags[i] = "’" + following, None
                break
            if not stack:
                neutralise(i)
                break
            neutralise(stack.pop()[0])
    for j, _ in reversed(stack):
        if tags[j] in (" '", "'"):
            strings[j + 1], tags[j] = " ’" + strings[j + 1], None
        else:
            neutralise(j)

    out: list[str | QuoteMark] = [strings[0]]
    level = 0
    for i, tag in enumerate(tags):
        if tag is not None:
            opening = tag in _OPENERS
            if opening and len(tag) == 2 and i not in forced:
                out.append(tag[0])  # the space or bracket before the quote is text
            if not opening:
                level -= 1
            out.append(QuoteMark.make(opening, level, glyphs, straight=tag[-1] in "\"'"))
            if opening:
                level += 1
        out.append(strings[i + 1])
    pieces = [piece for piece in out if piece]
    pieces[0] = pieces[0][1:]  # the space added in front (text: a quote mark never comes first)
    return [piece for piece in pieces if piece]


def typographic_apostrophes(text: str) -> str:
    """Names have no quotes: every straight apostrophe is one (``O'Brien`` -> ``O’Brien``)."""
    return text.replace("'", "’")


def nest_quotes(text: Any, glyphs: Glyphs) -> Any:
    """The quotation marks inside a quoted element, one level deeper."""
    if isinstance(text, QuoteMark):
        return text.nested(glyphs)
    if isinstance(text, MixedString):
        return MixedString([nest_quotes(segment, glyphs) for segment in list.__iter__(text)])
    return text


# ---------------------------------------------------------------------------------------------
# Text case (citeproc-js: CSL.Output.Formatters)

# citeproc-js's default "skip words" (single words only): never capitalised in title case,
# unless first, last, or after a colon, question or exclamation mark.
STOP_WORDS = frozenset(
    "about above across afore after against al along alongside amid amidst among amongst anenst "
    "apropos apud around as aside astride at athwart atop barring before behind below beneath beside "
    "besides between beyond but by circa despite down during et except for forenenst from given in "
    "inside into lest like modulo near next notwithstanding of off on onto out over per plus pro qua "
    "sans since than through thru throughout thruout till to toward towards under underneath until "
    "unto up upon versus vs. v. vs v via vis-à-vis with within without or yet so and nor a an the de "
    "d' von van c ca".split())

# Words are separated by spaces and by these marks; a word is what lies between them.
_SEPARATORS = re.compile(r"(\s+|[-–—/.,;?!:\[\]()“”‘’\"'])")


def capitalise(word: str) -> str:
    for i, ch in enumerate(word):
        if not ch.isspace():
            if "\u0370" <= ch <= "\u03ff" and i == len(word) - 1:
                return word  # a lone Greek letter is a symbol
            return word[:i] + ch.upper() + word[i + 1:]
    return word


@dataclass
class _CaseState:
    first: bool = True
    after_punctuation: bool = False
    in_first_string: bool = True  # no punctuation mark seen yet
    last: tuple[int, int] | None = None  # (segment, piece) of the last word seen


def _segments(text: Any) -> list[Any]:
    return list(list.__iter__(text)) if isinstance(text, MixedString) else [text]


def _casable(segment: Any) -> bool:
    # Formatter output (an <i>...</i> wrapper) and NoCase/QuoteMark keep their text.
    return type(segment) in (str, String)


def change_case(text: Any, mode: str) -> Any:
    """``text`` in CSL text case ``mode``, leaving NoCase text and quotation marks alone."""
    if not isinstance(text, str | MixedString) or not str(text):
        return text
    if mode == "lowercase":
        return _map_words(text, lambda word, _state, _hyphen: word.lower(), quote_rule=False)
    if mode == "uppercase":
        return _map_words(text, lambda word, _state, _hyphen: word.upper(), quote_rule=False)
    if mode == "capitalize-all":
        return _map_words(text, lambda word, _state, _hyphen: capitalise(word) if word == word.lower() else word)

    if mode == "capitalize-first":
        def first(word: str, state: _CaseState, _hyphen: bool) -> str:
            return capitalise(word) if state.first and word == word.lower() else word
        return _map_words(text, first)

    if mode == "sentence":
        def sentence(word: str, state: _CaseState, _hyphen: bool) -> str:
            return capitalise(word) if state.first else word.lower()
        return _map_words(text, sentence)

    if mode == "title":
        def title(word: str, state: _CaseState, before_hyphen: bool) -> str:
            lower = word.lower()
            wanted = ((len(word) > 1 and lower not in STOP_WORDS) or before_hyphen or state.first
                      or state.after_punctuation)
            return capitalise(word) if wanted and word == lower else word
        return _map_words(text, title, last_word_rule=True)
    return text


def _map_words(text: Any, change: Callable[[str, _CaseState, bool], str], last_word_rule: bool = False,
               quote_rule: bool = True) -> Any:
    """Apply ``change`` to each word, with citeproc-js's state: the first word, a word after
    ``:``/``?``/``!``, a word before a hyphen (which citeproc-js sees only before the first
    punctuation mark), and the letter right after a straight quotation mark, which keeps its case
    (citeproc-js restores it when its case engine cannot pair the mark)."""
    state = _CaseState()
    segments = _segments(text)
    pieces: list[list[str] | None] = []
    after_straight_quote = False
    for si, segment in enumerate(segments):
        if not _casable(segment):
            pieces.append(None)
            state.in_first_string = False
            after_straight_quote = quote_rule and isinstance(segment, QuoteMark) and segment.straight
            if str(segment).strip() and not isinstance(segment, QuoteMark):
                state.first = state.after_punctuation = False
                state.last = None
            continue
        parts = _SEPARATORS.split(str(segment))
        for k in range(0, len(parts), 2):
            if k:
                separator = parts[k - 1]
                if separator.strip():
                    state.in_first_string = False
                if separator[-1:] in "!?:":
                    state.after_punctuation = True
            word = parts[k]
            if not word:
                continue
            before_hyphen = state.in_first_string and k + 1 < len(parts) and parts[k + 1] == "-"
            changed = change(word, state, before_hyphen)
            if k == 0 and after_straight_quote:
                changed = word[0] + changed[1:]
            parts[k] = changed
            state.first = state.after_punctuation = False
            state.last = (si, k)
        after_straight_quote = False
        pieces.append(parts)
    if last_word_rule and state.last is not None:
        si, k = state.last
        last_parts = pieces[si]
        assert last_parts is not None  # the last word is in a segment that was cased
        word = last_parts[k]
        if len(word) > 1 and word.lower() in STOP_WORDS and word == word.lower():
            last_parts[k] = capitalise(word)
    out = [segment if parts is None else _like(segment, "".join(parts))
           for segment, parts in zip(segments, pieces, strict=True)]
    if isinstance(text, MixedString):
        return MixedString(out)
    return out[0]


def _like(segment: Any, text: str) -> Any:
    return String(text) if isinstance(segment, String) else text


# ---------------------------------------------------------------------------------------------
# Punctuation where two pieces meet (citeproc-js: CSL.Output.Queue.adjust)

# What two adjacent punctuation marks become (left mark, right mark) -> result.
MERGE = {
    "!": {".": "!", "?": "!?", ":": "!", ",": "!,", ";": "!;"},
    "?": {"!": "?!", ".": "?", ":": "?", ",": "?,", ";": "?;"},
    ".": {"!": ".!", "?": ".?", ":": ".:", ",": ".,", ";": ".;"},
    ":": {"!": "!", "?": "?", ".": ":", ",": ":,", ";": ":;"},
    ",": {"!": ",!", "?": ",?", ":": ",:", ".": ",.", ";": ",;"},
    ";": {"!": "!", "?": "?", ":": ";", ",": ";,", ".": ";"},
}
# Marks that move inside a closing quotation mark when the locale says punctuation-in-quote.
INTO_QUOTES = frozenset(".,!?")


def _is_closing_quote(segment: Any, glyphs: Glyphs) -> bool:
    if isinstance(segment, QuoteMark):
        return not segment.opening
    return isinstance(segment, str) and str(segment) == glyphs.close


def _split_tail(left: Any, glyphs: Glyphs) -> tuple[list[Any], list[Any]]:
    """``left``'s segments, and the closing quotation marks it ends with."""
    segments = _segments(left)
    if len(segments) == 1 and not isinstance(segments[0], QuoteMark):
        text = str(segments[0])
        n = len(text) - len(text.rstrip(glyphs.close))
        if n and not isinstance(left, MixedString | String):
            return [text[:-n]], [glyphs.close] * n
        if n and isinstance(left, String) and not isinstance(left, NoCase):
            return [String(text[:-n])], [glyphs.close] * n
        return segments, []
    quotes: list[Any] = []
    while segments and _is_closing_quote(segments[-1], glyphs):
        quotes.insert(0, segments.pop())
    return segments, quotes


def _drop_last(segments: list[Any]) -> list[Any]:
    segments = list(segments)
    while segments and not str(segments[-1]):
        segments.pop()
    last = segments.pop()
    rest = str(last)[:-1]
    if rest:
        segments.append(type(last)(rest) if isinstance(last, String) and not isinstance(last, QuoteMark) else rest)
    return segments


def _drop_first(text: Any) -> Any:
    if isinstance(text, MixedString):
        segments = _segments(text)
        head = segments[0]
        rest = str(head)[1:]
        return MixedString(([type(head)(rest)] if rest and isinstance(head, String) else [rest] if rest else [])
                           + segments[1:])
    rest = str(text)[1:]
    return type(text)(rest) if isinstance(text, String) else rest


def concat(left: Any, right: Any, glyphs: Glyphs, punctuation_in_quote: bool) -> Any:
    """``left + right``, with the punctuation at the seam as citeproc-js sets it.

    A mark that starts ``right`` merges with the one that ends ``left`` (``?`` + ``.`` is ``?``),
    and with ``punctuation_in_quote`` moves inside ``left``'s closing quotation marks
    (``“Title”`` + ``,`` is ``“Title,”``).
    """
    if left is None or left == "":
        return right
    if right is None or right == "":
        return left
    ls, rs = str(left), str(right)
    if not ls or not rs or rs[0] not in MERGE:
        return left + right
    mark = rs[0]
    body, quotes = _split_tail(left, glyphs)
    if quotes and not (punctuation_in_quote and mark in INTO_QUOTES):
        return left + right
    body_text = "".join(map(str, body))
    before = body_text[-1:] if body_text else ""
    if before in MERGE:
        merged = MERGE[before].get(mark, before + mark) if before != mark else mark
        body = _drop_last(body)
    elif quotes:
        merged = mark
    else:
        return left + right
    new_left = MixedString([*body, String(merged), *quotes])
    rest = _drop_first(right)
    return new_left + rest if str(rest) else new_left


def sort_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key close to citeproc-js's collation (ICU, ``sensitivity: base``,
    ``ignorePunctuation``, ``numeric``): base letters only, case, accents, spaces and punctuation
    ignored, runs of digits compared as numbers."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ch.isalnum()).casefold()
    return tuple((0, int(run)) if run.isdigit() else (1, run) for run in re.findall(r"\d+|\D+", kept))
