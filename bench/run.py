"""bibkit beside its peers, on the same data, in one run; writes docs/performance.md.

    make bench                     # or: .venv/bin/python bench/run.py [--runs 3] [--sizes 1000,10000]

Every figure is a whole process, timed from outside (wall clock), its peak memory read from the
kernel's accounting of that process (``wait4``); each is the median of ``--runs`` runs. Ratios
compare figures taken in the same run, so they hold when the machine's speed drifts.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BIBKIT = str(BIN / "bibkit")


@dataclass
class Figure:
    seconds: float
    peak_mb: float


def measure(cmd: Sequence[str], runs: int, prepare: Callable[[], None] | None = None,
            stdin: Path | None = None, env: dict[str, str] | None = None, warmup: bool = False) -> Figure:
    times, peaks = [], []
    for i in range(runs + (1 if warmup else 0)):
        if prepare:
            prepare()
        with open(stdin or os.devnull, "rb") as fh:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdin=fh, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env={**os.environ, **(env or {})})
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"failed ({status}): {' '.join(cmd)}")
        if warmup and i == 0:
            continue
        times.append(elapsed)
        peaks.append(usage.ru_maxrss / 1024)
    return Figure(statistics.median(times), max(peaks))


def _python(code: str) -> str:
    """What a line of Python prints, run in a process of its own (this one stays small)."""
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


BIBTEXPARSER = """
import sys, bibtexparser
library = bibtexparser.parse_file(sys.argv[1])
bibtexparser.write_file(sys.argv[2], library)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1000,10000", help="collection sizes for the scale table")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bibkit-bench-"))
    cache = work / "cache"
    env = {"BIBKIT_CACHE_DIR": str(cache)}

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    rows: list[tuple[str, str, Figure, str, Figure | None, str]] = []  # work, ours, fig, peer, fig, goal
    py = [sys.executable, "-c", "pass"]
    bare = measure(py, args.runs)
    rows.append(("start-up", "`bibkit --help`", measure([BIBKIT, "--help"], args.runs), "`python -c pass`",
                 bare, "<= 5x"))
    rows.append(("start-up", "`bibkit validate records/` (39 records, cache warm)",
                 measure([BIBKIT, "validate", str(ROOT / "records")], args.runs, env=env, warmup=True),
                 "`python -c pass`", bare, "<= 8x"))
    rows.append(("start-up", "`bibkit validate records/` (cold)",
                 measure([BIBKIT, "validate", str(ROOT / "records")], args.runs, prepare=cold, env=env),
                 "`python -c pass`", bare, "(no goal)"))

    sizes = [int(s) for s in args.sizes.split(",")]
    collections = {}
    for n in sorted(set(sizes) | {1000, 10000}):
        folder = work / f"c{n}"
        # In a process of its own: a child's peak memory counts what it inherits at fork, so
        # this process stays small to keep the figures honest.
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(n), str(folder)], check=True)
        collections[n] = folder

    c10k = collections[10000]
    pybtex = measure([str(BIN / "pybtex-convert"), "-f", "bibtex", "-t", "bibtex", str(c10k / "collection.bib"),
                      str(work / "pybtex.bib")], args.runs)
    export10k = [BIBKIT, "export", "-f", "bibtex", "-r", str(c10k / "records"), "-o", str(work / "out.bib")]
    rows.append(("BibTeX, 10,000 records", "bibkit validate + export, cold",
                 measure(export10k, args.runs, cold, env=env), "pybtex-convert bib -> bib", pybtex, "<= 0.5x"))
    rows.append(("BibTeX, 10,000 records", "bibkit validate + export, warm (nothing changed)",
                 measure(export10k, args.runs, env=env, warmup=True), "pybtex-convert bib -> bib", pybtex, "<= 0.1x"))
    victim = next((c10k / "records").glob("*.yaml"))
    original = victim.read_text()
    flip = [0]

    def edit_one() -> None:
        flip[0] += 1
        victim.write_text(original.replace("title: ", f"title: Edit {flip[0]} ", 1))

    rows.append(("BibTeX, 10,000 records", "bibkit, one record edited since the last run",
                 measure(export10k, args.runs, edit_one, env=env), "pybtex-convert bib -> bib", pybtex, "(no goal)"))
    victim.write_text(original)
    rows.append(("BibTeX, 10,000 records", "bibtexparser 2 parse + write", measure(
        [sys.executable, "-c", BIBTEXPARSER, str(c10k / "collection.bib"), str(work / "btp.bib")], args.runs),
        "pybtex-convert bib -> bib", pybtex, "(peer)"))

    c1k = collections[1000]
    apa = Path(_python("from bibkit.export.citeproc import resolve_style; print(resolve_style('apa'))"))
    (work / "doc.md").write_text('---\nnocite: "@*"\n---\n')
    pandoc = measure(["pandoc", "--citeproc", "--bibliography", str(c1k / "collection.json"), "--csl", str(apa),
                      "-t", "plain", "--wrap=none", str(work / "doc.md")], args.runs)
    apa1k = [BIBKIT, "export", "-f", "text", "--style", "apa", "-r", str(c1k / "records")]
    rows.append(("APA list, 1,000 records", "bibkit text, cold", measure(apa1k, args.runs, cold, env=env),
                 "pandoc --citeproc", pandoc, "<= 1.0x"))
    rows.append(("APA list, 1,000 records", "bibkit text, warm (nothing changed)",
                 measure(apa1k, args.runs, env=env, warmup=True), "pandoc --citeproc", pandoc, "<= 0.1x"))
    victim1k = next((c1k / "records").glob("*.yaml"))
    original1k = victim1k.read_text()
    flip1k = [0]

    def edit_one_1k() -> None:
        flip1k[0] += 1
        victim1k.write_text(original1k.replace("title: ", f"title: Edit {flip1k[0]} ", 1))

    rows.append(("APA list, 1,000 records", "bibkit text, one record edited since the last run",
                 measure(apa1k, args.runs, edit_one_1k, env=env), "pandoc --citeproc", pandoc, "(no goal)"))
    victim1k.write_text(original1k)
    script = ROOT / "tests" / "conformance" / "sweep_js.mjs"
    if script.exists() and (ROOT / "node_modules" / "citeproc").exists():
        styles_txt = work / "styles.txt"
        styles_txt.write_text(f"{apa}\n")
        locales = Path(_python("import citeproc; print(citeproc.__file__)")).parent / "data" / "locales"
        rows.append(("APA list, 1,000 records", "citeproc-js (node)", measure(
            ["node", str(script), str(locales), str(c1k / "collection.json"), str(styles_txt)], args.runs),
            "pandoc --citeproc", pandoc, "(peer)"))

    scale = []
    for n in sizes:
        cmd = [BIBKIT, "export", "-f", "bibtex", "-r", str(collections[n] / "records"), "-o", str(work / "s.bib")]
        scale.append((n, measure(cmd, 1 if n > 10000 else args.runs, cold, env=env)))

    lines = [
        "# Performance", "",
        "Measured by `bench/run.py` (`make bench`) on "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"median of {args.runs} runs per figure, each a whole process (wall clock), peak memory from the "
        "kernel's accounting of that process. Synthetic collections come from `bench/generate.py` "
        "(seeded: non-ASCII names, particles, organisations, author lists up to 40, preprints, conference "
        "and journal papers), written as YAML records, one `.bib` and one CSL-JSON file with the same "
        "entries. *Cold* runs start with an empty cache; *warm* runs follow a run on the same files.", "",
        "| work | bibkit | s | peak MB | peer | s | ratio | goal |", "|---|---|---:|---:|---|---:|---:|---|",
    ]
    for work_name, ours, fig, peer, peer_fig, goal in rows:
        assert peer_fig is not None
        lines.append(f"| {work_name} | {ours} | {fig.seconds:.2f} | {fig.peak_mb:.0f} | {peer} | "
                     f"{peer_fig.seconds:.2f} | {fig.seconds / peer_fig.seconds:.2f}x | {goal} |")
    lines += ["", "## Scale: `bibkit export -f bibtex`, cold", "", "| records | s | per 1,000 | peak MB |",
              "|---:|---:|---:|---:|"]
    for n, fig in scale:
        lines.append(f"| {n:,} | {fig.seconds:.2f} | {fig.seconds / n * 1000:.2f} | {fig.peak_mb:.0f} |")
    table = "\n".join(lines[2:])
    old = args.out.read_text() if args.out.exists() else "# Performance\n\n" + START + "\n" + END + "\n"
    head, _, rest = old.partition(START)
    _, _, tail = rest.partition(END)
    args.out.write_text(f"{head}{START}\n{table}\n{END}{tail}")
    print(table)
    shutil.rmtree(work, ignore_errors=True)


# bench/run.py rewrites what stands between these two lines of docs/performance.md, nothing else.
START = "<!-- bench/run.py: from here -->"
END = "<!-- bench/run.py: to here -->"

if __name__ == "__main__":
    main()
