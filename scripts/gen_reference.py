"""Write the generated reference pages of the docs site from the code itself.

    .venv/bin/python scripts/gen_reference.py          # rewrite docs/reference/*.md
    .venv/bin/python scripts/gen_reference.py --check  # exit 1 when a page is out of date (a test runs this)

- docs/reference/record-schema.md from the JSON Schema (itself built from bibkit.fields);
- docs/reference/cli.md from the typer app's own --help of every command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "reference"


def _type(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return "one of the CSL types"
    if "$ref" in spec.get("items", {}):
        return "list of names"
    kind = spec.get("type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    text = " or ".join(k for k in kinds if k)
    if spec.get("pattern"):
        text += f", matching `{spec['pattern']}`"
    return text or "mapping"


def schema_page() -> str:
    from bibkit.schema import build_schema

    schema = build_schema()
    lines = ["# Record schema", "",
             "Generated from `bibkit/schema/record.schema.json` (which is built from `bibkit/fields.py`)",
             "by `scripts/gen_reference.py`; do not edit by hand. The prose guide is",
             "[the record format](../record-format.md).",
             "", f"Required: {', '.join(f'`{r}`' for r in schema['required'])} (and what each type needs: "
             "see [validation](../validation.md)).", "",
             "| field | type | description |", "|---|---|---|"]
    for name, spec in schema["properties"].items():
        lines.append(f"| `{name}` | {_type(spec)} | {spec.get('description', '')} |")
    prov = schema["properties"]["provenance"]["properties"]
    lines += ["", "## `provenance`", "", "| field | type | description |", "|---|---|---|"]
    for name, spec in prov.items():
        lines.append(f"| `{name}` | {_type(spec)} | {spec.get('description', '')} |")
    name_parts = schema["$defs"]["name"]["oneOf"][1]["properties"]
    lines += ["", "## Names", "",
              "A name is a string (`Given Family`, `Family, Given`, or `others` last) or a mapping:", "",
              "| part | description |", "|---|---|"]
    for part, spec in name_parts.items():
        lines.append(f"| `{part}` | {spec['description']} |")
    lines += ["", "## CSL types", "", ", ".join(f"`{t}`" for t in schema["properties"]["type"]["enum"]), ""]
    return "\n".join(lines)


def cli_page() -> str:
    import os

    import typer

    from bibkit.cli import app

    os.environ["COLUMNS"] = "100"
    group = typer.main.get_command(app)
    lines = ["# Command-line reference", "", "Generated from the `bibkit` command's own `--help` by",
             "`scripts/gen_reference.py`; do not edit by hand.", ""]
    with group.make_context("bibkit", ["--help"], resilient_parsing=True) as ctx:
        lines += ["```text", group.get_help(ctx).rstrip(), "```", ""]
        for name in group.list_commands(ctx):  # type: ignore[attr-defined]
            command = group.get_command(ctx, name)  # type: ignore[attr-defined]
            with command.make_context(name, [], parent=ctx, resilient_parsing=True) as sub:
                lines += [f"## `bibkit {name}`", "", "```text", command.get_help(sub).rstrip(), "```", ""]
    return "\n".join(lines)


def main() -> int:
    pages = {OUT / "record-schema.md": schema_page(), OUT / "cli.md": cli_page()}
    stale = [p for p, text in pages.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if "--check" in sys.argv:
        for p in stale:
            print(f"{p.relative_to(ROOT)} is out of date: run scripts/gen_reference.py", file=sys.stderr)
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for p, text in pages.items():
        p.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
