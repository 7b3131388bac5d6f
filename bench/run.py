"""bibkit beside its peers, on the same data, in one run; writes docs/performance.md.

    make bench                     # or: .venv/bin/python bench/run.py [--runs 3] [--sizes 1000,10000]
    .venv/bin/python bench/run.py --apa-only   # only the formatted-list rows (CSL engine vs pandoc)

Every figure is a whole process, timed from outside (wall clock), its peak memory read from the
kernel's accounting of that process (``wait4``); each is the median of ``--runs`` runs. Ratios
compare figures taken in the same run, so they hold when the machine's speed drifts.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
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
        # What the bench itself left unwritten (corpora generated, stores and imports removed)
        # goes to disk before the clock starts: an import ends with one sync of the system
        # (write.write_new_directory), which would otherwise write it out inside bibkit's time.
        os.sync()
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


_TITLE = re.compile(r"^title: (['\"]?)(?![>|])", re.M)


def retitled(text: str, mark: str) -> str | None:
    """The record ``text`` with ``mark`` put before its title, inside the quotes of a quoted one,
    so that it stays a valid record; None for a title this cannot edit (a block scalar)."""
    m = _TITLE.search(text)
    return None if m is None else text[:m.end()] + mark + " " + text[m.end():]


def victim_of(files: Sequence[Path]) -> Path:
    """The record an edit is measured on: the first from the middle whose title ``retitled``
    can edit and which stays free of errors when edited (checked by bibkit, once)."""
    for victim in [*files[len(files) // 2:], *files[:len(files) // 2]]:
        original = victim.read_text()
        edited = retitled(original, "Edited")
        if edited is None:
            continue
        victim.write_text(edited)
        try:
            errors = _python("from pathlib import Path; from bibkit.loader import load_record; "
                             f"lo = load_record(Path({str(victim)!r})); print(int(lo.record is None or "
                             "any(d.severity.value == 'error' for d in lo.diagnostics)))")
        finally:
            victim.write_text(original)
        if errors == "0":
            return victim
    raise SystemExit("no record whose title an edit keeps valid")


GENERATORS = {"synthetic": "generate.py", "mixed": "generate_mixed.py", "realworld": "realworld.py"}
PYBTEX_PARSE = "import sys; from pybtex.database import parse_file; parse_file(sys.argv[1])"
Step = tuple[Sequence[str], Callable[[], None] | None]
Row = tuple[str, str, Figure, str, Figure, str]


def interleaved(steps: Sequence[Step], runs: int, env: dict[str, str],
                pairs: Sequence[Sequence[int]], warm_up: bool = True) -> list[Figure]:
    """Run ``steps`` in turn, ``runs`` times (A B A B ...); each group of ``pairs`` is one figure:
    the sum of its steps' times and the largest of their peaks, median over the runs."""
    times: list[list[float]] = [[] for _ in pairs]
    peaks: list[float] = [0.0 for _ in pairs]
    # Each step once, not measured: the first run of a program may read it from disk (pandoc's
    # once took 4.5 s where the runs after it took 1.1 s), which no later run does. (Not for the
    # scale rows beyond 10,000 records: each of their runs takes a minute, and the runs before
    # them have read the programs.)
    for cmd, prepare in steps if warm_up else ():
        measure(cmd, 1, prepare, env=env)
    for _ in range(runs):
        figures = [measure(cmd, 1, prepare, env=env) for cmd, prepare in steps]
        for i, group in enumerate(pairs):
            times[i].append(sum(figures[j].seconds for j in group))
            peaks[i] = max(peaks[i], *(figures[j].peak_mb for j in group))
    return [Figure(statistics.median(t), p) for t, p in zip(times, peaks, strict=True)]


def _row(row: Row) -> str:
    work_name, ours, fig, peer, peer_fig, goal = row
    return (f"| {work_name} | {ours} | {fig.seconds:.2f} | {fig.peak_mb:.0f} | {peer} | "
            f"{peer_fig.seconds:.2f} | {fig.seconds / peer_fig.seconds:.2f}x | {goal} |")


