"""Generated citation keys, for entries that come without one.

A pattern is text with placeholders: ``{family}`` (first author's family name with its
particle, in ASCII (``folding.to_ascii``: Økland ``okland``), everything but letters and digits
removed, lower case), ``{Family}`` (the same,
capitalised), ``{year}``, ``{firstword}`` (the first title word that is not a, an, the, on,
of, in, for, to, do, does, how, can, is, are, what; lower case) and ``{arxiv}`` (the arXiv
identifier, ``/`` and ``.`` as ``_``). A key already taken (compared without regard to case)
gets ``a``, ``b``, ... ``z``, ``aa`` appended.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING

from bibkit.diagnostics import BibkitError
from bibkit.folding import to_ascii

if TYPE_CHECKING:  # (annotations only: a run answered from the record store never imports the model)
    from bibkit.model import Record

DEFAULT_PATTERN = "{family}{year}{firstword}"
_SKIP = frozenset("a an the on of in for to do does how can is are what".split())
_FIELDS = frozenset({"family", "Family", "year", "firstword", "arxiv"})


def _ascii_letters(text: str) -> str:
    return "".join(c for c in to_ascii(text) if c.isalnum())


def check_pattern(pattern: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as exc:
        raise BibkitError(f"key pattern {pattern!r}: {exc}") from None
    unknown = names - _FIELDS
    if unknown or not names:
        raise BibkitError(f"key pattern {pattern!r} may use only "
                          + ", ".join("{" + n + "}" for n in sorted(_FIELDS)))


def _parts(record: Record) -> dict[str, str]:
    first = record.author[0] if record.author else (record.editor[0] if record.editor else None)
    family = ""
    if first is not None:
        family = _ascii_letters(first.literal or first.family_with_particle).lower()
    words = [w.lower() for w in re.findall(r"\w+", record.title)]
    firstword = next((_ascii_letters(w) for w in words if w not in _SKIP and _ascii_letters(w)), "")
    return {
        "family": family or "anon",
        "Family": (family or "anon").capitalize(),
        "year": str(record.issued.year) if record.issued else "nd",
        "firstword": firstword,
        "arxiv": record.arxiv.base.replace("/", "_").replace(".", "_") if record.arxiv else "",
    }


def _suffix(n: int) -> str:
    """The n-th suffix: "", "a", ..., "z", "aa", ..."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def generate_key(record: Record, taken: set[str], pattern: str = DEFAULT_PATTERN,
                 tried: dict[str, int] | None = None) -> str:
    """A key for ``record`` by ``pattern`` not in ``taken`` (casefolded); adds it to ``taken``.

    ``tried`` (kept by the caller across calls) remembers, per base key, the suffixes already
    found taken, so that the thousandth ``smith2020`` does not try the 999 before it again.
    """
    base = pattern.format(**_parts(record))
    start = tried.get(base.casefold(), 0) if tried is not None else 0
    for n in range(start, 10_000):
        key = base + _suffix(n)
        if key.casefold() not in taken:
            taken.add(key.casefold())
            if tried is not None:
                tried[base.casefold()] = n + 1
            return key
    raise BibkitError(f"no free key for {base!r}")
