"""Exporters: one module per format, one registry that is also the CLI's list of choices."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bibkit.model import Record

Exporter = Callable[[Sequence[Record]], bytes]


def _bibtex(records: Sequence[Record]) -> bytes:
    from bibkit.export import bibtex

    return bibtex.render(bibtex.BIBTEX, records)


def _biblatex(records: Sequence[Record]) -> bytes:
    from bibkit.export import bibtex

    return bibtex.render(bibtex.BIBLATEX, records)


EXPORTERS: dict[str, Exporter] = {
    "bibtex": _bibtex,
    "biblatex": _biblatex,
}


def sort_records(records: Sequence[Record]) -> list[Record]:
    """The defined export order: by citation key, case-insensitively, then exactly."""
    return sorted(records, key=lambda r: (r.key.casefold(), r.key))
