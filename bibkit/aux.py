"""What a LaTeX run cited: the keys in its ``.aux`` file, for ``export --aux``.

LaTeX writes one line per citation to the ``.aux`` file, in one of two dialects:

- BibTeX and natbib: ``\\citation{a,b}``; ``\\nocite{*}`` writes ``\\citation{*}``.
- biblatex: ``\\abx@aux@cite{0}{a}`` (refsection first, since biblatex 3.8) or ``\\abx@aux@cite{a}``
  (older); ``\\nocite{*}`` writes ``\\abx@aux@nociteall``.

``\\include`` adds ``\\@input{chapter.aux}``, whose citations count too: nested files are read
relative to the top-level file's directory, as LaTeX reads them. A citation keeps where it was
found, so that a key no record has is reported at its line, like LaTeX reports an undefined one.

A record is cited under its key or under one of its former keys (``ids``); the records handed
to the exporters carry the names the paper uses: the current key when it is cited, otherwise the
former key that is, and as ``ids`` the other names cited (biblatex resolves them as aliases;
the BibTeX export writes a copy of the entry under each).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bibkit.diagnostics import BibkitError, Diagnostic, Severity, Span
from bibkit.model import Record

_COMMANDS = re.compile(
    r"\\citation\{(?P<natbib>[^{}]*)\}"
    r"|\\abx@aux@cite\{(?P<first>[^{}]*)\}(?:\{(?P<second>[^{}]*)\})?"
    r"|\\abx@aux@nociteall"
    r"|\\@input\{(?P<input>[^{}]*)\}"
)
MAX_FILES = 1000  # \include'd chapters; anything beyond is a loop or not a LaTeX run


@dataclass(frozen=True, slots=True)
class Citation:
    key: str
    path: Path  # the .aux file that holds it
    line: int
    col: int


@dataclass(frozen=True)
class Cited:
    """Every citation of a LaTeX run, in the order written, and whether it cited everything."""

    citations: tuple[Citation, ...] = ()
    everything: bool = False  # \nocite{*}
    notes: tuple[Diagnostic, ...] = ()  # nested files that could not be read


def read_aux(path: Path) -> Cited:
    """The citations in ``path`` and the files it inputs; BibkitError when ``path`` is unreadable."""
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        raise BibkitError(f"{path}: no such file; run LaTeX once (pdflatex, lualatex) to write it") from None
    except OSError as exc:
        raise BibkitError(f"{path}: cannot read: {exc.strerror or exc}") from None
    citations: list[Citation] = []
    notes: list[Diagnostic] = []
    everything = False
    seen = {path.resolve()}
    todo: list[tuple[Path, str]] = [(path, text)]
    while todo:
        current, body = todo.pop(0)
        for m in _COMMANDS.finditer(body):
            line = body.count("\n", 0, m.start()) + 1
            col = m.start() - (body.rfind("\n", 0, m.start()) + 1) + 1
            if m["input"] is not None:
                nested = path.parent / m["input"].strip()
                if nested.resolve() in seen or len(seen) >= MAX_FILES:
                    continue
                seen.add(nested.resolve())
                try:
                    todo.append((nested, nested.read_bytes().decode("utf-8", "replace")))
                except OSError:
                    # LaTeX skips a missing \@input file too (a chapter not compiled yet).
                    notes.append(Diagnostic(current, Span(line, col), "BK071",
                                            f"{nested} is not there to read (LaTeX skips it too): "
                                            "its citations are not counted", Severity.WARNING))
                continue
            keys = m["natbib"] if m["natbib"] is not None else m["second"] if m["second"] is not None \
                else m["first"]
            if keys is None:  # \abx@aux@nociteall
                everything = True
                continue
            for key in (k.strip() for k in keys.split(",")):
                if key == "*":
                    everything = True
                elif key:
                    citations.append(Citation(key, current, line, col))
    return Cited(tuple(citations), everything, tuple(notes))


def cited_records(records: Sequence[Record], cited: Cited) -> tuple[list[Record], list[Diagnostic]]:
    """The records ``cited`` names, under the names it uses, and a finding for each key no
    record has (an error, as LaTeX leaves such a citation undefined)."""
    by_name: dict[str, Record] = {}
    for r in records:
        for name in (r.key, *r.ids):
            by_name.setdefault(name, r)
    findings = []
    reported: set[str] = set()
    for c in cited.citations:
        if c.key not in by_name and c.key not in reported:
            reported.add(c.key)
            findings.append(Diagnostic(c.path, Span(c.line, c.col), "BK070",
                                       f"citation {c.key!r} is not the key, or a former key (ids), of "
                                       "any record: LaTeX will print it as undefined"))
    first: dict[str, Citation] = {}
    for c in cited.citations:
        first.setdefault(c.key, c)
    order = {key: i for i, key in enumerate(first)}
    out = []
    for r in records:
        names = sorted((n for n in (r.key, *r.ids) if n in first), key=order.__getitem__)
        if cited.everything:
            out.append(r)
        elif names:
            primary = r.key if r.key in first else names[0]
            others = tuple(n for n in names if n != primary)
            # The record itself when the paper uses its names as the record has them: the record
            # store answers with the entry it keeps for it.
            out.append(r if (primary, others) == (r.key, r.ids) else dataclasses.replace(r, key=primary, ids=others))
        if len(names) > 1:
            again = first[names[1]]
            findings.append(Diagnostic(again.path, Span(again.line, again.col), "BK072",
                                       f"{names[1]!r} and {names[0]!r} name the same record ({r.key}): "
                                       "BibTeX lists it twice, biblatex once", Severity.WARNING))
    return out, sorted([*cited.notes, *findings], key=Diagnostic.sort_key)
