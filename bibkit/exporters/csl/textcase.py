"""CSL ``text-case`` as citeproc-js applies it, on text that may hold rich-text markup.

The text is split at quotation marks, punctuation, brackets and markup tags; words are what
lies between spaces. Text inside ``<span class="nocase">``, ``<sc>``, ``<sub>``, ``<sup>`` and
small-caps spans is never changed. Title case leaves words with capitals of their own alone,
keeps the locale's skip words lower-case unless first, last or after ``:``/``?``/``!``, and
capitalises the part before a hyphen; the letter right after a quotation mark that finds no
partner keeps the case it was typed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

# The marks text is split at, as citeproc-js's tagDoppel splits it.
_TAGS = re.compile(
    r'(‘|’|“|”| "| \'|"|\'|[-–—/.,;?!:]|\[|\]|\(|\)|<span style="font-variant: small-caps;">'
    r'|<span class="no(?:case|decor)">|</span>|</?(?:i|sc|b|sub|sup)>)')
_NORMALISE_NOCASE = re.compile(r'(<span)\s+(class="no(?:case|decor)")[^>]*(>)')
_NORMALISE_SC = re.compile(r'(<span)\s+(style="font-variant:)\s*(small-caps);?(")[^>]*(>)')
_SPACES = re.compile("([\u00A0\u0020\u2000-\u200B\u205F\u3000]+)")
# Opening markup that shields its content from case changes -> its closing tag.
_SHIELDS = {'<span style="font-variant: small-caps;">': "</span>", '<span class="nocase">': "</span>",
            '<span class="nodecor">': "</span>", "<sc>": "</sc>", "<sub>": "</sub>", "<sup>": "</sup>"}
_QUOTES = {' "': (" '", '"'), " '": (' "', "'"), "‘": ("‘", "’"), "“": ("“", "”")}
_QUOTE_TAG = re.compile(r"(^(?:‘|’|“|”|\"|')|(?: \"| ')$)")
_GREEK = re.compile("^[\u0370-\u03FF]$")


def _dotted_upper(text: str) -> str:
    return text.replace("i", "\u0130").upper()


def _dotted_lower(text: str) -> str:
    return text.replace("I", "\u0131").replace("\u0130", "i").lower()


def capitalise(word: str, upper: Callable[[str], str] = str.upper) -> str:
    stripped = word.lstrip()
    if not stripped:
        return word
    lead = word[:len(word) - len(stripped)]
    first, rest = stripped[0], stripped[1:]
    if _GREEK.match(first) and not rest:
        return word
    return lead + upper(first) + rest


def split_tags(text: str) -> tuple[list[str], list[str]]:
    """(strings, tags): text split at the marks; a straight ``'`` followed by text is text."""
    text = _NORMALISE_SC.sub(r"\1 \2 \3;\4\5", _NORMALISE_NOCASE.sub(r"\1 \2\3", text))
    parts = _TAGS.split(text)
    strings, tags = parts[0::2], parts[1::2]
    for i in range(len(tags) - 1, -1, -1):
        if tags[i] == "'" and strings[i + 1]:
            strings[i + 1] = "'" + strings[i + 1]
            tags[i] = ""
    return strings, tags


def join_tags(strings: Sequence[str], tags: Sequence[str]) -> str:
    out = [strings[0]]
    for tag, string in zip(tags, strings[1:], strict=True):
        out.append(tag)
        out.append(string)
    return "".join(out)


class _Engine:
    """One pass of the case engine over a string (citeproc-js's ``_textcaseEngine``)."""

    def __init__(self, words: Callable[[_Engine, str, int, str | None], str], quotes: bool,
                 track_punctuation: bool, first: bool | None, skip: re.Pattern[str] | None = None,
                 dotted: bool = False) -> None:
        self.words = words
        # Turkish and Azerbaijani case i and I apart from ı and İ (JavaScript's toLocaleUpperCase).
        self.upper: Callable[[str], str] = _dotted_upper if dotted else str.upper
        self.lower: Callable[[str], str] = _dotted_lower if dotted else str.lower
        self.quote_state: list[dict[str, object]] | None = [] if quotes else None
        self.after_punct: bool | None = False if track_punctuation else None
        self.is_first = first
        self.skip = skip
        self.last_word: tuple[int, int] | None = None

    def run(self, text: str) -> str:
        if not text:
            return ""
        strings, tags = split_tags(text)
        original = list(strings)
        shields: list[str] = []
        if strings and strings[0].strip():
            strings[0] = self.words(self, strings[0], 0, tags[0] if tags else None)
        for i, tag in enumerate(tags):
            string = strings[i + 1]
            if tag in _SHIELDS:
                shields.append(_SHIELDS[tag])
            elif shields and tag == shields[-1]:
                shields.pop()
            if self.after_punct is not None and tag[-1:] in "!?:" and tag:
                self.after_punct = True
            if not shields:
                # citeproc-js passes the following tag to the first string only.
                strings[i + 1] = self.words(self, string, i + 1, None)
            elif strings[i + 1].strip():
                self.last_word = None
            if self.quote_state is not None:
                pos = self._quote(tag, i)
                if pos is not None:
                    strings[pos + 1] = original[pos + 1][:1] + strings[pos + 1][1:]
                    self.last_word = None
            if self.is_first and string.strip():
                self.is_first = False
            if self.after_punct and string.strip():
                self.after_punct = False
        if self.quote_state:
            for entry in self.quote_state:
                where = entry.get("pos")
                if isinstance(where, int):
                    strings[where + 1] = original[where + 1][:1] + strings[where + 1][1:]
        if self.last_word is not None and self.skip is not None:
            si, wi = self.last_word
            parts = _SPACES.split(strings[si])
            word = parts[wi * 2]
            if len(word) > 1 and self.skip.search(self.lower(word)):
                parts[wi * 2] = capitalise(word, self.upper)
                strings[si] = "".join(parts)
        return join_tags(strings, tags)

    def _quote(self, tag: str, pos: int) -> int | None:
        m = _QUOTE_TAG.search(tag)
        if not m or self.quote_state is None:
            return None
        mark = m.group(1)
        state = self.quote_state
        if mark in ("“", "‘", ' "', " '"):
            opener, closer = _QUOTES[mark]
            if not state or mark == state[-1]["opener"]:
                state.append({"opener": opener, "closer": closer, "pos": pos})
                return None
            previous = state.pop()["pos"]
            state.append({"opener": opener, "closer": closer})  # citeproc-js loses this position
            return previous if isinstance(previous, int) else None
        if state and mark == state[-1]["closer"]:
            state.pop()
            return None
        return pos


