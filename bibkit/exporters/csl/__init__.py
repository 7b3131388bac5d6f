"""bibkit's rendering layer over citeproc-py: reference lists as citeproc-js and pandoc print them.

citeproc-py renders most of CSL, but a list it prints differs from the reference processors'
in details a reader sees: straight apostrophes, ``ArXiv:`` capitalised, commas outside closing
quotes, ``[1]C. Schuhmann``, titles printed twice, no ``2019a``/``2019b``. This package closes
those gaps where they arise, in the CSL elements and the item source, never by editing finished
output; citeproc-py itself is never patched (see ``elements``). docs/citeproc.md lists each
fix, and tests/conformance measures the result against citeproc-js and pandoc.

- ``load_style(path, locale)``: a style whose elements carry the fixes.
- ``Source(items, glyphs, escape)``: the items, read as citeproc-js reads field text.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from citeproc import CitationStylesStyle
from lxml import etree  # type: ignore[import-untyped]

from bibkit.exporters.csl.elements import parser, settings
from bibkit.exporters.csl.source import VARIABLES, Source
from bibkit.exporters.csl.text import Glyphs

__all__ = ["VARIABLES", "FixedStyle", "Glyphs", "Source", "glyphs", "load_style"]


class FixedStyle(CitationStylesStyle):  # type: ignore[misc]
    """citeproc-py's style object, its element tree built with bibkit's element classes."""

    def __init__(self, path: Path | IO[bytes], locale: str) -> None:  # bibkit resolves style names itself
        self.xml = etree.parse(str(path) if isinstance(path, Path) else path, parser())
        self.root = self.xml.getroot()
        if not hasattr(self.root, "set_locale_list"):
            raise ValueError("not a CSL style (its root element is not <style>)")
        self.root.set_locale_list(locale, validate=False)


def load_style(path: Path | IO[bytes], locale: str) -> FixedStyle:
    return FixedStyle(path, locale)


def glyphs(style: Any) -> Glyphs:
    """The quotation marks of a style's locale."""
    return settings(style.root)[0]
