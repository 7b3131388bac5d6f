"""bibkit's CSL engine: bibliographies in any CSL 1.0.2 style, printed as citeproc-js prints them.

A style is compiled once (``Engine``): its options and locale are read, and every element of
its layouts and macros becomes a Python closure; rendering a list runs those closures over
the items, then settles each entry's punctuation the way citeproc-js's output queue does.
citeproc-py supplies the locale files; docs/citeproc.md describes the design and how it is
measured against citeproc-js and pandoc.

Modules, in the order a rendering uses them:

- ``locale``: terms, date formats and options, merged from locale files and the style;
- ``items``: CSL-JSON items prepared as citeproc-js prepares them (names, dates, note fields);
- ``compile``: elements into closures; ``names``, ``dates``, ``numbers``: what they print;
- ``runtime``: the output queue and per-entry state; ``richtext``, ``textcase``: markup,
  quotes and text case inside field text;
- ``output``: the output tree, its punctuation passes, and the output formats;
- ``engine``: the registry, sorting, disambiguation and the bibliography.
"""

from __future__ import annotations

from bibkit.exporters.csl import native

# Before any module of the package is imported: compiled, or each from its source (native.py).
COMPILED = native.choose()

from bibkit.exporters.csl.engine import Engine, StyleError, make_engine, parse_style  # noqa: E402

__all__ = ["COMPILED", "Engine", "StyleError", "make_engine", "parse_style"]
