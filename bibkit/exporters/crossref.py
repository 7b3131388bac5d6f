"""The order of crossref parents in a BibTeX file: after their children.

bibtex resolves a crossref only when the parent comes later in the file; biber reads any order,
so both dialects use this one. Apart from the BibTeX writer: an export streamed from the record
store orders its stored entries with ``crossref_depths`` and renders none of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bibkit.model import Record


def crossref_order(records: Sequence[Record]) -> list[Record]:
    """``records`` in their order, each crossref parent moved after its children (and a parent's
    parent after it)."""
    children: dict[str, list[str]] = {}
    for r in records:
        if parent := r.get("crossref"):
            children.setdefault(parent.casefold(), []).append(r.key)
    depth = crossref_depths(children, (r.key for r in records if r.key.casefold() in children))
    return sorted(records, key=lambda r: depth.get(r.key.casefold(), 0))  # stable: the given order within each depth


def crossref_depths(children: dict[str, list[str]], parents: Iterable[str]) -> dict[str, int]:
    """For each key of ``parents`` (in the order given; casefolded in the answer), how many
    generations of crossref children lie below it: ``children`` maps a casefolded key to the
    keys of the entries that name it in ``crossref``. A key no entry names is 0, and needs no
    look-up: an export streamed from the store asks only about the parents."""
    depth: dict[str, int] = {}

    def depth_of(key: str, seen: frozenset[str] = frozenset()) -> int:
        folded = key.casefold()
        if folded not in depth:
            below = [c for c in children.get(folded, ()) if c.casefold() not in seen]  # a cycle stops here
            depth[folded] = 1 + max((depth_of(c, seen | {folded}) for c in below), default=-1)
        return depth[folded]

    for key in parents:
        depth_of(key)
    return depth
