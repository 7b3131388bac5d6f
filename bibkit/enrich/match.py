"""Is this arXiv paper the record's paper? Title similarity, and a clear lead over the rest.

A candidate is accepted when its normalised title (case, accents and punctuation folded) is at
least ``THRESHOLD`` similar to the record's (difflib ratio) and at least ``MARGIN`` ahead of the
runner-up; when the record names a first author, the candidate's first author must have the
same family name. Anything else is ambiguous and left to a person.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from bibkit.enrich.client import Paper
from bibkit.folding import title_key

THRESHOLD = 0.92
MARGIN = 0.05


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, title_key(a), title_key(b), autojunk=False).ratio()


@dataclass(frozen=True)
class Match:
    paper: Paper | None  # the accepted candidate, or None
    scored: tuple[tuple[float, Paper], ...]  # every candidate, best first

    @property
    def ambiguous(self) -> bool:
        return self.paper is None and bool(self.scored) and self.scored[0][0] >= THRESHOLD


def choose(title: str, family: str | None, candidates: Sequence[Paper]) -> Match:
    unique = {p.arxiv.base: p for p in candidates}
    scored = sorted(((similarity(title, p.title), p) for p in unique.values()),
                    key=lambda sp: (-sp[0], sp[1].arxiv.base))
    if not scored:
        return Match(None, ())
    best_score, best = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    author_ok = family is None or (bool(best.authors) and
                                   title_key(best.authors[0]).split()[-1:] == title_key(family).split()[-1:])
    accepted = best_score >= THRESHOLD and best_score - runner_up >= MARGIN and author_ok
    return Match(best if accepted else None, tuple(scored))