def _lower_words(engine: _Engine, text: str, i: int, following: str | None) -> str:
    return " ".join(engine.lower(w) if w else w for w in text.split(" "))


def _upper_words(engine: _Engine, text: str, i: int, following: str | None) -> str:
    return " ".join(engine.upper(w) if w else w for w in text.split(" "))


def _sentence_words(engine: _Engine, text: str, i: int, following: str | None) -> str:
    words = text.split(" ")
    for j, word in enumerate(words):
        if word:
            if engine.is_first:
                words[j] = capitalise(word, engine.upper)
                engine.is_first = False
            else:
                words[j] = engine.lower(word)
    return " ".join(words)


def _title_words(engine: _Engine, text: str, i: int, following: str | None) -> str:
    if not text.strip():
        return text
    parts = _SPACES.split(text)
    last = (len(parts) - 1) // 2
    for j in range(0, len(parts), 2):
        word = parts[j]
        if not word:
            continue
        lower = engine.lower(word)
        wanted = ((len(word) > 1 and not (engine.skip and engine.skip.search(lower)))
                  or (j // 2 == last and following == "-") or bool(engine.is_first) or bool(engine.after_punct))
        if wanted and word == lower:
            parts[j] = capitalise(word, engine.upper)
        engine.after_punct = False
        engine.is_first = False
        engine.last_word = (i, j // 2)
    return "".join(parts)


def _first_words(engine: _Engine, text: str, i: int, following: str | None) -> str:
    parts = _SPACES.split(text)
    for j in range(0, len(parts), 2):
        word = parts[j]
        if word and engine.is_first:
            if word == engine.lower(word):
                parts[j] = capitalise(word, engine.upper)
            engine.is_first = False
            break
    return "".join(parts)


def _all_words(engine: _Engine, text: str, i: int, following: str | None) -> str:
    parts = _SPACES.split(text)
    for j in range(0, len(parts), 2):
        if parts[j] and parts[j] == engine.lower(parts[j]):
            parts[j] = capitalise(parts[j], engine.upper)
    return "".join(parts)


@lru_cache(maxsize=32)
def skip_words_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # The words are regular expressions, as in citeproc-js ("v." also skips "vo").
    alternatives = "|".join(words)
    try:
        return re.compile(rf"(?:(?:[?!:]*\s+|-|^)(?:{alternatives})(?=[!?:]*\s+|-|$))")
    except re.error:
        alternatives = "|".join(re.escape(w) for w in words)
        return re.compile(rf"(?:(?:[?!:]*\s+|-|^)(?:{alternatives})(?=[!?:]*\s+|-|$))")


# mode -> (the words pass, quotes tracked, punctuation tracked, first word)
_MODES: dict[str, tuple[Callable[[_Engine, str, int, str | None], str], bool, bool, bool | None]] = {
    "lowercase": (_lower_words, False, False, None),
    "uppercase": (_upper_words, False, False, None),
    "sentence": (_sentence_words, True, False, True),
    "title": (_title_words, True, True, True),
    "capitalize-first": (_first_words, True, False, True),
    "capitalize-all": (_all_words, True, False, None),
}


def apply(mode: str, text: str, skip: re.Pattern[str] | None = None, dotted: bool = False) -> str:
    """``text`` in text-case ``mode``; ``skip``: the locale's words title case leaves alone;
    ``dotted``: the language distinguishes dotted and dotless i (tr, az)."""
    spec = _MODES.get(mode)
    if spec is None:
        return text
    words, quotes, track, first = spec
    return _Engine(words, quotes, track, first, skip if mode == "title" else None, dotted).run(text)
