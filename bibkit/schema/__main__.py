"""Rewrite the shipped JSON Schema from the field table: ``python -m bibkit.schema``."""

from bibkit.schema import SCHEMA_PATH, render_schema

SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
