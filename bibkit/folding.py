"""Text compared without regard to case, accents and punctuation: one definition for every rule
that matches names or titles (selection by author, near-duplicate titles, arXiv title matching)."""

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
