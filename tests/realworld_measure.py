"""Import -> record files -> export of every real-world file, measured as a user would meet it.

For each file in tests/data/realworld: entries in, records imported (through record files, read
back as ``bibkit export`` reads them), entries exported (BibTeX, BibLaTeX and CSL-JSON), keys
kept, fields kept (present in the export) and values kept (the same value, read back), and the
warnings of ``bibtex`` (plainnat) and ``biber`` on the original and on bibkit's exports: bibtex on
the BibTeX export, biber on the BibLaTeX export (each dialect read by the consumer it is for).

Warnings are compared as messages, not counts: an export must not give a warning the original
did not. biber starts slowly, so the files go to biber a few at a time, one refsection each,
and each warning is traced back to its file (by the file it names, or the entry key it names:
files in one run never share a key).

Used by tests/test_realworld_table.py (which asserts the goals) and run as a script
(``.venv/bin/python tests/realworld_measure.py``) to print the table in docs/formats.md, or the
same table for other files (``tests/realworld_measure.py FILE.bib FILE.json ...``).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bibkit.exporters import export
from bibkit.imports import read_file, write_records
from bibkit.imports.bibparse import RawEntry, parse
from bibkit.imports.bibtex import _date, parse_name, split_names
from bibkit.imports.csljson import ALIASES as CSL_ALIASES
from bibkit.latex import latex_to_rich
from bibkit.loader import load_library
from bibkit.model import Person, Record
from bibkit.richtext import plain

REALWORLD = Path(__file__).resolve().parent / "data" / "realworld"
FILES = sorted((REALWORLD / "bib").glob("*.bib")) + sorted((REALWORLD / "csl-json").glob("*.json"))
DIALECTS = ("bibtex", "biblatex")

# A source field counts as kept when the export has it under one of these names (the dialects
# spell some fields differently; year and month become biblatex's date).
ALIASES: dict[str, tuple[str, ...]] = {
    "journal": ("journal", "journaltitle"), "journaltitle": ("journaltitle", "journal"),
    "address": ("address", "location"), "location": ("location", "address"),
    "school": ("school", "institution"), "institution": ("institution", "school"),
    "year": ("year", "date"), "month": ("month", "date"), "day": ("day", "date"), "date": ("date", "year"),
    "archiveprefix": ("archiveprefix", "eprinttype"), "eprinttype": ("eprinttype", "archiveprefix"),
    "primaryclass": ("primaryclass", "eprintclass"), "eprintclass": ("eprintclass", "primaryclass"),
    "annotation": ("annotation", "annote"), "number": ("number", "issue"), "issue": ("issue", "number"),
}
# Fields whose value is a list of names, compared name by name.
NAME_FIELDS = frozenset({"author", "editor", "translator", "bookauthor", "editora", "editorb", "editorc",
                         "annotator", "commentator", "introduction", "foreword", "afterword", "holder"})
DATE_FIELDS = frozenset({"year", "month", "day", "date"})

BIBLATEX_DOC = r"""\documentclass{article}
\usepackage[backend=biber]{biblatex}
\begin{document}
%s
\end{document}
"""
BIBTEX_AUX = "\\relax\n\\citation{*}\n\\bibstyle{plainnat}\n\\bibdata{refs}\n"


@dataclass
class Row:
    name: str
    entries: int = 0
    imported: int = 0
    exported: dict[str, int] = field(default_factory=dict)  # format -> entries
    keys: int = 0
    keys_kept: int = 0
    fields: int = 0
    fields_kept: int = 0
    values_kept: int = 0
    lost: dict[str, int] = field(default_factory=dict)  # field -> how many are missing from an export
    changed: dict[str, int] = field(default_factory=dict)  # field -> how many come back with another value
    examples: dict[str, str] = field(default_factory=dict)  # field -> one example of a change
    generated: set[str] = field(default_factory=set)  # keys bibkit made (none in the file, or repeated)
    # "bibtex:original", "bibtex:bibtex", "biber:original", "biber:biblatex" -> messages
    warnings: dict[str, list[str]] = field(default_factory=dict)

    def new_warnings(self, tool: str, export: str) -> list[str]:
        """Messages of ``tool`` on the ``export`` that the original did not give. Messages about
        entries with a generated key are left out: those entries had no key, or a repeated one,
        and the original's consumers skipped them (with an error of their own)."""
        original = set(self.warnings.get(f"{tool}:original", []))
        return [w for w in self.warnings.get(f"{tool}:{export}", [])
                if w not in original and not any(f"'{k}'" in w or w.endswith(f" {k}") for k in self.generated)]


