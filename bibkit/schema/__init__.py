"""The record format as a JSON Schema, built from ``bibkit.fields`` (the one table).

The shipped file ``record.schema.json`` is this function's output; ``python -m bibkit.schema``
rewrites it, and a test fails when the two differ. Editors' YAML language servers read it via a
``# yaml-language-server: $schema=...`` line. It describes the format; ``bibkit validate`` is
the authority (it also checks calendar dates, identifiers' syntax and rules across files).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bibkit.fields import CSL_TYPES, FIELDS, NAME_PARTS, OTHERS, PROVENANCE_FIELDS, Kind

SCHEMA_PATH = Path(__file__).with_name("record.schema.json")
SCHEMA_ID = "https://bibkit.invalid/schema/record.schema.json"

_TEXT: dict[str, Any] = {"type": ["string", "number"]}
_TEXT_LIST: dict[str, Any] = {"type": "array", "items": {"type": ["string", "number"]}}


def _kind(kind: Kind) -> dict[str, Any]:
    match kind:
        case Kind.TEXT | Kind.KEY:
            return dict(_TEXT)
        case Kind.CSL_TYPE:
            return {"enum": sorted(CSL_TYPES)}
        case Kind.NAMES:
            return {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/name"}}
        case Kind.DATE:
            return {"type": ["string", "integer"],
                    "pattern": r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"}
        case Kind.ARXIV:
            return {"type": ["string", "number"],
                    "pattern": r"^(\d{4}\.\d{4,5}|[a-z]+(-[a-z]+)*(\.[A-Z]{2})?/\d{7})(v\d+)?$"}
        case Kind.DOI:
            return {"type": "string", "pattern": r"^10\.\d{4,9}/\S+$"}
        case Kind.URL:
            return {"type": "string", "format": "uri", "pattern": "^https?://"}
        case Kind.TEXT_LIST:
            return dict(_TEXT_LIST)
        case Kind.EXTRA:
            return {"type": "object"}
        case Kind.PROVENANCE:
            return {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    name: {**_kind(k), "description": doc} for name, (k, doc) in PROVENANCE_FIELDS.items()
                },
            }
    raise AssertionError(kind)


def build_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "bibkit record",
        "description": "One paper, one YAML file, named after its citation key. See docs/record-format.md.",
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "title", "issued"],
        "properties": {f.name: {**_kind(f.kind), "description": f.doc} for f in FIELDS},
        "$defs": {
            "name": {
                "oneOf": [
                    {"type": "string", "description": "`Given Family`, `Family, Given`, or "
                     f"`{OTHERS}` as the last item of an incomplete list."},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            k: {"type": "string", "description": d} for k, d in NAME_PARTS.items()
                        },
                        "anyOf": [{"required": ["family"]}, {"required": ["literal"]}],
                    },
                ]
            }
        },
    }


def render_schema() -> str:
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
