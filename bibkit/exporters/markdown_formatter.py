"""A citeproc-py output formatter for Markdown (citeproc-py ships plain, html and rst).

Record text is escaped so that it can never become Markdown markup; the style's own
formatting (italic titles, bold volumes) becomes Markdown emphasis.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~!{}])")


def preformat(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", str(text))


class _Wrapped(str):
    left = right = ""

    def __new__(cls, text: str) -> _Wrapped:
        return super().__new__(cls, f"{cls.left}{text}{cls.right}")


class Italic(_Wrapped):
    left = right = "*"


class Oblique(Italic):
    pass


class Bold(_Wrapped):
    left = right = "**"


class Superscript(_Wrapped):
    left, right = "<sup>", "</sup>"


class Subscript(_Wrapped):
    left, right = "<sub>", "</sub>"


# Markdown has no light weight, underline or small capitals: the text stays as it is.
Light = str
Underline = str
SmallCaps = str