# Import, through record files.

def import_records(path: Path, work: Path) -> tuple[list[Record], list[Record]]:
    """The records of ``path`` as imported (in file order) and as read back from the record
    files ``bibkit import`` writes (what ``bibkit export`` reads)."""
    imported = read_file(path).records
    folder = work / "records"
    write_records(imported, folder)
    library = load_library([folder])
    problems = [d for lo in library.loaded for d in lo.diagnostics if d.code < "BK012"]
    if problems:
        raise AssertionError(f"{path.name}: record files bibkit cannot read back: {problems[:3]}")
    return imported, library.records


# Fields and values of a .bib source.

def _norm_text(value: str) -> str:
    """The text a reader sees: LaTeX decoded, markup and case braces gone."""
    return " ".join(plain(latex_to_rich(value)).replace("–", "-").split())


def _name(text: str) -> Person | None:
    """A name as BibTeX reads it. A family name of several words without a given name is written
    braced ({Bethann Garramon Merkle}): bibtex prints and sorts it the same, and bibkit reads it
    back as a literal name, which it is the same as."""
    person = parse_name(text)
    if person is not None and person.literal is not None:
        return Person(family=person.literal)
    if person is not None and person.given is None and person.suffix is None and person.non_dropping_particle is None:
        return Person(family=person.family)
    return person


def _same(name: str, source: RawEntry, out: RawEntry, out_name: str) -> bool:
    value, back = source.fields[name], out.fields[out_name]
    if name in NAME_FIELDS:
        try:
            return [_name(n) for n in split_names(value)] == [_name(n) for n in split_names(back)]
        except ValueError:  # names bibtex cannot read either: kept as written
            return _norm_text(value) == _norm_text(back)
    if name in DATE_FIELDS:
        try:
            return _date(source.fields)[0] == _date(out.fields)[0]
        except ValueError:
            return _norm_text(value) == _norm_text(back)
    if name == "pages":
        return re.sub(r"\s*[-–]+\s*", "-", _norm_text(value)) == re.sub(r"\s*[-–]+\s*", "-", _norm_text(back))
    if name in ("doi", "url"):
        def bare(v: str) -> str:
            return re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", v.strip().replace("\\", ""), flags=re.I).lower()
        return bare(value) == bare(back)
    if name in ("archiveprefix", "eprinttype"):
        return value.strip().lower() == back.strip().lower()
    return _norm_text(value) == _norm_text(back)


def bib_fields(row: Row, source: list[RawEntry], records: list[Record], exports: dict[str, bytes]) -> None:
    parsed = {d: {e.key: e for e in parse(exports[d].decode("utf-8")).entries} for d in DIALECTS}
    for raw, rec in zip(source, records, strict=True):
        for name, value in raw.fields.items():
            if not value.strip():
                continue  # an empty field says nothing
            row.fields += 1
            present = values = True
            for dialect in DIALECTS:
                out = parsed[dialect].get(rec.key)
                names = [n for n in ALIASES.get(name, (name,)) if out is not None and n in out.fields]
                if not names:
                    present = values = False
                    break
                assert out is not None
                if not _same(name, raw, out, names[0]):
                    values = False
                    row.examples.setdefault(name, f"{rec.key}: {value!r} -> {out.fields[names[0]]!r} ({dialect})")
            row.fields_kept += present
            row.values_kept += values
            if not present:
                row.lost[name] = row.lost.get(name, 0) + 1
            elif not values:
                row.changed[name] = row.changed.get(name, 0) + 1


# Fields and values of a CSL-JSON source.

