"""The CSL engine compiled by mypyc (setup.py) or run from its source (bibkit/exporters/csl/native.py).

The compiled modules must be used only while they are the source in the tree, and must print
what the source prints.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bibkit.exporters.csl as csl
from bibkit.exporters.csl import native

ROOT = Path(__file__).resolve().parents[1]
CSL = ROOT / "bibkit" / "exporters" / "csl"
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _built(folder: Path, sources: dict[str, str]) -> None:
    """A folder as a build leaves it: each source, an extension file beside it (never imported
    here) and the manifest of the sources' hashes."""
    for name, text in sources.items():
        (folder / f"{name}.py").write_text(text)
        (folder / f"{name}{SUFFIX}").write_bytes(b"\x7fELF")
    manifest = {name: hashlib.sha256(text.encode()).hexdigest() for name, text in sources.items()}
    (folder / "native.json").write_text(json.dumps(manifest))


def test_a_build_whose_sources_are_unchanged_is_used(tmp_path: Path) -> None:
    _built(tmp_path, {"engine": "x = 1\n", "output": "y = 2\n"})
    assert native.compiled_modules(tmp_path, {}) == ["engine", "output"]


@pytest.mark.parametrize("change", ["edited", "no extension", "no source", "no manifest", "bad manifest",
                                    "empty manifest", "pure"])
def test_anything_else_runs_every_module_from_its_source(tmp_path: Path, change: str) -> None:
    _built(tmp_path, {"engine": "x = 1\n", "output": "y = 2\n"})
    environ = {}
    if change == "edited":  # (a checkout's edit, a mutation tool's mutant)
        (tmp_path / "output.py").write_text("y = 3\n")
    elif change == "no extension":  # (a build that failed half-way)
        (tmp_path / f"output{SUFFIX}").unlink()
    elif change == "no source":
        (tmp_path / "output.py").unlink()
    elif change == "no manifest":
        (tmp_path / "native.json").unlink()
    elif change == "bad manifest":
        (tmp_path / "native.json").write_text("{not json")
    elif change == "empty manifest":
        (tmp_path / "native.json").write_text("{}")
    else:
        environ["BIBKIT_PURE"] = "1"
    assert native.compiled_modules(tmp_path, environ) is None


def _origins(package_root: Path, environ: dict[str, str]) -> dict[str, str]:
    """Where each module of the CSL package came from, imported in a new process from ``package_root``."""
    code = ("import json, sys, bibkit.exporters.csl as c; "
            "print(json.dumps({'compiled': c.COMPILED, 'origins': {n: m.__spec__.origin "
            "for n, m in sys.modules.items() if n.startswith('bibkit.exporters.csl.') and m.__spec__ is not None}}))")
    env = {**os.environ, **environ, "PYTHONPATH": str(package_root)}
    # (-P: the copy, not the checkout the process starts in, which is the checkout's own folder:
    # a mutation tool's code, run in the copy, reads its settings from there)
    done = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    origins: dict[str, str] = found["origins"]
    assert found["compiled"] == all(not origin.endswith(".py") for name, origin in origins.items()
                                    if name.rpartition(".")[2] in _manifest())
    return origins


def _manifest() -> dict[str, str]:
    path = CSL / "native.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _python(origins: dict[str, str], name: str) -> bool:
    return origins[f"bibkit.exporters.csl.{name}"].endswith(f"{name}.py")


def test_the_build_in_this_checkout_runs_compiled() -> None:
    """`make` compiles the engine (setup.py); its tests run what a user runs. A checkout built
    with BIBKIT_COMPILE=0, or where mypyc is missing, has no manifest, and runs the sources."""
    built = _manifest()
    mypyc = importlib.util.find_spec("mypyc") is not None
    if mypyc and os.environ.get("BIBKIT_COMPILE", "1") != "0":
        assert built, "no native.json: the CSL engine was not compiled (make reinstalls it)"
    assert bool(built) == csl.COMPILED
    for name in built:
        module = sys.modules[f"bibkit.exporters.csl.{name}"]
        assert module.__spec__ is not None and module.__spec__.origin is not None
        assert module.__spec__.origin.endswith(".py") != bool(built), name


def test_an_edited_source_turns_every_module_back_to_python(tmp_path: Path) -> None:
    if not _manifest():
        pytest.fail("no compiled build to test (make reinstalls it)")
    copy = tmp_path / "bibkit"
    shutil.copytree(ROOT / "bibkit", copy, ignore=shutil.ignore_patterns("__pycache__"))
    same = _origins(tmp_path, {})
    assert all(not _python(same, name) for name in _manifest())  # (a copy of the same build: compiled)
    edited = copy / "exporters" / "csl" / "output.py"
    edited.write_text(edited.read_text() + "\n# edited\n")
    origins = _origins(tmp_path, {})
    assert all(_python(origins, name) for name in _manifest())
    assert all(origin.startswith(str(tmp_path)) for origin in origins.values())


@pytest.mark.slow  # (about 15 s: two processes render 30 lists of 256 entries)
def test_pure_and_compiled_print_the_same_lists(tmp_path: Path) -> None:
    """The sweep's varied real items (tests/conformance/sweep.py) in the common styles and a
    spread of the others, through the compiled engine and through its source: the same text
    and HTML, to the byte."""
    if not _manifest():
        pytest.fail("no compiled build to test (make reinstalls it)")
    sys.path.insert(0, str(ROOT / "tests" / "conformance"))
    try:
        import sweep
    finally:
        sys.path.pop(0)
    styles = list(sweep.pick(sweep.all_styles(), sample=30).values())
    items = tmp_path / "items.json"
    items.write_text(json.dumps(sweep.csl_items(sweep.corpus())))
    code = ("import json, sys; from bibkit.exporters.citeproc import render_items; import bibkit.exporters.csl as c; "
            "items = json.load(open(sys.argv[1])); "
            "out = {s + f: render_items(items, s, 'en-US', f).decode() "
            "for s in sys.argv[2:] for f in ('text', 'html')}; "
            "print(json.dumps({'compiled': c.COMPILED, 'out': out}))")
    runs = {}
    for mode, environ in (("compiled", {}), ("pure", {"BIBKIT_PURE": "1"})):
        done = subprocess.run([sys.executable, "-c", code, str(items), *map(str, styles)], capture_output=True,
                              text=True, cwd=ROOT, env={**os.environ, **environ}, check=True)
        runs[mode] = json.loads(done.stdout)
    assert runs["compiled"]["compiled"] and not runs["pure"]["compiled"]
    assert runs["compiled"]["out"] == runs["pure"]["out"]
    assert len(runs["pure"]["out"]) == 2 * len(styles) == 60
    assert all(text.count("\n") > 200 for text in runs["pure"]["out"].values())
