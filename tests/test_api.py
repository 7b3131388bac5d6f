"""The Python API: bibkit.load / validate / export, one function each, whatever is imported first."""

from __future__ import annotations

import subprocess
import sys

import pytest

import bibkit
from bibkit.diagnostics import BibkitError

from conftest import RECORDS, TEST_RECORDS
from conftest import bibkit as cli


def test_load_validate_export_match_the_cli() -> None:
    library = bibkit.load(RECORDS)
    assert len(library.records) == 39
    assert bibkit.validate(library) == []
    assert bibkit.export(library.records, "bibtex").decode() == cli("export", "-f", "bibtex", "-r", RECORDS).stdout
    ieee = bibkit.export(library.records, "text", style="ieee").decode()
    assert ieee == cli("export", "-f", "text", "--style", "ieee", "-r", RECORDS).stdout


def test_validate_returns_findings_with_positions() -> None:
    found = bibkit.validate(bibkit.load(TEST_RECORDS / "bad" / "unknown-field.yaml"))
    assert [(d.code, d.line, d.col) for d in found] == [("BK010", 6, 1)]


def test_unknown_format() -> None:
    with pytest.raises(BibkitError, match="unknown format 'bibtx'"):
        bibkit.export([], "bibtx")


def test_the_names_work_in_a_fresh_process_whatever_is_imported_first() -> None:
    code = ("import bibkit.exporters, bibkit.loader, bibkit.rules, bibkit.across, bibkit.cli, bibkit\n"
            "import inspect\n"
            "assert all(inspect.isfunction(f) for f in (bibkit.load, bibkit.validate, bibkit.export))\n"
            f"lib = bibkit.load({str(RECORDS)!r})\n"
            "assert bibkit.validate(lib) == []\n"
            "assert bibkit.export(lib.records, 'csl-json').startswith(b'[')\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bibkit_imports_have_no_cycle() -> None:
    """No module of bibkit imports, at its top level, a module that imports it back (directly or
    through others): the model in the middle, formats at the edges."""
    import ast
    from pathlib import Path

    package = Path(bibkit.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        imported: set[str] = set()
        for node in ast.parse(path.read_text()).body:  # top level only: imports in functions are lazy
            if isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.If):  # `if TYPE_CHECKING:` imports are not run
                continue
        graph[name] = {m for m in imported if m.startswith("bibkit")}
    graph = {name: {m for m in deps if m in graph and m != name} for name, deps in graph.items()}
    assert len(graph) > 30 and any(graph.values())

    def cycle_from(start: str) -> list[str] | None:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return path + [start]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
        return None

    cycles = [c for c in map(cycle_from, sorted(graph)) if c]
    assert not cycles, cycles[0]
