"""Rules across records, on compact keys: what each rule needs of a record, never the record.

A collection of 100,000 records is checked for repeated citation keys (former keys too),
arXiv identifiers, DOIs and near-duplicate titles from one small ``Facts`` tuple per record, so a streaming run holds
these and nothing else. Near-duplicate titles are found by comparing each title with its
neighbours in two sorted orders; after an edit, ``neighbours`` and ``repaired`` find the same
pairs by looking again only around the titles that changed (``near_duplicates_update`` in
memory, the store from its indexes).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from bibkit.diagnostics import Diagnostic, Severity, Span
from bibkit.folding import title_key
from bibkit.library import Loaded

# Titles at least this similar (2 * longest common subsequence / total length, of the folded
# text) are reported as near-duplicates.
NEAR_DUPLICATE_RATIO = 0.9
_SHORTEST = NEAR_DUPLICATE_RATIO / (2 - NEAR_DUPLICATE_RATIO)
WINDOW = 8


class Facts(NamedTuple):
    """What the rules across records need of one record: keys and where they stand."""

    path: str
    key: str
    key_span: Span
    ids: tuple[str, ...]  # former keys
    ids_span: Span
    arxiv: str | None
    arxiv_span: Span
    doi: str | None
    doi_span: Span
    title: str
    title_span: Span
    title_key: str

    @classmethod
    def of(cls, loaded: Loaded) -> Facts | None:
        rec = loaded.record
        if rec is None:
            return None
        return cls(str(loaded.path), rec.key, loaded.span("id" if "id" in loaded.spans else ""),
                   rec.ids, loaded.span("ids"), rec.arxiv.base if rec.arxiv else None, loaded.span("arxiv"),
                   rec.doi.value if rec.doi else None, loaded.span("DOI"),
                   rec.title, loaded.span("title"), title_key(rec.title) if rec.title else "")

    def diag(self, span: Span, code: str, message: str, severity: Severity = Severity.ERROR) -> Diagnostic:
        return Diagnostic(Path(self.path), span, code, message, severity)

    def at(self, name: str, code: str, message: str) -> Diagnostic:
        """An error at the record's ``name``: key, ids, arxiv or doi (``repeats``' fields)."""
        span = {"key": self.key_span, "ids": self.ids_span, "arxiv": self.arxiv_span, "doi": self.doi_span}[name]
        return self.diag(span, code, message)


Row = tuple[str, str, Sequence[str], str | None, str | None]  # path, key, former keys, arXiv id, DOI


def repeats(rows: Iterable[Row]) -> Iterator[tuple[str, str, str, str]]:
    """For rows of (path, key, former keys, arXiv id, DOI) in the collection's order: (path,
    field, code, message) for each record after the first that repeats a citation key or a
    former key (BK040; compared as BibTeX does, without case: a paper that cites a name must
    find one record), an arXiv identifier (BK041) or a DOI (BK042; without case)."""
    names: dict[str, str] = {}
    arxiv: dict[str, str] = {}
    dois: dict[str, str] = {}
    for path, key, former_keys, aid, doi in rows:
        own: set[str] = set()  # the record's names so far: its key, then its former keys
        for name, former in ((key, False), *((old, True) for old in former_keys)):
            folded = name.casefold()
            first = names.setdefault(folded, path)
            if first == path and folded not in own:
                own.add(folded)
                continue
            what = f"former key {name!r}" if former else f"citation key {name!r}"
            if first != path:
                why = f"is also used by {first}"
            else:
                why = "is the record's own key" if folded == key.casefold() else "is listed twice"
            yield path, "ids" if former else "key", "BK040", f"{what} {why}"
        if aid is not None and (first := arxiv.setdefault(aid, path)) != path:
            yield path, "arxiv", "BK041", f"arXiv identifier {aid} is also in {first}"
        if doi is not None and (first := dois.setdefault(doi.lower(), path)) != path:
            yield path, "doi", "BK042", f"DOI {doi} is also in {first}"


def duplicates(facts: Sequence[Facts]) -> Iterator[Diagnostic]:
    """``repeats`` as findings, at the repeated value."""
    by_path = {f.path: f for f in facts}
    for path, name, code, message in repeats((f.path, f.key, f.ids, f.arxiv, f.doi) for f in facts):
        yield by_path[path].at(name, code, message)


# Near-duplicate titles. An entry of an order is (sort text, path); the pairs found are
# (path, path) with the smaller path first.
Entry = tuple[str, str]
Pair = tuple[str, str]


def _orders(titles: dict[str, str]) -> tuple[list[Entry], list[Entry]]:
    """The titles sorted as written and sorted reversed (a near-duplicate differs somewhere,
    rarely at both ends), ties broken by path."""
    return sorted((t, p) for p, t in titles.items()), sorted((t[::-1], p) for p, t in titles.items())


class Orders(Protocol):
    """A collection's non-empty titles in the two orders of ``_orders``."""

    def around(self, title: str, path: str, reverse: bool) -> list[Entry]:
        """The entries from ``WINDOW`` places before (``title``, ``path``) to ``WINDOW`` after
        it, in the reversed order if ``reverse``; the entry itself among them if it is there."""
        ...


class SortedTitles:
    """``Orders`` of titles held here, as sorted lists."""

    def __init__(self, titles: dict[str, str]) -> None:
        self.forward, self.backward = _orders(titles)

    def around(self, title: str, path: str, reverse: bool) -> list[Entry]:
        order = self.backward if reverse else self.forward
        pos = bisect_left(order, (title[::-1] if reverse else title, path))
        return order[max(0, pos - WINDOW):pos + WINDOW + 1]


