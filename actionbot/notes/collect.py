"""Python's cycle collector paused while a bounded, allocation-heavy pure function runs.

Reading a notes file allocates hundreds of thousands of small objects
(markdown-it's tokens, list items, segments) and keeps nearly all of them until
the reading ends. The collector, run every 700 allocations, walks the young
objects each time and the older ones ever more often: about a third of the CPU
time of reading a 1 MB file, finding nothing, because nothing is garbage yet.
The reading limits bound what piles up meanwhile; the collector runs again, as
usual, once the function returns.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector off for the block, back on after it (when it was on: nesting is free)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
