"""The cyclic garbage collector, paused for bulk work.

Parsing a thousand records or rendering a thousand entries makes hundreds of thousands of
objects and almost no reference cycles: the collector's passes over the growing heap cost more
than the memory they would free. ``paused`` stops it for the work; and since a young-generation
pass after it would still examine every object the work left alive (10 ms after a list of
1,000 APA entries), those are moved to the oldest generation first, where a full collection
still finds any cycle among them.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection in the block (nor, if it was off, after it)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            # (freeze then unfreeze: two list splices that leave every object in the oldest generation)
            gc.freeze()
            gc.unfreeze()
            gc.enable()