def load() -> None:
    """Import what comparing titles needs (``_Titles``), ahead of the comparison."""
    import rapidfuzz.distance.Indel  # noqa: F401


class _Titles:
    """Each title's text, and whether two are near-duplicates."""

    def __init__(self, titles: dict[str, str]) -> None:
        # rapidfuzz's bit-parallel LCS gives the exact ratio in microseconds, where difflib's
        # approximation took milliseconds a pair on long titles (most of a cold run on real
        # bibliographies). Imported here: a run in which no title changed never needs it.
        from rapidfuzz.distance.Indel import normalized_similarity

        self.text = titles
        self.ratio = normalized_similarity

    def similar(self, pa: str, pb: str) -> bool:
        a, b = self.text[pa], self.text[pb]
        la, lb = len(a), len(b)
        # The ratio is 2 * LCS / (la + lb) <= 2 * short / (short + long): a cheap exact bound.
        if (la if la < lb else lb) < _SHORTEST * (la if la > lb else lb):
            return False
        return self.ratio(a, b, score_cutoff=NEAR_DUPLICATE_RATIO) >= NEAR_DUPLICATE_RATIO


def near_duplicates(titles: dict[str, str]) -> set[Pair]:
    """Pairs of paths whose folded titles (``titles``: path -> title key) are near-duplicates,
    among each title's ``WINDOW`` neighbours in both sorted orders."""
    titles = {p: t for p, t in titles.items() if t}
    compared = _Titles(titles)
    found: set[Pair] = set()
    forward, backward = _orders(titles)
    # Each pair once: a pair the first order already brought together is not compared again.
    # (No set of the pairs seen: at a million titles it would hold sixteen million.)
    place = {p: i for i, (_, p) in enumerate(forward)}
    for order, first in ((forward, True), (backward, False)):
        for a, (_, pa) in enumerate(order):
            for _, pb in order[a + 1:a + 1 + WINDOW]:
                if not first and abs(place[pa] - place[pb]) <= WINDOW:
                    continue
                if compared.similar(pa, pb):
                    found.add((pa, pb) if pa <= pb else (pb, pa))
    return found


# After an edit. A pair's being a candidate depends only on what lies between its two titles in
# each order; so a pair with neither title within ``WINDOW`` places of a change, in the old
# orders or the new ones, is what it was, and every other pair is looked at again. Both steps
# read only windows of the orders, so the store answers them from its indexes.

def neighbours(orders: Orders, titles: dict[str, str]) -> set[str]:
    """The paths within ``WINDOW`` places of each of ``titles`` (path -> title) in ``orders``:
    before an edit for the titles it changed or removed, after it for those it changed or added."""
    near: set[str] = set()
    for path, title in titles.items():
        if title:
            for reverse in (False, True):
                near.update(p for _, p in orders.around(title, path, reverse))
    return near


def pairs_near(orders: Orders, titles: dict[str, str]) -> set[Pair]:
    """The near-duplicate pairs among the candidates that include one of ``titles`` (path ->
    title, as ``orders`` holds it)."""
    text: dict[str, str] = {}
    compared = _Titles(text)
    found: set[Pair] = set()
    seen: set[Pair] = set()
    for path, title in titles.items():
        if not title:
            continue
        for reverse in (False, True):
            window = orders.around(title, path, reverse)
            text.update((p, t[::-1] if reverse else t) for t, p in window)
            at = [p for _, p in window].index(path)
            for a in range(max(0, at - WINDOW), at + 1):
                for b in range(max(a + 1, at), min(len(window), a + WINDOW + 1)):
                    pa, pb = window[a][1], window[b][1]
                    pair = (pa, pb) if pa <= pb else (pb, pa)
                    if pair not in seen:
                        seen.add(pair)
                        if compared.similar(pa, pb):
                            found.add(pair)
    return found


def near_duplicates_update(old: dict[str, str], new: dict[str, str], pairs: set[Pair]) -> set[Pair]:
    """``near_duplicates(new)``, given ``pairs == near_duplicates(old)``: only the windows
    around a title that came, went or changed are compared again."""
    old = {p: t for p, t in old.items() if t}
    new = {p: t for p, t in new.items() if t}
    changed = {p for p in old.keys() | new.keys() if old.get(p) != new.get(p)}
    if not changed:
        return set(pairs)
    after = SortedTitles(new)
    near = neighbours(SortedTitles(old), {p: old[p] for p in changed if p in old}) \
        | neighbours(after, {p: new[p] for p in changed if p in new})
    return repaired(pairs, near, after, {p: new[p] for p in near if p in new})


def repaired(pairs: set[Pair], near: set[str], after: Orders, titles: dict[str, str]) -> set[Pair]:
    """The pairs after an edit: those of ``pairs`` with neither path ``near`` a change, and the
    pairs found again around the near paths still there (``titles``: their titles after it)."""
    kept = {pair for pair in pairs if pair[0] not in near and pair[1] not in near}
    return kept | pairs_near(after, titles)


def near_duplicate_findings(pairs: Iterable[Pair], facts: dict[str, Facts]) -> Iterator[Diagnostic]:
    """BK043 on the second record of each pair (by path), naming the first and its title."""
    for a, b in sorted(pairs):
        first, second = facts[a], facts[b]
        yield second.diag(second.title_span, "BK043", f"title is nearly the same as in {first.path}: "
                          f"{first.title!r}", Severity.WARNING)


def findings(facts: Sequence[Facts]) -> list[Diagnostic]:
    """Every finding across records, computed afresh."""
    by_path = {f.path: f for f in facts}
    pairs = near_duplicates({f.path: f.title_key for f in facts})
    return [*duplicates(facts), *near_duplicate_findings(pairs, by_path)]
