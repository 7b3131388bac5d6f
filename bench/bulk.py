"""Record files only, in bulk, for the largest sizes (1,000,000 and more): the generators' records,
written by a process per core.

    python bench/bulk.py mixed 1000000 /tmp/mixed1m   # -> records/ (no .bib, no CSL-JSON)

The generators write a .bib and a CSL-JSON file too, for the peers; at these sizes only bibkit
is measured, and writing the YAML files is what takes the time.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import random
import sys
from pathlib import Path

from generate import record as synthetic_record  # type: ignore[import-not-found]
from generate_mixed import record as mixed_record  # type: ignore[import-not-found]

from bibkit.dump import dump_record
from bibkit.keygen import generate_key
from bibkit.keys import SUFFIX, file_stem_for
from bibkit.model import Record


def _write(job: tuple[Path, list[Record]]) -> int:
    folder, records = job
    for r in records:
        (folder / f"{file_stem_for(r.key)}{SUFFIX}").write_text(dump_record(r), encoding="utf-8")
    return len(records)


def main(kind: str, n: int, out: Path) -> None:
    folder = out / "records"
    folder.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    tried: dict[str, int] = {}
    numbers: dict[str, int] = {}
    if kind == "synthetic":
        rng = random.Random(20261123)
        records = [synthetic_record(i, rng, taken, numbers) for i in range(n)]
    else:
        rng = random.Random(19950101)
        records = [mixed_record(i, rng, numbers) for i in range(n)]
        records = [dataclasses.replace(r, key=generate_key(r, taken, tried=tried)) for r in records]
    step = 5000
    with multiprocessing.Pool() as pool:
        done = sum(pool.imap_unordered(_write, [(folder, records[i:i + step]) for i in range(0, n, step)]))
    print(f"{done} records in {folder}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
