"""Setting fields in a record file without disturbing the rest of it.

A field that exists is replaced where it stands (from its key's line to the end of its value);
a new field is appended at the end of the file. Comments, blank lines, key order and quoting
everywhere else stay byte-identical, so the diff of an enrichment shows only what it changed.
"""

from __future__ import annotations

from typing import Any

import yaml

from bibkit.dump import dump_yaml


def dump_field(name: str, value: Any) -> str:
    return dump_yaml({name: value})


def set_fields(text: str, values: dict[str, Any]) -> str:
    """``text`` with each top-level field in ``values`` set, in that order."""
    if not values:
        return text
    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(root, yaml.MappingNode):
        raise ValueError("a record is a mapping")
    where = {k.value: (k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    edits: list[tuple[int, int, str]] = []
    appended = []
    for name, value in values.items():
        new = dump_field(name, value)
        if name not in where:
            appended.append(new)
            continue
        key, node = where[name]
        start = key.start_mark.index - key.start_mark.column
        end = node.end_mark.index
        if node.end_mark.column != 0:  # a scalar or flow value ends mid-line: take the line
            newline = text.find("\n", end)
            end = len(text) if newline < 0 else newline + 1
        edits.append((start, end, new))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    if appended:
        if text and not text.endswith("\n"):
            text += "\n"
        text += "".join(appended)
    return text
