"""Python's cyclic garbage collector, held off while a batch builds many objects that live on.

The collector runs after every few hundred new objects, and every so often walks every object
the process holds. Cleaning and comparing a local authority's records creates millions of
objects that all survive, so it walks an ever larger heap again and again for nothing: a
quarter of a batch linkage's time. Inside `paused()` it does not run; reference counting still
frees everything that is not in a cycle, and the collector runs as usual afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection within (nested use is fine: the outermost restores it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def settle() -> None:
    """After building something large that lives for the process (a person index): collect
    once, then set everything now held aside, so later collections never walk it again."""
    gc.collect()
    gc.freeze()


@contextmanager
def set_aside() -> Iterator[None]:
    """Within: everything in memory on entry is left alone by the collector (and a forked copy
    of the process does not copy the pages a collection would have touched). On leaving it
    is collected as usual again: Python thaws everything set aside, `settle`'s too."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
