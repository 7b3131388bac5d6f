"""Text compared without regard to case, accents and punctuation: one definition for every rule
that matches names or titles (selection by author, near-duplicate titles, arXiv title matching);
and text made ASCII for keys (``to_ascii``)."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Case-folded, accents removed: ``Niccolò`` -> ``niccolo``."""
    if text.isascii():  # most titles and names: nothing to decompose, and casefold is lower
        return text.lower()
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def title_key(text: str) -> str:
    """The words of a title, folded, one space between: ``LEACE: Perfect`` -> ``leace perfect``."""
    return " ".join(_WORD.findall(fold(text)))


# Latin letters that are not an ASCII letter with accents (Unicode gives them no decomposition),
# written as ASCII as BibTeX's own accent commands and most transliterations write them.
_LETTERS = str.maketrans({"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
                          "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
                          "ı": "i", "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T", "ŋ": "ng", "Ŋ": "Ng"})


def to_ascii(text: str) -> str:
    """Accents removed, letters of their own transliterated, anything else not ASCII dropped:
    ``Økland`` -> ``Okland``, ``Hernández`` -> ``Hernandez``, ``Straße`` -> ``Strasse``."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if c.isascii())
