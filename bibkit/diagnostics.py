"""Findings as values: what is wrong, where, and how bad.

The library collects these and never prints; a reporter (``report.py``) turns them into text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Span(NamedTuple):
    """A 1-based line and column in a source file (a tuple: a record has dozens, a collection
    hundreds of thousands, and a frozen dataclass costs several times more to make)."""

    line: int = 1
    col: int = 1

    @classmethod
    def from_mark(cls, mark: Any) -> Span:
        """The one place where PyYAML's 0-based marks become 1-based positions."""
        if mark is None:
            return cls()
        return cls(mark.line + 1, mark.column + 1)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    path: Path
    span: Span
    code: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def col(self) -> int:
        return self.span.col

    def sort_key(self) -> tuple[str, int, int, str]:
        return (str(self.path), self.line, self.col, self.code)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity.value} {self.code} {self.message}"


class BibkitError(Exception):
    """A failure the user can act on; the CLI prints it as one line (exit 2)."""
