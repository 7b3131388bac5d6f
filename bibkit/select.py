"""Choosing records for an export: by key, tag, year (or range), author, and what a paper cites."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bibkit.diagnostics import BibkitError, Diagnostic
from bibkit.folding import fold

# (annotations only: bibkit.aux is imported when a paper's citations are read, most exports have
# none; the model is not imported by a run answered from the record store)
if TYPE_CHECKING:
    from bibkit.aux import Cited
    from bibkit.model import Record


@dataclass(frozen=True)
class Selection:
    keys: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    authors: tuple[str, ...] = ()
    cited: Cited | None = None  # a LaTeX run's citations (export --aux)

    @property
    def everything(self) -> bool:
        """No criterion: every record."""
        return not (self.keys or self.tags or self.years or self.authors or self.cited)

    @staticmethod
    def parse_years(text: str) -> tuple[int, int]:
        """``2023``, ``2021-2023``, ``2021-`` or ``-2023``."""
        text = text.strip()
        first, _, last = text.partition("-") if "-" in text else (text, "", text)
        try:
            lo = int(first) if first else 0
            hi = int(last) if last else 9999
        except ValueError:
            raise BibkitError(f"--year expects 2023, 2021-2023, 2021- or -2023, not {text!r}") from None
        if lo > hi:
            raise BibkitError(f"--year range {text!r} is empty")
        return lo, hi


def _matches_author(record: Record, wanted: str) -> bool:
    needle = fold(wanted)
    return any(needle in fold(str(p)) for p in (*record.author, *record.editor))


def check_keys(keys: Iterable[str], sel: Selection) -> None:
    """Every key the selection names must exist among ``keys``."""
    if sel.keys:
        known = set(keys)
        missing = [k for k in sel.keys if k not in known]
        if missing:
            raise BibkitError(f"no record with key {', '.join(map(repr, missing))}")


def matches(r: Record, sel: Selection) -> bool:
    """The record meets every criterion given (any of several keys, tags or authors)."""
    if sel.keys and r.key not in sel.keys:
        return False
    if sel.tags and not set(sel.tags) & set(r.tags):
        return False
    if sel.years and not (r.issued and sel.years[0] <= r.issued.year <= sel.years[1]):
        return False
    return not (sel.authors and not any(_matches_author(r, a) for a in sel.authors))


def select(records: Sequence[Record], sel: Selection) -> list[Record]:
    """Records matching every criterion given (any of several keys, tags or authors)."""
    check_keys((r.key for r in records), sel)
    return [r for r in records if matches(r, sel)]


def choose(records: Sequence[Record], sel: Selection) -> tuple[list[Record], list[Diagnostic]]:
    """``select``, after keeping only what ``sel.cited`` cites (under the keys it cites them
    by); the findings are the citations no record answers."""
    findings: list[Diagnostic] = []
    if sel.cited is not None:
        from bibkit.aux import cited_records

        records, findings = cited_records(records, sel.cited)
    return select(records, sel), findings
