"""The docs match the code: generated pages are current, and the site builds with --strict
(no broken link, no page left out of the navigation)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow  # mkdocs builds the site


def test_generated_reference_pages_are_current() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_reference.py"), "--check"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_site_builds_strictly(tmp_path: Path) -> None:
    proc = subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-q",
                           "-d", str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for page in ("index.html", "getting-started/index.html", "reference/cli/index.html",
                 "reference/record-schema/index.html"):
        assert (tmp_path / "site" / page).is_file(), page
