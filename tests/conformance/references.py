"""The conformance harness: bibkit's formatted lists next to two reference CSL processors.

Every data set goes through bibkit's own CSL-JSON export first (the shipped records as they are
loaded; the real-world CSL-JSON files through ``bibkit.imports.read_file``), so that all three
processors read the same items, in the same order (bibkit's export order, by citation key), with
the same ``.csl`` file (``resolve_style``). The references:

- citeproc-js, the processor Zotero uses (npm package ``citeproc``, run by ``citeproc_js.mjs``,
  with citeproc-py's own locale files);
- ``pandoc --citeproc`` (pandoc's Haskell citeproc, with its built-in locales).

An entry of bibkit's agrees when it equals either reference's entry at the same place.

Run as a script to see every disagreement:
``.venv/bin/python tests/conformance/references.py [--plain] [STYLE ...]``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REALWORLD_CSLJSON = ROOT / "tests" / "data" / "realworld" / "csl-json"
# The real-world files the agreement counts were measured on, named: a CSL-JSON file added to
# tests/data/realworld for the import tests does not change what this harness compares.
CONFORMANCE_FILES = (
    "deep-review_manual-references.json",
    "manubot_input-bibliography.json",
    "zotero-bbt_deterministic-ordering-1178-1400.csl.json",
)
CITEPROC_JS = HERE / "citeproc_js.mjs"
STYLES = ("apa", "ieee", "chicago-author-date")
LOCALE = "en-US"

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bibkit.exporters import csljson, sort_records  # noqa: E402
from bibkit.exporters.citeproc import render_entries, resolve_style  # noqa: E402
from bibkit.model import Record  # noqa: E402


class ReferenceMissing(RuntimeError):
    """A reference processor is not installed: the test command installs both."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ReferenceMissing(f"{name} is not installed: run `make test`, which installs it")
    return path


def datasets() -> dict[str, list[Record]]:
    """Name -> records, in bibkit's export order."""
    from bibkit.imports import read_file
    from bibkit.loader import load_library

    out = {"records": sort_records(load_library([ROOT / "records"]).records)}
    for name in CONFORMANCE_FILES:
        out[name] = sort_records(read_file(REALWORLD_CSLJSON / name).records)
    return out


