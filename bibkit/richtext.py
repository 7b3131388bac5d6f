"""Rich text in record values: CSL 1.0.2's markup, parsed once into a typed form.

bibkit writes formatting and case protection inside text values the way CSL-JSON does, so a
title reads the same in a record and in the CSL-JSON export:

    <i>italic</i>  <b>bold</b>  <sc>small caps</sc>  <sup>sup</sup>  <sub>sub</sub>
    <span class="nocase">keeps its case</span>  <span style="font-variant:small-caps;">sc</span>

and TeX math between two dollars (``$16\\times 16$``), which CSL has no markup for and which
BibTeX needs as it is. Anything else (``x < y``, an ``&``) is text. Exporters render the parsed
form: BibTeX/BibLaTeX as ``\\textit{}``, ``\\textbf{}``, ``\\textsc{}``, ``\\textsuperscript{}``,
``\\textsubscript{}`` and braces for nocase; CSL-JSON as the markup itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Kind = Literal["i", "b", "sc", "sup", "sub", "nocase", "math"]

# Tag -> kind; the closing tag of each.
_OPEN: dict[str, Kind] = {
    "<i>": "i", "<b>": "b", "<sc>": "sc", "<sup>": "sup", "<sub>": "sub",
    '<span class="nocase">': "nocase", '<span style="font-variant:small-caps;">': "sc",
}
_CLOSE: dict[Kind, tuple[str, ...]] = {
    "i": ("</i>",), "b": ("</b>",), "sc": ("</sc>", "</span>"), "sup": ("</sup>",), "sub": ("</sub>",),
    "nocase": ("</span>",),
}
_TAG = re.compile("|".join(re.escape(t) for t in [*_OPEN, "</i>", "</b>", "</sc>", "</sup>", "</sub>",
                                                    "</span>"]))
# Math: two unescaped dollars with something between them on one value.
_MATH = re.compile(r"(?<!\\)\$([^$]+?)(?<!\\)\$")
# What math may not hold: commands that read, write or redefine (a record is data, not a program).
_UNSAFE_MATH = re.compile(r"\\(?:input|include|write|immediate|openout|openin|read|def|edef|gdef|xdef|let|"
                          r"catcode|csname|newcommand|renewcommand|providecommand|special|usepackage|"
                          r"jobname|endinput|end|begin|makeatletter)(?![A-Za-z])")


class RichTextError(ValueError):
    """Markup that does not nest: an unclosed or a stray tag. ``offset`` is where, in characters."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Span:
    kind: Kind
    children: tuple[Node, ...]


Node = str | Span


@dataclass(frozen=True, slots=True)
class Rich:
    """A parsed text value: text pieces and formatted spans, in order."""

    nodes: tuple[Node, ...]

    def markup(self) -> str:
        return "".join(_markup(n) for n in self.nodes)

    def plain(self) -> str:
        """The text without any markup (math keeps its dollars)."""
        return "".join(_plain(n) for n in self.nodes)


_TAGS_OUT: dict[Kind, tuple[str, str]] = {
    "i": ("<i>", "</i>"), "b": ("<b>", "</b>"), "sc": ("<sc>", "</sc>"), "sup": ("<sup>", "</sup>"),
    "sub": ("<sub>", "</sub>"), "nocase": ('<span class="nocase">', "</span>"), "math": ("$", "$"),
}


def _markup(node: Node) -> str:
    if isinstance(node, str):
        return node
    start, end = _TAGS_OUT[node.kind]
    return start + "".join(_markup(c) for c in node.children) + end


def _plain(node: Node) -> str:
    if isinstance(node, str):
        return node
    inner = "".join(_plain(c) for c in node.children)
    return f"${inner}$" if node.kind == "math" else inner


@lru_cache(maxsize=4096)
def parse(text: str) -> Rich:
    """``text`` as rich text; RichTextError where tags do not nest."""
    stack: list[tuple[Kind, list[Node], int]] = []
    out: list[Node] = []
    pos = 0
    for m in _TAG.finditer(text):
        target = stack[-1][1] if stack else out
        _text_into(target, text[pos:m.start()])
        tag = m.group()
        if tag in _OPEN:
            stack.append((_OPEN[tag], [], m.start()))
        else:
            if not stack or tag not in _CLOSE[stack[-1][0]]:
                raise RichTextError(f"{tag} closes nothing that is open", m.start())
            kind, children, _ = stack.pop()
            (stack[-1][1] if stack else out).append(Span(kind, tuple(children)))
        pos = m.end()
    if stack:
        kind, _, start = stack[-1]
        raise RichTextError(f"{text[start:].split('>')[0]}> is never closed", start)
    _text_into(out, text[pos:])
    return Rich(tuple(out))


def _text_into(target: list[Node], text: str) -> None:
    pos = 0
    for m in _MATH.finditer(text):
        if m.start() > pos:
            target.append(text[pos:m.start()])
        target.append(Span("math", (m.group(1),)))
        pos = m.end()
    if pos < len(text):
        target.append(text[pos:])


def check(text: str) -> str | None:
    """Why ``text`` is not valid rich text, or None."""
    try:
        parse(text)
    except RichTextError as exc:
        return str(exc)
    return None


def plain(text: str) -> str:
    """The text of a value without its markup; malformed markup is taken as text."""
    try:
        return parse(text).plain()
    except RichTextError:
        return text


def nocase(text: str) -> str:
    """``text`` marked to keep its case."""
    return f'<span class="nocase">{text}</span>'


# LaTeX, for BibTeX and BibLaTeX.

LATEX_COMMAND: dict[Kind, str] = {
    "i": r"\textit", "b": r"\textbf", "sc": r"\textsc", "sup": r"\textsuperscript", "sub": r"\textsubscript",
}


def math_is_safe(tex: str) -> bool:
    """Math that may go to LaTeX as it is: balanced braces, nothing that reads, writes or redefines."""
    depth = 0
    for c in tex:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0 and _UNSAFE_MATH.search(tex) is None and "%" not in tex.replace(r"\%", "")