def apa_rows(c1k: Path, work: Path, env: dict[str, str], runs: int, cold: Callable[[], None],
             work_name: str = "APA list, 1,000 records") -> list[Row]:
    apa = Path(_python("from bibkit.exporters.citeproc import resolve_style; print(resolve_style('apa'))"))
    (work / "doc.md").write_text('---\nnocite: "@*"\n---\n')
    pandoc_cmd = ["pandoc", "--citeproc", "--bibliography", str(c1k / "collection.json"), "--csl", str(apa),
                  "-t", "plain", "--wrap=none", str(work / "doc.md")]
    apa1k = [BIBKIT, "export", "-f", "text", "--style", "apa", "-r", str(c1k / "records")]
    victim = victim_of(sorted((c1k / "records").glob("*.yaml")))
    original = victim.read_text()
    flip = [0]

    def edit_one() -> None:
        flip[0] += 1
        victim.write_text(retitled(original, f"Edit {flip[0]}") or original)

    # pandoc and bibkit alternate (A B A B), so that both see the same load on a shared machine.
    pandoc, apa_cold, apa_warm = interleaved([(pandoc_cmd, None), (apa1k, cold), (apa1k, None)], runs, env,
                                             pairs=((0,), (1,), (2,)))
    (edited,) = interleaved([(apa1k, edit_one)], runs, env, pairs=((0,),))
    victim.write_text(original)
    rows: list[Row] = [
        (work_name, "bibkit text, cold", apa_cold, "pandoc --citeproc", pandoc, "<= 1.0x"),
        (work_name, "bibkit text, warm (nothing changed)", apa_warm, "pandoc --citeproc", pandoc, "<= 0.1x"),
        (work_name, "bibkit text, one record edited since the last run", edited, "pandoc --citeproc", pandoc,
         "(no goal)")]
    script = ROOT / "tests" / "conformance" / "sweep_js.mjs"
    if script.exists() and (ROOT / "node_modules" / "citeproc").exists():
        styles_txt = work / "styles.txt"
        styles_txt.write_text(f"{apa}\n")
        locales = Path(_python("import citeproc; print(citeproc.__file__)")).parent / "data" / "locales"
        rows.append((work_name, "citeproc-js (node)", measure(
            ["node", str(script), str(locales), str(c1k / "collection.json"), str(styles_txt)], runs),
            "pandoc --citeproc", pandoc, "(peer)"))
    return rows


# The formatted-list goal, on each corpus of 1,000 records it is measured on: the synthetic one and
# the real bibliographies (other entry types, editors and translators, date ranges: other work
# for the engine than the synthetic articles give it).
APA_CORPORA = {"synthetic": "APA list, 1,000 records", "realworld": "APA list, 1,000 real records"}


