"""Reporters: Diagnostics -> text, one dict entry per ``--format``."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from bibkit.diagnostics import Diagnostic, Severity


def _text(diags: Sequence[Diagnostic]) -> str:
    return "".join(f"{d}\n" for d in diags)


def _json(diags: Sequence[Diagnostic]) -> str:
    rows = [
        {"path": str(d.path), "line": d.line, "col": d.col, "severity": d.severity.value,
         "code": d.code, "message": d.message}
        for d in diags
    ]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def _escape_github(text: str, *, prop: bool = False) -> str:
    # GitHub's workflow-command escaping; properties also escape ':' and ','.
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _github(diags: Sequence[Diagnostic]) -> str:
    out = []
    for d in diags:
        level = "error" if d.severity is Severity.ERROR else "warning"
        props = f"file={_escape_github(str(d.path), prop=True)},line={d.line},col={d.col}," \
                f"title={_escape_github(d.code, prop=True)}"
        out.append(f"::{level} {props}::{_escape_github(d.message)}\n")
    return "".join(out)


REPORTERS: dict[str, Callable[[Sequence[Diagnostic]], str]] = {
    "text": _text,
    "json": _json,
    "github": _github,
}