def _norm_json(value: Any) -> Any:
    """JSON as CSL processors read it: "2019" and 2019 are one date part, "" and [] are nothing."""
    if isinstance(value, dict):
        return {k: _norm_json(v) for k, v in value.items() if v not in ("", [], {}, None)}
    if isinstance(value, list):
        return [_norm_json(v) for v in value]
    if isinstance(value, str):
        text = " ".join(value.split())
        return int(text) if text.isdigit() else text
    return value


def csl_fields(row: Row, source: list[dict[str, Any]], exports: dict[str, bytes]) -> None:
    by_id = {str(i["id"]): i for i in json.loads(exports["csl-json"])}
    for item in source:
        out = by_id.get(str(item.get("id")), {})
        kept = out.get("custom", {}).get("extra", {})
        for name, value in item.items():
            if name in ("id", "custom") or value in ("", [], {}, None):
                continue
            if name == "citation-key" and value == item.get("id"):
                continue  # the id says it
            row.fields += 1
            model = CSL_ALIASES.get(name, name)
            back = out.get(model, kept.get(name))
            if model not in out and name not in kept:
                row.lost[name] = row.lost.get(name, 0) + 1
                continue
            row.fields_kept += 1
            if _norm_json(back) == _norm_json(value) or (name == "DOI" and str(back).lower() ==
                                                         re.sub(r"^https?://(dx\.)?doi\.org/", "", str(value)).lower()):
                row.values_kept += 1
            else:
                row.changed[name] = row.changed.get(name, 0) + 1
                row.examples.setdefault(name, f"{item.get('id')}: {json.dumps(value)[:80]} -> {json.dumps(back)[:80]}")


# The consumers.

def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed: run `make test`, which installs it")
    return path


