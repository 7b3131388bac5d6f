"""bibkit: curated YAML bibliography records, validated, filled in from arXiv, exported.

    import bibkit
    library = bibkit.load("records")
    bibkit.validate(library)                         # [Diagnostic]
    bibkit.export(library.records, "bibtex")         # bytes

See ``bibkit.api``. Nothing heavy is imported until a function is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "export", "load", "validate"]

if TYPE_CHECKING:
    from bibkit.api import export, load, validate


def __getattr__(name: str) -> Any:
    # Lazy, so that `bibkit --help` does not pay for the loader and the exporters.
    if name in ("load", "validate", "export"):
        from bibkit import api

        return getattr(api, name)
    raise AttributeError(f"module 'bibkit' has no attribute {name!r}")
