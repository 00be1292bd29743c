"""Pause Python's cyclic garbage collector while building large, acyclic catalog structures."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block and restore its previous state after.

    Loading and reporting a catalog allocate hundreds of thousands of small containers with no
    reference cycles. Each full collection rescans all of them, which cost a third of the run
    time at 5,000 touchpoints (bench/catalog_bench.py). Reference counting still frees memory.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
