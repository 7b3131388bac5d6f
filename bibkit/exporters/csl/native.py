"""Whether this process runs the engine's modules compiled (mypyc, see setup.py) or as Python.

A build that compiled them leaves, beside each module's source, its extension module, and
``native.json``: the hash of each source it compiled. An extension module is imported before a
source of the same name, so an edited checkout, a mutation tool's mutant or a half-finished
build would otherwise run code that is no longer the source. The compiled modules are used
only where every one is there and every source is the one it was compiled from; otherwise (or
with ``BIBKIT_PURE`` set) each is imported from its source, all of them together: compiled
modules call one another directly, and never run beside a source version of one of them.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Mapping, Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).parent
PACKAGE = __name__.rpartition(".")[0]


def compiled_modules(folder: Path = HERE, environ: Mapping[str, str] = os.environ) -> list[str] | None:
    """The modules in ``folder`` to import compiled (their names), or None: each from its source."""
    if environ.get("BIBKIT_PURE"):
        return None
    try:
        built = json.loads((folder / "native.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(built, dict) or not built:
        return None
    for name, digest in built.items():
        try:
            source = (folder / f"{name}.py").read_bytes()
        except OSError:
            return None
        if hashlib.sha256(source).hexdigest() != digest or _extension(folder, name) is None:
            return None
    return sorted(built)


def _extension(folder: Path, name: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


class _FromSource(importlib.abc.MetaPathFinder):
    """Imports the named modules of the package from their sources, past their extension modules."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE or name not in self.names:
            return None
        return importlib.util.spec_from_file_location(fullname, HERE / f"{name}.py")


def choose() -> bool:
    """Run by the package before it imports any of its modules: True where they run compiled."""
    if compiled_modules() is not None:
        return True
    shadowed = {path.stem for path in HERE.glob("*.py") if _extension(HERE, path.stem)}
    if shadowed and not any(isinstance(finder, _FromSource) for finder in sys.meta_path):
        sys.meta_path.insert(0, _FromSource(shadowed))
    return False