def replace_apa_rows(out: Path, work: Path, env: dict[str, str], runs: int, cold: Callable[[], None]) -> None:
    """The APA rows alone, measured again, in place of the table's (the rest of it stays as the
    last full run measured it)."""
    rows: list[str] = []
    for name, work_name in APA_CORPORA.items():
        folder = work / f"{name}1000"
        subprocess.run([sys.executable, str(ROOT / "bench" / GENERATORS[name]), "1000", str(folder)], check=True,
                       cwd=ROOT / "bench")
        rows += [_row(row) for row in apa_rows(folder, work, env, runs, cold, work_name)]
    lines = out.read_text().split("\n")
    at = [i for i, line in enumerate(lines) if line.startswith("| APA list, 1,000 ")]
    if not at:
        raise SystemExit(f"{out} has no APA rows to replace: run the whole bench")
    lines[at[0]:at[-1] + 1] = rows
    out.write_text("\n".join(lines))
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1000,10000", help="collection sizes for the scale tables")
    parser.add_argument("--corpora", default=",".join(GENERATORS), help="which corpora (see GENERATORS)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--apa-only", action="store_true",
                        help="measure only the APA rows and replace those rows of --out's table")
    args = parser.parse_args()
    args.out = args.out.resolve()  # (the corpora's commands run from the work folder)
    # bibkit as pip installs it: with bytecode. A development install under PYTHONDONTWRITEBYTECODE
    # (set on some machines) would compile every module of bibkit again in each measured process.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "bibkit")], check=True)
    work = Path(tempfile.mkdtemp(prefix="bibkit-bench-"))
    cache = work / "cache"
    env = {"BIBKIT_CACHE_DIR": str(cache)}

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    if args.apa_only:
        # (from the work folder, as below: the repository's bibkit.toml is not the corpora's)
        os.chdir(work)
        replace_apa_rows(args.out, work, env, args.runs, cold)
        shutil.rmtree(work, ignore_errors=True)
        return

    rows: list[Row] = []
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
    corpora = {name: GENERATORS[name] for name in args.corpora.split(",")}
    collections: dict[tuple[str, int], Path] = {}

    def generate(name: str, n: int) -> Path:
        if (name, n) not in collections:
            folder = work / f"{name}{n}"
            # In a process of its own: a child's peak memory counts what it inherits at fork, so
            # this process stays small to keep the figures honest.
            subprocess.run([sys.executable, str(ROOT / "bench" / corpora[name]), str(n), str(folder)], check=True,
                           cwd=ROOT / "bench")
            collections[name, n] = folder
        return collections[name, n]

    # The corpora of the goals first, and every figure of 10,000 records before any larger corpus
    # is written or exported: hundreds of thousands of files written and removed leave the disk
    # busy (ext4 discards the freed blocks later), which showed in the next figures (a 10,000-entry
    # import measured at 4.5 s after the 100,000-record runs, 2.8 s in a run without them).
    for name in corpora:
        for n in (1000, 10000) if name in APA_CORPORA else (10000,):
            generate(name, n)

    # The corpora are other collections than the shipped one: the repository's bibkit.toml (the
    # shipped collection's opt-in rules) is not theirs, so their commands run from the work folder.
    os.chdir(work)
    per_corpus: dict[str, list[Row]] = {}
    scale: dict[str, list[tuple[int, Figure, Figure]]] = {}
    for name in corpora:
        c10k = collections[name, 10000]
        records = str(c10k / "records")
        pybtex_cmd = [str(BIN / "pybtex-convert"), "-f", "bibtex", "-t", "bibtex", str(c10k / "collection.bib"),
                      str(work / "pybtex.bib")]
        export_cmd = [BIBKIT, "export", "-f", "bibtex", "-r", records, "-o", str(work / "out.bib")]
        # Peer and bibkit alternate (A B A B), so that both see the same load on a shared machine.
        pybtex, pair = interleaved([(pybtex_cmd, None), ([BIBKIT, "validate", records], cold), (export_cmd, None)],
                                   args.runs, env, pairs=((0,), (1, 2)))
        export_cold, warm = interleaved([(export_cmd, cold), (export_cmd, None)], args.runs, env, pairs=((0,), (1,)))
        victim = victim_of(sorted((c10k / "records").glob("*.yaml")))
        original = victim.read_text()
        flip = [0]

        def edit_one(victim: Path = victim, original: str = original, flip: list[int] = flip) -> None:
            flip[0] += 1
            victim.write_text(retitled(original, f"Edit {flip[0]}") or original)

        (edited,) = interleaved([(export_cmd, edit_one)], args.runs, env, pairs=((0,),))
        victim.write_text(original)
        imports = work / "imported"

        def clear_imports(imports: Path = imports) -> None:
            shutil.rmtree(imports, ignore_errors=True)

        parse, imported = interleaved(
            [([sys.executable, "-c", PYBTEX_PARSE, str(c10k / "collection.bib")], None),
             ([BIBKIT, "import", str(c10k / "collection.bib"), "--into", str(imports)], clear_imports)],
            args.runs, env, pairs=((0,), (1,)))
        per_corpus[name] = [
            ("BibTeX, 10,000 records", "bibkit validate, then export, cold", pair, "pybtex-convert bib -> bib",
             pybtex, "<= 0.5x"),
            ("BibTeX, 10,000 records", "bibkit export (validates too), cold", export_cold,
             "pybtex-convert bib -> bib", pybtex, "(no goal)"),
            ("BibTeX, 10,000 records", "bibkit export, warm (nothing changed)", warm, "pybtex-convert bib -> bib",
             pybtex, "<= 0.05x"),
            ("BibTeX, 10,000 records", "bibkit export, one record edited since the last run", edited,
             "bibkit export, cold", export_cold, "<= 0.1x"),
            ("import, 10,000 entries", "bibkit import collection.bib", imported, "pybtex parse of the same file",
             parse, "<= 2x"),
        ]
        if name in APA_CORPORA:
            rows.extend(apa_rows(collections[name, 1000], work, env, args.runs, cold, APA_CORPORA[name]))
    for name in corpora:
        scale[name] = []
        for n in sizes:
            folder = generate(name, n)
            target = work / "scale-import"

            def clear(target: Path = target) -> None:
                shutil.rmtree(target, ignore_errors=True)

            fig, imp = interleaved(
                [([BIBKIT, "export", "-f", "bibtex", "-r", str(folder / "records"), "-o", str(work / "s.bib")], cold),
                 ([BIBKIT, "import", str(folder / "collection.bib"), "--into", str(target)], clear)],
                1 if n > 10000 else args.runs, env, pairs=((0,), (1,)), warm_up=n <= 10000)
            scale[name].append((n, fig, imp))

    lines = [
        "# Performance", "",
        "Measured by `bench/run.py` (`make bench`) on "
        f"{platform.machine()}, {os.cpu_count()} cores (shared with other work while it ran), Python "
        f"{platform.python_version()}; median of {args.runs} run(s) per figure, each a whole process "
        "(wall clock), peak memory from the kernel's accounting of that process; a figure and the one it "
        "is compared with were taken alternately (A B A B), so both saw the same load. Corpora: "
        "*synthetic* (`bench/generate.py`: author lists up to 40), *mixed* (`bench/generate_mixed.py`: "
        "1-8 authors, ~40% preprints, journals and proceedings), *realworld* (`bench/realworld.py`: the "
        "real bibliographies in tests/data/realworld, imported by bibkit and repeated with unique keys); "
        "each is written as YAML records, one `.bib` and one CSL-JSON file with the same entries. *Cold* "
        "runs start with an empty cache; *warm* runs follow a run on the same files.", "",
        "| work | bibkit | s | peak MB | compared with | s | ratio | goal |", "|---|---|---:|---:|---|---:|---:|---|",
    ]
    lines += [_row(row) for row in rows]
    for name, corpus_rows in per_corpus.items():
        lines += ["", f"### Corpus: {name}", "",
                  "| work | bibkit | s | peak MB | compared with | s | ratio | goal |",
                  "|---|---|---:|---:|---|---:|---:|---|"]
        lines += [_row(row) for row in corpus_rows]
        lines += ["", f"Scale ({name}): `bibkit export -f bibtex`, cold, and `bibkit import`:", "",
                  "| records | export s | per 1,000 | peak MB | import s | per 1,000 | peak MB |",
                  "|---:|---:|---:|---:|---:|---:|---:|"]
        for n, fig, imp in scale[name]:
            lines.append(f"| {n:,} | {fig.seconds:.2f} | {fig.seconds / n * 1000:.2f} | {fig.peak_mb:.0f} | "
                         f"{imp.seconds:.2f} | {imp.seconds / n * 1000:.2f} | {imp.peak_mb:.0f} |")
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
