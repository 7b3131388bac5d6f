"""``bibkit build``: every output the configuration lists, from one reading of the records.

All outputs are rendered in memory before the first one is written, so a problem anywhere (a
record with errors, a selection naming a key that does not exist) leaves every file as it was.
Each file is then written atomically and only when its content changes, so ``make`` and
``latexmk`` see new timestamps only on files that really changed.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bibkit.config import Config, Output
from bibkit.diagnostics import Diagnostic
from bibkit.model import Record
from bibkit.write import write_if_changed


class Status(enum.StrEnum):
    WROTE = "wrote"
    UNCHANGED = "unchanged"
    STALE = "stale"  # --check: the file differs from what a build would write
    MISSING = "missing"  # --check: the file does not exist


@dataclass(frozen=True)
class Built:
    output: Output
    status: Status
    records: int
    size: int


@dataclass
class BuildResult:
    findings: list[Diagnostic] = field(default_factory=list)
    built: list[Built] = field(default_factory=list)

    # A record cannot be read, a paper cites a key no record has, or (strict) there are errors:
    # nothing was written (validate.blocks_export).
    blocked: bool = False

    @property
    def out_of_date(self) -> list[Built]:
        return [b for b in self.built if b.status in (Status.STALE, Status.MISSING)]


def choose(output: Output, records: Sequence[Record]) -> tuple[list[Record], list[Diagnostic]]:
    """The records ``output`` carries (reading its ``aux`` file now), and the citations in it
    that no record answers."""
    from bibkit.aux import read_aux
    from bibkit.select import choose as choose_records

    selection = output.selection
    if output.aux is not None:
        selection = dataclasses.replace(selection, cited=read_aux(output.aux))
    return choose_records(records, selection)


def render(output: Output, records: Sequence[Record]) -> bytes:
    """The bytes ``output`` should hold, for the records chosen for it."""
    from bibkit.exporters import ExportOptions, export

    options = ExportOptions(style=output.style, locale=output.locale, ascii=output.ascii, page=output.page)
    return export(records, output.format, options)


def build(config: Config, *, check: bool = False, cache_dir: Path | None = None) -> BuildResult:
    """Render every output, then write the changed ones (with ``check``: compare, write nothing).

    With ``cache_dir``, unchanged records are not parsed again (``build --check`` runs in pre-commit).
    """
    from bibkit.collection import checked_library
    from bibkit.libcache import Store
    from bibkit.rules import blocks_export

    if not config.records.is_dir():
        problem = "is not a directory" if config.records.exists() else "does not exist"
        raise config.error("records", f"{str(config.records)!r} {problem}")
    if not config.outputs:
        raise config.error("outputs", f"none configured; add an [[{config.prefix}outputs]] table")
    with Store(cache_dir, [config.records]) as store:
        found, library, unreadable = checked_library(store, date.today(), config.rules)
    result = BuildResult(findings=found)
    chosen = []
    for output in config.outputs:
        records, findings = choose(output, library.records)
        chosen.append(records)
        result.findings.extend(findings)
    result.blocked = blocks_export(unreadable, result.findings, config.strict)
    if result.blocked:
        return result
    rendered = [(output, render(output, records), len(records))
                for output, records in zip(config.outputs, chosen, strict=True)]
    for output, data, count in rendered:
        if check:
            try:
                status = Status.UNCHANGED if output.path.read_bytes() == data else Status.STALE
            except FileNotFoundError:
                status = Status.MISSING
        else:
            output.path.parent.mkdir(parents=True, exist_ok=True)
            status = Status.WROTE if write_if_changed(output.path, data) else Status.UNCHANGED
        result.built.append(Built(output, status, count, len(data)))
    return result
