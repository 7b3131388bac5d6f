"""The CSL test suite's bibliography fixtures, through bibkit's CSL engine.

The fixtures (``tests/data/csl-test-suite/humans/``, see SOURCES.md there) each hold a style, the
items and the bibliography citeproc-js prints, as HTML. A fixture passes when the rendered
bibliography equals that result, line by line (trailing spaces aside).

Run as a script for the pass rate, the fixtures that fail (``-v``) and their differences
(``--diff``): ``.venv/bin/python tests/conformance/csl_suite.py [-v] [--diff]``.
"""

from __future__ import annotations

import json
import re
import sys
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


def render(fixture: Fixture) -> str:
    """The bibliography as the test suite writes it (citeproc-js's HTML)."""
    from bibkit.exporters.csl import make_engine

    engine = make_engine(fixture.csl.encode("utf-8"), "en-US")
    by_id = {item["id"]: item for item in fixture.items}
    items = [by_id[key] for key in fixture.order if key in by_id]
    entries = [text for _, text in engine.bibliography(items, "html")]
    body = "".join(f'  <div class="csl-entry">{entry}</div>\n' for entry in entries)
    return f'<div class="csl-bib-body">\n{body}</div>'


def _normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def passes(fixture: Fixture) -> bool:
    try:
        return _normal(render(fixture)) == _normal(fixture.result)
    except Exception:  # a fixture the engine cannot render at all fails, like a wrong one
        return False


def results() -> dict[str, bool]:
    return {f.name: passes(f) for f in fixtures()}


def _main(argv: list[str]) -> None:
    all_fixtures = fixtures()
    passed = [f.name for f in all_fixtures if passes(f)]
    print(f"bibkit: {len(passed)}/{len(all_fixtures)} bibliography fixtures pass")
    if "-v" in argv:
        print("\n".join(f"  {f.name}" for f in all_fixtures if f.name not in passed))
    if "--diff" in argv:
        for f in all_fixtures:
            if f.name not in passed:
                try:
                    mine = render(f)
                except Exception as exc:  # show what failed
                    mine = f"{type(exc).__name__}: {exc}"
                print(f"== {f.name}\n-- expected\n{_normal(f.result)}\n-- bibkit\n{_normal(mine)}")


if __name__ == "__main__":
    _main(sys.argv[1:])
