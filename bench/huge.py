"""bibkit at a DBLP-like size: one generated corpus of N records beside the same generator's 10,000,
in one run; writes its own part of docs/performance.md.

    .venv/bin/python bench/huge.py 1000000                       # generates both corpora (~15 min at 1M)
    .venv/bin/python bench/huge.py 1000000 --corpus /tmp/mixed1m  # a corpus generate_mixed.py wrote

Measured at both sizes, each a whole process (wall clock, peak memory of the process as
``bench/run.py`` takes them): ``validate`` with an empty store, then ``export -f bibtex`` (which
renders what the store lacks), a warm ``export`` (nothing changed), and an ``export`` after one
record was edited. ``import`` is not measured here (``bench/run.py`` measures it to 100,000).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from run import BIBKIT, ROOT, Figure, measure, retitled, victim_of  # type: ignore[import-not-found]

START = "<!-- bench/huge.py: from here -->"
END = "<!-- bench/huge.py: to here -->"


def _figures(folder: Path, work: Path) -> list[tuple[str, Figure]]:
    cache = work / f"cache-{folder.name}"
    env = {"BIBKIT_CACHE_DIR": str(cache)}
    records = str(folder / "records")
    out = str(work / "out.bib")

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    validate = measure([BIBKIT, "validate", "-q", records], 1, prepare=cold, env=env)
    export = measure([BIBKIT, "export", "-q", "-f", "bibtex", "-r", records, "-o", out], 1, env=env)
    warm = measure([BIBKIT, "export", "-q", "-f", "bibtex", "-r", records, "-o", out], 1, env=env)
    victim = victim_of(sorted((folder / "records").glob("a*.yaml")))
    original = victim.read_text()
    victim.write_text(retitled(original, "Edited") or original)
    try:
        edited = measure([BIBKIT, "export", "-q", "-f", "bibtex", "-r", records, "-o", out], 1, env=env)
    finally:
        victim.write_text(original)
    cold()
    return [("validate, cold", validate), ("export after that validate", export),
            ("validate + export, cold",
             Figure(validate.seconds + export.seconds, max(validate.peak_mb, export.peak_mb))),
            ("export, warm (nothing changed)", warm),
            ("export, one record edited", edited)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="records in the large corpus")
    parser.add_argument("--corpus", type=Path, help="a folder generate_mixed.py wrote for n (else generated)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "bibkit")], check=True)
    work = Path(tempfile.mkdtemp(prefix="bibkit-huge-"))
    os.chdir(work)  # not the repository's bibkit.toml: that is the shipped collection's
    folders = {}
    for n in (10000, args.n):
        folder = args.corpus if n == args.n and args.corpus else work / f"mixed{n}"
        if not folder.exists():
            subprocess.run([sys.executable, str(ROOT / "bench" / "generate_mixed.py"), str(n), str(folder)],
                           check=True, cwd=ROOT / "bench")
        folders[n] = folder
    small, large = (_figures(folders[n], work) for n in (10000, args.n))
    lines = [START, "",
             f"`bench/huge.py {args.n}`: the mixed corpus (`bench/generate_mixed.py`) at 10,000 and {args.n:,} "
             f"records, one run each, on {platform.machine()}, {os.cpu_count()} cores, "
             f"Python {platform.python_version()}.", "",
             f"| work | 10,000: s | per 1,000 | peak MB | {args.n:,}: s | per 1,000 | peak MB | "
             f"per record, {args.n:,} / 10,000 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for (what, a), (_, b) in zip(small, large, strict=True):
        pa, pb = a.seconds / 10, b.seconds / args.n * 1000
        lines.append(f"| {what} | {a.seconds:.2f} | {pa:.3f} | {a.peak_mb:.0f} | {b.seconds:.2f} | {pb:.3f} | "
                     f"{b.peak_mb:.0f} | {pb / pa:.2f}x |")
    lines += ["", END]
    block = "\n".join(lines)
    old = args.out.read_text()
    if START in old:
        head, _, rest = old.partition(START)
        _, _, tail = rest.partition(END)
        args.out.write_text(head + block + tail)
    else:
        args.out.write_text(old.rstrip("\n") + "\n\n" + block + "\n")
    print(block)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
