"""The CSL test suite's bibliography fixtures, through bibkit's layer and through citeproc-py.

The fixtures (``tests/data/csl-test-suite/humans/``, see SOURCES.md there) each hold a style, the
items and the bibliography citeproc-js prints, as HTML. A fixture passes when the rendered
bibliography equals that result, line by line (trailing spaces aside).

Run as a script for the pass rates and the list of fixtures that pass:
``.venv/bin/python tests/conformance/csl_suite.py [-v]``.
"""

from __future__ import annotations

import io
import json
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "csl-test-suite" / "humans"

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

_SECTION = re.compile(r">>=+ ([A-Z-]+) =+>>\n(.*?)\n?<<=+ \1 =+<<", re.S)


@dataclass
class Fixture:
    name: str
    result: str
    csl: str
    items: list[dict[str, Any]]
    order: list[str]  # item ids in citation order


def load(path: Path) -> Fixture:
    sections = {name: body for name, body in _SECTION.findall(path.read_text(encoding="utf-8"))}
    items: list[dict[str, Any]] = json.loads(sections["INPUT"])
    for item in items:
        item["id"] = str(item["id"])
    order: list[str] = []
    cited = []
    if "CITATION-ITEMS" in sections:
        cited = [cite["id"] for citation in json.loads(sections["CITATION-ITEMS"]) for cite in citation]
    elif "CITATIONS" in sections:
        cited = [cite["id"] for entry in json.loads(sections["CITATIONS"]) for cite in entry[0]["citationItems"]]
    for key in [str(c) for c in cited] + [item["id"] for item in items]:
        if key not in order:
            order.append(key)
    return Fixture(path.stem, sections["RESULT"], sections["CSL"], items, order)


def fixtures() -> list[Fixture]:
    return [load(path) for path in sorted(FIXTURES.glob("*.txt"))]


def render(fixture: Fixture, layer: bool) -> str:
    """The bibliography as the test suite writes it (citeproc-js's HTML)."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
    from citeproc.formatter import html
    from citeproc.source.json import CiteProcJSON

    from bibkit.exporters import csl

    xml = fixture.csl.encode("utf-8")
    match = re.search(rb'default-locale="([^"]+)"', xml)
    locale = match.group(1).decode() if match else "en-US"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if layer:
            style: Any = csl.load_style(io.BytesIO(xml), locale)
            source: Any = csl.Source(fixture.items, csl.glyphs(style), html.preformat)
        else:
            style = CitationStylesStyle(io.BytesIO(xml), locale=locale, validate=False)
            source = CiteProcJSON(fixture.items)
        bib = CitationStylesBibliography(style, source, html)
        for key in fixture.order:
            bib.register(Citation([CitationItem(key)]))
        bib.sort()
        entries = [str(entry) for entry in bib.bibliography()]
    body = "".join(f'  <div class="csl-entry">{entry}</div>\n' for entry in entries)
    return f'<div class="csl-bib-body">\n{body}</div>'


def _normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def passes(fixture: Fixture, layer: bool) -> bool:
    try:
        return _normal(render(fixture, layer)) == _normal(fixture.result)
    except Exception:  # a fixture citeproc-py cannot render at all fails, like a wrong one
        return False


def results(layer: bool) -> dict[str, bool]:
    return {f.name: passes(f, layer) for f in fixtures()}


def _main(argv: list[str]) -> None:
    all_fixtures = fixtures()
    for layer in (False, True):
        passed = [f.name for f in all_fixtures if passes(f, layer)]
        label = "bibkit's layer" if layer else "plain citeproc-py"
        print(f"{label}: {len(passed)}/{len(all_fixtures)} bibliography fixtures pass")
        if "-v" in argv:
            print("  " + " ".join(passed))


if __name__ == "__main__":
    _main(sys.argv[1:])
