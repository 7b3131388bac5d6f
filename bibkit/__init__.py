"""bibkit: curated YAML bibliography records, validated, filled in from arXiv, exported.

    import bibkit
    library = bibkit.load("records")
    bibkit.validate(library)                         # [Diagnostic]
    bibkit.export(library.records, "bibtex")         # bytes

See ``bibkit.api``. Nothing heavy is imported until a function is called.
"""

from __future__ import annotations

# Not typing's: the ``bibkit`` command imports this package before it knows whether a replay
# answers (bibkit.replay), and typing takes 2 ms to import. Type checkers read it as typing's.
TYPE_CHECKING = False

__version__ = "0.1.0"
__all__ = ["__version__", "export", "load", "validate"]

if TYPE_CHECKING:
    from typing import Any

    from bibkit.api import export, load, validate


def __getattr__(name: str) -> Any:
    # Lazy, so that `bibkit --help` does not pay for the loader and the exporters.
    if name in ("load", "validate", "export"):
        from bibkit import api

        return getattr(api, name)
    raise AttributeError(f"module 'bibkit' has no attribute {name!r}")