def csl_items(records: Sequence[Record]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(csljson.render(records))
    return items


def locale_dir() -> Path:
    import citeproc

    return Path(citeproc.__file__).parent / "data" / "locales"


def _citeproc_js_start(jobs: Sequence[tuple[Path, Sequence[dict[str, Any]]]],
                       workdir: Path) -> subprocess.Popen[str]:
    node = _tool("node")
    if not (ROOT / "node_modules" / "citeproc").is_dir():
        raise ReferenceMissing("the npm package citeproc is not installed: run `make test` (npm ci)")
    payload = [{"style": str(style), "lang": LOCALE, "items": list(items)} for style, items in jobs]
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=workdir, delete=False, encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False)
    with open(f.name, encoding="utf-8") as stdin:
        return subprocess.Popen([node, str(CITEPROC_JS), str(locale_dir())], stdin=stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def _citeproc_js_finish(process: subprocess.Popen[str]) -> list[list[str]]:
    out, err = process.communicate(timeout=300)
    if process.returncode != 0:
        raise RuntimeError(f"citeproc-js failed ({process.returncode}): {err}")
    results: list[list[str]] = json.loads(out)
    return results


def citeproc_js(jobs: Sequence[tuple[Path, Sequence[dict[str, Any]]]], workdir: Path) -> list[list[str]]:
    """Each (style file, items) job's entries, from one node process."""
    return _citeproc_js_finish(_citeproc_js_start(jobs, workdir))


def pandoc(style: Path, items: Sequence[dict[str, Any]], workdir: Path) -> list[str]:
    """The entries ``pandoc --citeproc -t plain --wrap=none`` prints for every item."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=workdir, delete=False, encoding="utf-8") as f:
        json.dump(list(items), f, ensure_ascii=False)
    bib = Path(f.name)
    document = '---\nnocite: "@*"\n---\n'
    done = subprocess.run([_tool("pandoc"), "--citeproc", "--bibliography", str(bib), "--csl", str(style),
                           "-f", "markdown", "-t", "plain", "--wrap=none"],
                          input=document, capture_output=True, text=True, check=True, timeout=300)
    return [e.strip() for e in done.stdout.split("\n\n") if e.strip()]


def bibkit_entries(records: Sequence[Record], style: str, fixes: bool = True) -> list[str]:
    return [text for _, text in render_entries(records, style, LOCALE, "text", fixes=fixes)]


@dataclass
class Comparison:
    style: str
    dataset: str
    js: list[str]
    pandoc: list[str]
    bibkit: list[str]

    def agrees(self, i: int) -> bool:
        mine = self.bibkit[i]
        return any(i < len(ref) and ref[i] == mine for ref in (self.js, self.pandoc))

    @property
    def agreeing(self) -> int:
        return sum(self.agrees(i) for i in range(len(self.bibkit)))

    def agreeing_with(self, reference: list[str]) -> int:
        return sum(i < len(reference) and reference[i] == e for i, e in enumerate(self.bibkit))

    @property
    def references_disagree(self) -> list[int]:
        return [i for i in range(max(len(self.js), len(self.pandoc)))
                if i >= len(self.js) or i >= len(self.pandoc) or self.js[i] != self.pandoc[i]]


def compare_all(workdir: Path, styles: Sequence[str] = STYLES, fixes: bool = True) -> list[Comparison]:
    """Every style x data set. The references run while bibkit renders: node in one process,
    pandoc two at a time (its Chicago runs take seconds each, parsing the style)."""
    data = datasets()
    cases = [(style, name) for style in styles for name in data]
    items = {name: csl_items(records) for name, records in data.items()}
    node = _citeproc_js_start([(resolve_style(style), items[name]) for style, name in cases], workdir)
    with ThreadPoolExecutor(max_workers=2) as pool:
        pandocs = [pool.submit(pandoc, resolve_style(style), items[name], workdir) for style, name in cases]
        mine = [bibkit_entries(data[name], style, fixes) for style, name in cases]
        pandoc_entries = [future.result() for future in pandocs]
    js = _citeproc_js_finish(node)
    return [Comparison(style, name, js_entries, pandoc_list, bibkit_list)
            for (style, name), js_entries, pandoc_list, bibkit_list
            in zip(cases, js, pandoc_entries, mine, strict=True)]


def _main(argv: list[str]) -> None:
    fixes = "--plain" not in argv
    styles = [a for a in argv if not a.startswith("--")] or list(STYLES)
    with tempfile.TemporaryDirectory() as tmp:
        comparisons = compare_all(Path(tmp), styles, fixes)
    for c in comparisons:
        n = len(c.bibkit)
        print(f"== {c.style} x {c.dataset}: {c.agreeing}/{n} agree "
              f"(citeproc-js {c.agreeing_with(c.js)}, pandoc {c.agreeing_with(c.pandoc)}); "
              f"references differ on {len(c.references_disagree)}")
        for i in range(n):
            if not c.agrees(i):
                print(f"  [{i}] {c.bibkit[i][:60]}")
                for name, ref in (("js", c.js), ("pandoc", c.pandoc)):
                    print(f"    {name + ':':8} {_diff(c.bibkit[i], ref[i] if i < len(ref) else '')}")


def _diff(mine: str, theirs: str) -> str:
    """Only the differing stretches, with a little context: bibkit's {-...-}, the reference's {+...+}."""
    import difflib

    out = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, mine, theirs, autojunk=False).get_opcodes():
        if op != "equal":
            out.append(f"...{mine[max(0, a0 - 20):a0]}{{-{mine[a0:a1]}-}}{{+{theirs[b0:b1]}+}}{mine[a1:a1 + 10]}...")
    return " ".join(out)


if __name__ == "__main__":
    _main(sys.argv[1:])
