"""``gc_paused()``: the cyclic garbage collector off for a hot loop, as it was after.

The simulator's event loop and the model checker's search create millions of long-lived
objects (trace records, states, interned tables) and no reference cycles. CPython's cyclic
collector scans every live container object at each full collection, and those scans grow with
what the loop keeps: about a tenth of an exhaustive search's time. Reference counting still frees
everything that is not in a cycle, so memory does not grow for it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; re-enable it after if it was on."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


__all__ = ["gc_paused"]
