"""Setting fields in a record file without disturbing the rest of it.

A field that exists is replaced where it stands (from its key to the end of its value; a comment
after a one-line value stays); a field set to None is removed (its lines, nothing else); a new
field goes after the field that precedes it most closely in the order of ``bibkit.fields``
(``container-title`` after ``issued``, ``arxiv-class`` after ``arxiv``), or, when the file has
none of those, before its first field.
Comments, blank lines, key order and quoting everywhere else stay byte-identical, so the diff of
an edit shows only what it changed.
"""

from __future__ import annotations

from typing import Any

import yaml

from bibkit.dump import dump_yaml
from bibkit.fields import FIELDS

_ORDER = {f.name: i for i, f in enumerate(FIELDS)}


def dump_field(name: str, value: Any) -> str:
    return dump_yaml({name: value})


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _value_end(text: str, node: yaml.Node) -> int:
    """Where the line holding the end of ``node``'s value ends (after its newline)."""
    end: int = node.end_mark.index
    if node.end_mark.column != 0:  # a scalar or flow value ends mid-line
        newline = text.find("\n", end)
        end = len(text) if newline < 0 else newline + 1
    return end


def set_fields(text: str, values: dict[str, Any]) -> str:
    """``text`` with each top-level field in ``values`` set (None: removed)."""
    if not values:
        return text
    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(root, yaml.MappingNode):
        raise ValueError("a record is a mapping")
    where = {k.value: (k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    edits: list[tuple[int, int, int, str]] = []  # start, end, field order, new text
    last = len(_ORDER)
    for name, value in values.items():
        new = "" if value is None else dump_field(name, value)
        if name in where:
            key, node = where[name]
            start, end = _line_start(text, key.start_mark.index), _value_end(text, node)
            rest = text[node.end_mark.index:end]
            if value is not None and rest.strip().startswith("#"):
                new = new.rstrip("\n") + rest  # keep the comment after the value
            edits.append((start, end, -1, new))
        elif value is not None:
            order = _ORDER.get(name, last)
            before = [k for k in where if _ORDER.get(k, last) < order]
            if before:
                _, node = where[max(before, key=lambda k: _ORDER.get(k, last))]
                at = _value_end(text, node)
                if at == len(text) and text and not text.endswith("\n"):
                    new = "\n" + new
            else:
                at = min(_line_start(text, k.start_mark.index) for k, _ in where.values()) if where else len(text)
            edits.append((at, at, order, new))
    # Later edits first, so that earlier offsets stay right; fields inserted at one place go in
    # the order of the field table.
    for start, end, _, new in sorted(edits, key=lambda e: e[:3], reverse=True):
        text = text[:start] + new + text[end:]
    return text
