"""Sort-key comparison as citeproc-js makes it: ICU collation in the style's language.

citeproc-js compares sort keys with ``localeCompare(other, locale, {sensitivity: "base",
ignorePunctuation: true, numeric: true})``, both lower-cased first: letters compare by their
base letter (accents and case ignored), punctuation and spaces are ignored, and runs of
digits compare by value. A key here is a string that orders the same way: base letters,
symbols (which ICU does not ignore: the keys' own separator ``|`` is one) before digits, and
digit runs as numbers. Languages whose alphabets have letters of their own (Turkish ``ç``
after ``c``, Swedish ``å ä ö`` after ``z``, Spanish ``ñ`` after ``n``, ...) place them as
ICU's tailorings do; other scripts keep their code-point order, which for Chinese is not
ICU's pinyin order.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NUMBER = re.compile(r"\d+")


def _after(base: str, rank: int = 0) -> str:
    """A letter of its own, right after ``base`` (or after ``rank`` others placed there): the
    base letter and then a CJK Extension B ideograph, a word character that sorts after every
    Latin letter and that normalisation leaves alone."""
    return base + chr(0x2A6D0 + rank)


# Letters that are letters of their own in a language (lower case), as ICU's tailorings place them.
# Danish and Norwegian: "aa" is the letter å (Aamodt after Zahl), ü is a y (Hübler between Hutter
# and Hyde); Swedish and Finnish read ü as y too.
_SCANDINAVIAN_DA = {"æ": _after("z", 0), "ä": _after("z", 0), "ø": _after("z", 1), "ö": _after("z", 1),
                    "å": _after("z", 2), "aa": _after("z", 2), "ü": "y"}
_SCANDINAVIAN_SV = {"å": _after("z", 0), "ä": _after("z", 1), "æ": _after("z", 1), "ö": _after("z", 2),
                    "ø": _after("z", 2), "ü": "y"}
TAILORINGS: dict[str, dict[str, str]] = {
    "tr": {"ç": _after("c"), "ğ": _after("g"), "ı": _after("h"), "ö": _after("o"), "ş": _after("s"),
           "ü": _after("u")},
    "az": {"ç": _after("c"), "ə": _after("e"), "ğ": _after("g"), "ı": _after("h"), "ö": _after("o"),
           "ş": _after("s"), "ü": _after("u")},
    "sv": _SCANDINAVIAN_SV, "fi": _SCANDINAVIAN_SV,
    "da": _SCANDINAVIAN_DA, "nb": _SCANDINAVIAN_DA, "nn": _SCANDINAVIAN_DA, "no": _SCANDINAVIAN_DA,
    "is": {"á": _after("a"), "ð": _after("d"), "é": _after("e"), "í": _after("i"), "ó": _after("o"),
           "ú": _after("u"), "ý": _after("y"), "þ": _after("z", 0), "æ": _after("z", 1), "ä": _after("z", 1),
           "ö": _after("z", 2), "ø": _after("z", 2), "å": _after("z", 3)},
    "es": {"ñ": _after("n")},
    "cs": {"č": _after("c"), "ch": _after("h"), "ř": _after("r"), "š": _after("s"), "ž": _after("z")},
    "sk": {"ä": _after("a"), "č": _after("c"), "ch": _after("h"), "ô": _after("o"), "š": _after("s"),
           "ž": _after("z")},
    "pl": {"ą": _after("a"), "ć": _after("c"), "ę": _after("e"), "ł": _after("l"), "ń": _after("n"),
           "ó": _after("o"), "ś": _after("s"), "ź": _after("z", 0), "ż": _after("z", 1)},
    "hr": {"č": _after("c", 0), "ć": _after("c", 1), "dž": _after("d", 0), "đ": _after("d", 1),
           "lj": _after("l"), "nj": _after("n"), "š": _after("s"), "ž": _after("z")},
    "sl": {"č": _after("c"), "š": _after("s"), "ž": _after("z")},
    "et": {"š": _after("s", 0), "z": _after("s", 1), "ž": _after("s", 2), "õ": _after("w", 0),
           "ä": _after("w", 1), "ö": _after("w", 2), "ü": _after("w", 3)},
    "lt": {"č": _after("c"), "š": _after("s"), "ž": _after("z")},
    "lv": {"č": _after("c"), "ģ": _after("g"), "ķ": _after("k"), "ļ": _after("l"), "ņ": _after("n"),
           "š": _after("s"), "ž": _after("z")},
    "hu": {"ö": _after("o"), "ő": _after("o"), "ü": _after("u"), "ű": _after("u")},
    "ro": {"ă": _after("a", 0), "â": _after("a", 1), "î": _after("i"), "ș": _after("s"), "ş": _after("s"),
           "ț": _after("t"), "ţ": _after("t")},
}
# Letters normalisation leaves whole, placed as ICU's root collation places them.
ROOT = {"ł": "l", "đ": "d", "ø": "o", "ħ": "h", "ŧ": "t", "ß": "ss", "æ": _after("a"), "ð": _after("d"),
        "ı": _after("i"), "œ": _after("o"), "þ": _after("z")}
for _table in TAILORINGS.values():
    for _letter, _place in ROOT.items():
        _table.setdefault(_letter, _place)
TAILORINGS[""] = ROOT
_TAILORED = {lang: re.compile("|".join(sorted(table, key=len, reverse=True))) for lang, table in TAILORINGS.items()}


# ASCII symbols in the order of ICU's root collation (which is not code-point order); other
# symbols follow them in code-point order.
_SYMBOL_RANK = {ch: chr(1 + i) for i, ch in enumerate("`^+<=>|~$")}


@lru_cache(maxsize=4096)
def _base(ch: str) -> str:
    """What a character of a decomposed key counts as: nothing for accents, spaces and
    punctuation (ICU's "ignore punctuation" ignores no symbol), symbols before every digit and
    letter. The sort keys' own separator (``|``, where a key had a space) is such a symbol."""
    category = unicodedata.category(ch)
    if category[0] in "MPZC":
        return ""
    if category[0] == "S":
        return "\x00" + _SYMBOL_RANK.get(ch, ch)
    return ch


def dotted_lower(text: str) -> str:
    """Lower case as Turkish and Azerbaijani write it: I -> ı, İ -> i."""
    return text.replace("I", "\u0131").replace("\u0130", "i").lower()


@lru_cache(maxsize=65536)
def key(text: str, lang: str = "") -> str:
    """What ``text`` sorts by in language ``lang`` (a tag's primary subtag: "tr", "sv", ...)."""
    text = (dotted_lower(text) if lang in ("tr", "az") else text.lower()).lstrip("[]'\"")
    if lang not in _TAILORED:
        lang = ""
    tailored, table = _TAILORED[lang], TAILORINGS[lang]

    def place(m: re.Match[str]) -> str:
        return table[m.group()]

    text = tailored.sub(place, text)
    base = "".join(_base(ch) for ch in unicodedata.normalize("NFKD", text)).casefold()
    return _NUMBER.sub(_number, base)


def _number(m: re.Match[str]) -> str:
    """A run of digits as a string that orders by the number's value (its length first), after
    every symbol (``\x00`` and a rank) and before every letter."""
    digits = m.group().lstrip("0") or "0"
    return "\x01" + chr(0x20 + len(digits)) + digits


def compare(a: str, b: str, lang: str = "") -> int:
    ka, kb = key(a, lang), key(b, lang)
    return (ka > kb) - (ka < kb)
