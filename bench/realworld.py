"""A corpus of real bibliographies: every .bib and CSL-JSON file in tests/data/realworld, imported
by bibkit, then repeated until there are N entries.

    python bench/realworld.py 10000 /tmp/real10k   # -> records/, collection.bib, collection.json

Whatever real files are there when it runs are used (their number grows as the tests get more).
Entries bibkit finds errors in (no author, a journal article without its journal, the second of
two entries with one DOI) are left out: an export stops at errors, and the corpus is to measure
exports.
A repeated entry must stay a different entry, or every copy would be a duplicate the validator
reports (and a duplicate DOI stops an export): each copy gets its own key (``key-2``), DOI
(``.../x.c2``) and arXiv identifier, and a subtitle taken from another real title, so that no
two copies are near-duplicates either. Everything else is as its producer wrote it.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
import tempfile
from pathlib import Path

from generate import write  # type: ignore[import-not-found]

from bibkit.diagnostics import Severity
from bibkit.dump import dump_record
from bibkit.imports import read_file
from bibkit.keys import SUFFIX, file_stem_for
from bibkit.loader import load_library
from bibkit.model import ArxivId, Doi, Record
from bibkit.rules import validate

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "tests" / "data" / "realworld"


def originals() -> list[Record]:
    """Every entry of every real file, once per key (case-insensitively), in a stable order,
    without the entries bibkit finds errors in."""
    files = sorted([*SOURCES.glob("bib/*.bib"), *SOURCES.glob("csl-json/*.json")])
    seen: set[str] = set()
    out: list[Record] = []
    for path in files:
        for r in read_file(path).records:
            if r.key.casefold() not in seen:
                seen.add(r.key.casefold())
                out.append(r)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for r in out:
            (folder / f"{file_stem_for(r.key)}{SUFFIX}").write_text(dump_record(r), encoding="utf-8")
        library = load_library([folder])
        by_path = {lo.path: lo.record.key for lo in library.loaded if lo.record is not None}
        bad = {by_path.get(d.path) for d in validate(library) if d.severity is Severity.ERROR}
    kept = [r for r in out if r.key not in bad]
    print(f"{len(files)} real files, {len(out)} entries, {len(kept)} without errors", file=sys.stderr)
    return kept


def _fresh_arxiv(counter: itertools.count[int], used: set[str], month: str) -> ArxivId:
    while True:
        base = f"{month}.{next(counter) % 90000 + 10000:05d}"
        if base not in used:
            used.add(base)
            return ArxivId(base)


def corpus(n: int) -> list[Record]:
    base = originals()
    if not base:
        raise SystemExit(f"no real bibliographies in {SOURCES}")
    used = {r.arxiv.base for r in base if r.arxiv}
    counter = itertools.count()
    out: list[Record] = []
    for i in range(n):
        r = base[i % len(base)]
        copy = i // len(base)
        if copy:
            other = base[(i * 7 + copy * 13) % len(base)].title
            changes: dict[str, object] = {"key": f"{r.key}-{copy + 1}", "title": f"{r.title}: {other}"}
            if r.doi:
                short = r.doi.value.startswith("10/")  # a shortDOI: letters and digits only
                changes["doi"] = Doi(f"{r.doi.value}{'' if short else '.'}c{copy + 1}")
            if r.arxiv:
                changes["arxiv"] = _fresh_arxiv(counter, used, r.arxiv.base.split("/")[-1][:4])
            r = dataclasses.replace(r, **changes)  # type: ignore[arg-type]
        out.append(r)
    return out


if __name__ == "__main__":
    write(corpus(int(sys.argv[1])), Path(sys.argv[2]))
