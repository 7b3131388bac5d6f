"""Import -> export of every real-world file, measured: entries, keys, fields, and the warnings
of bibtex (plainnat) and biber on the original and on bibkit's export, in both dialects.

Used by tests/test_realworld_table.py (which asserts the goals) and by
``python tests/realworld_measure.py`` (which prints the table in docs/formats.md).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bibkit.export import export  # noqa: E402
from bibkit.imports import read_file  # noqa: E402
from bibkit.imports.bibparse import parse  # noqa: E402

REALWORLD = Path(__file__).resolve().parent / "data" / "realworld"
FILES = sorted((REALWORLD / "bib").glob("*.bib")) + sorted((REALWORLD / "csl-json").glob("*.json"))

# A source field counts as kept when the export has it under one of these names (the dialects
# spell some fields differently; year and month become biblatex's date).
ALIASES = {
    # "arXiv preprint arXiv:ID" in journal is the identifier: it comes back as eprint.
    "journal": {"journal", "journaltitle", "eprint"}, "journaltitle": {"journal", "journaltitle", "eprint"},
    "address": {"address", "location"}, "location": {"address", "location"},
    "school": {"school", "institution"}, "year": {"year", "date"}, "month": {"month", "date"},
    "date": {"date", "year"}, "archiveprefix": {"archiveprefix", "eprinttype"},
    "eprinttype": {"archiveprefix", "eprinttype"}, "primaryclass": {"primaryclass", "eprintclass"},
    "eprintclass": {"primaryclass", "eprintclass"}, "annotation": {"annote", "annotation"},
    "number": {"number", "issue"}, "issue": {"number", "issue"},
    "howpublished": {"howpublished", "eprint", "organization"},
}

BIBLATEX_DOC = r"""\documentclass{article}
\usepackage[backend=biber]{biblatex}
\addbibresource{refs.bib}
\begin{document}
\nocite{*}
\printbibliography
\end{document}
"""


@dataclass
class Row:
    name: str
    entries: int = 0
    imported: int = 0
    exported: int = 0
    keys: int = 0
    keys_kept: int = 0
    fields: int = 0
    fields_kept: int = 0
    lost: dict[str, int] = field(default_factory=dict)  # field name -> how many were not kept
    warnings: dict[str, int | None] = field(default_factory=dict)  # "bibtex:original" -> count


def _bibtex_warnings(bib: bytes, work: Path) -> int:
    work.mkdir(parents=True, exist_ok=True)
    (work / "refs.bib").write_bytes(bib)
    (work / "doc.aux").write_text("\\relax\n\\citation{*}\n\\bibstyle{plainnat}\n\\bibdata{refs}\n")
    subprocess.run([shutil.which("bibtex") or "bibtex", "-terse", "doc"], cwd=work, capture_output=True,
                   timeout=300, check=False)
    blg = (work / "doc.blg").read_text(encoding="utf-8", errors="replace")
    return len(re.findall(r"^Warning--", blg, re.M)) + len(re.findall(r"---line \d+ of file", blg))


def _bcf(work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    (work / "doc.tex").write_text(BIBLATEX_DOC)
    (work / "refs.bib").write_text("")
    subprocess.run([shutil.which("pdflatex") or "pdflatex", "-interaction=nonstopmode", "doc.tex"], cwd=work,
                   capture_output=True, timeout=300, check=False)
    return work / "doc.bcf"


def _biber_warnings(bib: bytes, work: Path, bcf: Path) -> int:
    work.mkdir(parents=True, exist_ok=True)
    (work / "refs.bib").write_bytes(bib)
    shutil.copy(bcf, work / "doc.bcf")
    subprocess.run([shutil.which("biber") or "biber", "--quiet", "doc"], cwd=work, capture_output=True,
                   timeout=300, check=False)
    blg = (work / "doc.blg").read_text(encoding="utf-8", errors="replace")
    return len(re.findall(r"\] (WARN|ERROR) ", blg))


def _source_fields(path: Path) -> tuple[list[tuple[str, list[str]]], int]:
    """(key, field names) per entry of the source, and the number of entries."""
    if path.suffix == ".bib":
        raw = parse(path.read_bytes().decode("utf-8-sig", errors="replace"))
        # An empty field ("note = {}") says nothing, and is not counted.
        return [(e.key, [n for n, v in e.fields.items() if v.strip()]) for e in raw.entries], len(raw.entries)
    items = json.loads(path.read_text(encoding="utf-8"))
    return [(str(i.get("id", "")), [k for k in i if k not in ("id",)]) for i in items], len(items)


def measure(path: Path, work: Path, bcf: Path, consumers: bool = True) -> Row:
    row = Row(path.name)
    source, row.entries = _source_fields(path)
    result = read_file(path)
    records = result.records
    row.imported = len(records)
    by_key = {r.key for r in records}
    from bibkit.keys import is_valid_key

    # Keys BibTeX and biber accept; a CSL-JSON id such as "url:https://x.org/a(b)" is not one,
    # and gets a key by the pattern (reported by the import).
    source_keys = [k for k, _ in source if k and is_valid_key(k)]
    row.keys = len(set(source_keys))
    row.keys_kept = len({k for k in source_keys if k in by_key})
    outputs = {fmt: export(records, fmt) for fmt in ("bibtex", "biblatex", "csl-json")}
    exported = parse(outputs["biblatex"].decode())
    row.exported = len(exported.entries)
    if path.suffix == ".bib":
        out_by_key = {e.key: e for e in exported.entries}
        # The same order: the n-th source entry is the n-th record (keys may have been generated).
        for (key, names), rec in zip(source, records, strict=True):
            out = out_by_key.get(rec.key)
            for name in names:
                row.fields += 1
                wanted = ALIASES.get(name, {name})
                if out is not None and any(n in out.fields for n in wanted):
                    row.fields_kept += 1
                else:
                    row.lost[name] = row.lost.get(name, 0) + 1
    else:
        from bibkit.export.csljson import item as csl_item

        for (_, names), item in zip(source, [csl_item(r) for r in records], strict=True):
            custom = item.get("custom", {})
            have = set(item) | set(custom) | set(custom.get("extra", {}))
            for name in names:
                row.fields += 1
                if name in have or name in ("citation-key",):
                    row.fields_kept += 1
                else:
                    row.lost[name] = row.lost.get(name, 0) + 1
    if consumers:
        stem = work / path.stem
        original = path.read_bytes() if path.suffix == ".bib" else None
        row.warnings["bibtex:original"] = _bibtex_warnings(original, stem / "bt-o") if original else None
        row.warnings["bibtex:export"] = _bibtex_warnings(outputs["bibtex"], stem / "bt-e")
        row.warnings["biber:original"] = _biber_warnings(original, stem / "bb-o", bcf) if original else None
        row.warnings["biber:export"] = _biber_warnings(outputs["biblatex"], stem / "bb-e", bcf)
    return row


def table(rows: list[Row]) -> str:
    head = ("| file | entries in | imported | exported | keys kept | fields kept | bibtex warnings "
            "(original → export) | biber warnings (original → export) |\n|---|---|---|---|---|---|---|---|\n")

    def w(row: Row, tool: str) -> str:
        o, e = row.warnings.get(f"{tool}:original"), row.warnings.get(f"{tool}:export")
        return f"{'–' if o is None else o} → {e}"

    return head + "".join(
        f"| {r.name} | {r.entries} | {r.imported} | {r.exported} | {r.keys_kept}/{r.keys} | "
        f"{r.fields_kept}/{r.fields} ({100 * r.fields_kept / max(r.fields, 1):.1f}%) | {w(r, 'bibtex')} | "
        f"{w(r, 'biber')} |\n" for r in rows)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bcf = _bcf(work / "bcf")
        rows = [measure(p, work, bcf) for p in FILES]
    sys.stdout.write(table(rows))
    lost: dict[str, int] = {}
    for r in rows:
        for k, v in r.lost.items():
            lost[f"{r.name}:{k}"] = v
    sys.stdout.write("\nnot kept: " + json.dumps(lost, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
