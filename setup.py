"""bibkit's build: the CSL engine's modules compiled to C extensions by mypyc, where it can be.

Formatting a list spends its time in a few thousand lines of the CSL engine (closures over a
compiled style, the output tree's punctuation passes, names); compiled by mypyc from the same
typed source they run 1.7-1.9 times as fast (docs/performance.md). Everything else stays Python.

``BIBKIT_COMPILE=0`` (or a build without mypyc) installs the modules as Python only: the same
engine, slower. The source files' hashes go to ``native.json`` beside them, and
``bibkit.exporters.csl.native`` uses the compiled modules only while every source is the one
they were compiled from (an edited checkout runs its edits, a mutation tool its mutants).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, CompileError, ExecError, LinkError, PlatformError

CSL = Path("bibkit/exporters/csl")
# The modules a list spends its time in (locale, which reads a locale file once, is not among them).
COMPILED = ("collation", "compile", "dates", "engine", "items", "names", "numbers", "output", "richtext",
            "runtime", "textcase")


_hashes: dict[str, str] = {}


def native_modules() -> list[Extension]:
    (CSL / "native.json").unlink(missing_ok=True)  # (until a build succeeds: see BuildNative)
    if os.environ.get("BIBKIT_COMPILE", "1") == "0":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        return []
    sources = {name: CSL / f"{name}.py" for name in COMPILED}
    _hashes.update({name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in sources.items()})
    # mypyc type-checks what it compiles, and follows its imports into the rest of bibkit; the
    # type stubs of those modules' libraries are the tests' (requirements/dev.txt), not an
    # install's: the modules it only follows are checked silently (CI's mypy checks them).
    return mypycify(["--follow-imports=silent", *map(str, sources.values())],
                    group_name="bibkit.exporters.csl.native", opt_level="3")


class BuildNative(build_ext):
    """build_ext, then ``native.json`` beside the modules it built. A build that fails (no C
    compiler, no Python headers) leaves none, says so, and bibkit installs as Python only."""

    def run(self) -> None:
        folder = Path(self.get_ext_fullpath("bibkit.exporters.csl.native")).parent
        manifest = folder / "native.json"
        manifest.unlink(missing_ok=True)
        try:
            super().run()
        except (CCompilerError, ExecError, PlatformError, CompileError, LinkError) as exc:
            print(f"bibkit: the CSL engine was not compiled ({exc}); it runs as Python, slower "
                  "(docs/performance.md)", file=sys.stderr)
            return
        if self.extensions and _hashes:
            manifest.write_text(json.dumps(_hashes, indent=1, sort_keys=True) + "\n")


setup(ext_modules=native_modules(), cmdclass={"build_ext": BuildNative})