def bibtex_messages(bib: bytes, work: Path) -> list[str]:
    """What bibtex with plainnat says about ``bib``: warnings and errors, line numbers dropped."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "refs.bib").write_bytes(bib)
    (work / "doc.aux").write_text(BIBTEX_AUX)
    subprocess.run([_tool("bibtex"), "-terse", "doc"], cwd=work, capture_output=True, timeout=300, check=False)
    blg = (work / "doc.blg").read_text(encoding="utf-8", errors="replace").splitlines()
    out = []
    for i, line in enumerate(blg):
        if line.startswith("Warning--"):
            out.append(line)
        elif re.search(r"---line \d+ of file refs\.bib", line):
            # An error names the line; the message is on the lines before it.
            before = next((blg[j] for j in range(i - 1, -1, -1) if blg[j].strip() and not blg[j].startswith(":")),
                          "")
            out.append(re.sub(r"---line \d+ of file", "---line N of file", f"{before} {line}").strip())
        elif " has a comma at the end for entry " in line or line.startswith(("Too many commas", "Illegal")):
            # The names as the file spells them ({\'o} or ó): the message is about the name.
            out.append(re.sub(r'^(Name \d+|Too many commas in name \d+) (of|in) ".*" ', r"\1 \2 \"…\" ", line))
    return out


def _biber_batches(key_sets: Sequence[set[str]]) -> list[list[int]]:
    """Groups of files that never share a key (compared without case), so that a warning naming
    an entry names one file of its run."""
    batches: list[tuple[list[int], set[str]]] = []
    for i, keys in enumerate(key_sets):
        for members, taken in batches:
            if not keys & taken and len(members) < 12:
                members.append(i)
                taken |= keys
                break
        else:
            batches.append(([i], set(keys)))
    return [members for members, _ in batches]


def _attribute(line: str, names: list[str], keys: list[set[str]]) -> int | None:
    for i, name in enumerate(names):
        if f"'{name}'" in line or hashlib.md5(name.encode()).hexdigest() in line:
            return i
    section = re.search(r"\(section (\d+)\)", line)
    if section:
        return int(section[1]) - 1
    for m in re.finditer(r"'([^']+)'", line):
        owners = [i for i, k in enumerate(keys) if m[1].casefold() in k]
        if len(owners) == 1:
            return owners[0]
    return None


def _biber_run(run: Path, bcf: Path, files: dict[str, bytes]) -> tuple[int, list[re.Match[str]]]:
    """biber on ``bcf`` with these data files: its exit status and its WARN and ERROR lines."""
    run.mkdir(parents=True, exist_ok=True)
    shutil.copy(bcf, run / "doc.bcf")
    for name, data in files.items():
        (run / name).write_bytes(data)
    done = subprocess.run([_tool("biber"), "doc"], cwd=run, capture_output=True, timeout=600, check=False)
    blg = (run / "doc.blg").read_text(encoding="utf-8", errors="replace").splitlines()
    return done.returncode, [m for line in blg if (m := re.search(r"> (WARN|ERROR) - (.*)", line))
                             and not m[2].startswith(("WARNINGS:", "ERRORS:"))]


def _message(m: re.Match[str], name: str) -> str:
    message = re.sub(r"/\S*/([0-9a-f]{32})_\d+\.utf8", "refs.bib", m[2])
    message = re.sub(r"\s*\(section \d+\)", "", message).replace(f"'{name}'", "'refs.bib'")
    # The field as spelled in the file ("10~" # jan is 10~1 to biber, 10~January in bibkit's
    # export, as to bibtex): the message is about the field of the entry.
    message = re.sub(r"^(legacy \w+ field) '.*' (in entry '.*' is not an integer)", r"\1 '…' \2", message)
    return f"{m[1]} {message}"


def biber_messages(variants: dict[str, list[bytes | None]], key_sets: list[set[str]], work: Path) -> \
        dict[str, list[list[str]]]:
    """For each variant (original, biblatex), the messages of biber for each file. The files
    go in batches, one refsection each, and each message is traced to its file by the file or
    the entry it names; one that names neither ("comma(s) at end of name") belongs to the file
    of the message before it, as biber reports a section's messages together. A batch that
    stops biber (an ERROR) is halved until each part runs through."""
    out: dict[str, list[list[str]]] = {v: [[] for _ in key_sets] for v in variants}
    for b, members in enumerate(_biber_batches(key_sets)):
        names = [f"f{i}.bib" for i in members]
        batch = work / f"batch{b}"
        batch.mkdir(parents=True, exist_ok=True)
        sections = "\n".join(f"\\begin{{refsection}}[{n}]\n\\nocite{{*}}\n\\end{{refsection}}" for n in names)
        (batch / "doc.tex").write_text(BIBLATEX_DOC % sections)
        for n in names:
            (batch / n).write_text("")
        subprocess.run([_tool("pdflatex"), "-interaction=nonstopmode", "doc.tex"], cwd=batch, capture_output=True,
                       timeout=300, check=False)
        keys = [key_sets[i] for i in members]
        for variant, data in variants.items():
            todo = [[j for j in range(len(members)) if data[members[j]]]]
            while todo:
                part = todo.pop()
                if not part:
                    continue
                files = {n: (data[members[j]] or b"") if j in part else b"" for j, n in enumerate(names)}
                run = work / f"batch{b}-{variant}-{part[0]}-{len(part)}"
                status, lines = _biber_run(run, batch / "doc.bcf", files)
                if status != 0 and len(part) > 1:
                    todo += [part[:len(part) // 2], part[len(part) // 2:]]
                    continue
                owners: list[int] = []
                for m in lines:
                    if re.match(r"Data source '[^']*' is empty, ignoring", m[2]):
                        continue  # the files of the other parts
                    owner = part[0] if len(part) == 1 else _attribute(m[2], names, keys)
                    owner = owners[-1] if owner is None and owners else owner
                    if owner is None:  # before any message that names its file: the next one's
                        owner = next((o for mm in lines if (o := _attribute(mm[2], names, keys)) is not None), part[0])
                    owners.append(owner)
                    out[variant][members[owner]].append(_message(m, names[owner]))
    return out


# All files.

def measure(files: Sequence[Path], work: Path, consumers: bool = True) -> list[Row]:
    rows: list[Row] = []
    exports: list[dict[str, bytes]] = []
    key_sets: list[set[str]] = []
    for n, path in enumerate(files):
        row = Row(path.name)
        imported, records = import_records(path, work / f"import{n}")
        by_key = {r.key: r for r in records}
        row.imported = len(records)
        outputs = {fmt: export(records, fmt) for fmt in ("bibtex", "biblatex", "csl-json")}
        row.exported = {d: len(parse(outputs[d].decode("utf-8")).entries) for d in DIALECTS}
        row.exported["csl-json"] = len(json.loads(outputs["csl-json"]))
        if path.suffix == ".bib":
            source = parse(path.read_bytes().decode("utf-8-sig", errors="replace")).entries
            row.entries = len(source)
            wanted = [e.key for e in source]
            row.generated = {r.key for e, r in zip(source, imported, strict=True) if r.key != e.key}
            bib_fields(row, source, [by_key[r.key] for r in imported], outputs)
            # The original's own keys: a repeated one is one key, an entry without one has none.
            originals = {k for k in wanted if k}
            row.keys, row.keys_kept = len(originals), len({k for k in originals if k in by_key})
        else:
            items = json.loads(path.read_text(encoding="utf-8"))
            row.entries = len(items)
            ids = {str(i["id"]) for i in json.loads(outputs["csl-json"])}
            wanted = [str(i.get("id", "")) for i in items]
            row.keys, row.keys_kept = len(set(wanted) - {""}), len({k for k in wanted if k and k in ids})
            row.generated = {r.key for r in imported if r.extra.get("id") is not None}
            csl_fields(row, items, outputs)
        rows.append(row)
        exports.append(outputs)
        key_sets.append({r.key.casefold() for r in records} | {k.casefold() for k in wanted if k})
    if consumers:
        originals = [p.read_bytes() if p.suffix == ".bib" else None for p in files]
        for i, row in enumerate(rows):
            if originals[i] is not None:
                row.warnings["bibtex:original"] = bibtex_messages(originals[i] or b"", work / f"bt{i}-original")
            row.warnings["bibtex:bibtex"] = bibtex_messages(exports[i]["bibtex"], work / f"bt{i}-bibtex")
        biber = biber_messages({"original": originals, "biblatex": [e["biblatex"] for e in exports]}, key_sets,
                               work / "biber")
        for i, row in enumerate(rows):
            for variant, messages in biber.items():
                if originals[i] is not None or variant != "original":
                    row.warnings[f"biber:{variant}"] = messages[i]
    return rows


def table(rows: Sequence[Row]) -> str:
    head = ("| file | entries in | imported | exported (BibTeX / BibLaTeX / CSL-JSON) | keys kept | fields kept "
            "| values kept | bibtex: original → BibTeX export | biber: original → BibLaTeX export |\n"
            "|---|---|---|---|---|---|---|---|---|\n")

    def w(row: Row, tool: str, export: str) -> str:
        original = row.warnings.get(f"{tool}:original")
        new = len(row.new_warnings(tool, export))
        counts = f"{'–' if original is None else len(original)} → {len(row.warnings.get(f'{tool}:{export}', []))}"
        return counts + (f" ({new} new)" if new and original is not None else "")

    def pct(n: int, d: int) -> str:
        return f"{n}/{d} ({100 * n / max(d, 1):.1f}%)"

    return head + "".join(
        f"| {r.name} | {r.entries} | {r.imported} | {r.exported['bibtex']} / {r.exported['biblatex']} / "
        f"{r.exported['csl-json']} | {r.keys_kept}/{r.keys} | {pct(r.fields_kept, r.fields)} | "
        f"{pct(r.values_kept, r.fields)} | {w(r, 'bibtex', 'bibtex')} | {w(r, 'biber', 'biblatex')} |\n"
        for r in rows)


def main() -> None:
    """The table for tests/data/realworld, or for the .bib and CSL-JSON files named."""
    files = [Path(a) for a in sys.argv[1:]] or FILES
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(files, Path(tmp))
    sys.stdout.write(table(rows))
    for r in rows:
        details = {"not kept": r.lost, "changed": r.changed, "examples": r.examples,
                   "new warnings": {f"{t}:{e}": r.new_warnings(t, e) for t, e in
                                    (("bibtex", "bibtex"), ("biber", "biblatex"))
                                    if r.new_warnings(t, e)}}
        details = {k: v for k, v in details.items() if v}
        if details:
            sys.stdout.write(f"\n{r.name}: {json.dumps(details, indent=1, ensure_ascii=False)}\n")


if __name__ == "__main__":
    main()
