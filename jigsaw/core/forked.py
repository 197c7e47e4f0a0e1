"""Pure-Python work over data already in memory, shared with forked copies of this process.

Batch linkage compares hundreds of thousands of distinct pairs of names in Python, one pair at
a time: on one core that is most of a local authority's linking. A forked copy inherits
everything in memory (the vocabulary, the caches) without copying or pickling it, computes its
share and sends back only a small array of results; nothing it does touches the database or
outlives the call. Where fork is not available, or the work is small, it all runs here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import struct
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")

# Below this many items a fork (a few milliseconds for a large process) is not worth it.
MIN_ITEMS = 20_000
_WORKERS_ENV = "JIGSAW_WORKERS"


def cores(wanted: str | int | None = None) -> int:
    """Processes to share work between: `wanted` if given (a setting's value; None reads
    JIGSAW_WORKERS), else the cores this process may run on (at most 4), or 1 where processes
    cannot be forked."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if wanted is None:
        wanted = os.environ.get(_WORKERS_ENV, "")
    if str(wanted).strip():
        return max(1, int(wanted))
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, usable or 1))


def map_in_parts(
    compute: Callable[[Sequence[T]], np.ndarray],
    items: Sequence[T],
    *,
    workers: int | None = None,
    min_items: int = MIN_ITEMS,
) -> np.ndarray:
    """`compute` over consecutive parts of `items`, the results joined in order. `compute` must
    return a one-dimensional array of the same length as its part, of one fixed dtype, and must
    not write anything that matters outside itself (a forked part's writes are lost)."""
    workers = cores() if workers is None else workers
    if workers <= 1 or len(items) < min_items:
        return compute(items)
    size = -(-len(items) // workers)
    parts = [items[k : k + size] for k in range(0, len(items), size)]
    children: list[tuple[int, int]] = []
    try:
        for part in parts[1:]:
            children.append(_fork(compute, part))
        results = [compute(parts[0])]
        for pid, fd in children:
            results.append(_collect(pid, fd, results[0].dtype))
    finally:
        for pid, fd in children:
            _reap(pid, fd)
    return np.concatenate(results)


def _fork(compute: Callable[[Sequence[T]], np.ndarray], part: Sequence[T]) -> tuple[int, int]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy: compute, send, and leave without running anything of the parent's
        code = 1
        try:
            os.close(read)
            data = np.ascontiguousarray(compute(part)).tobytes()
            with os.fdopen(write, "wb") as out:
                out.write(struct.pack("<Q", len(data)))
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _collect(pid: int, fd: int, dtype: np.dtype) -> np.ndarray:
    with os.fdopen(os.dup(fd), "rb") as handle:
        head = handle.read(8)
        data = handle.read(struct.unpack("<Q", head)[0]) if len(head) == 8 else b""
    _, status = os.waitpid(pid, 0)
    if status != 0 or len(head) != 8:
        raise RuntimeError(f"a forked part of the work failed (exit status {status})")
    return np.frombuffer(data, dtype=dtype).copy()


def _reap(pid: int, fd: int) -> None:
    """Close the pipe and make sure the copy has ended (after an error, end it)."""
    with contextlib.suppress(OSError):
        os.close(fd)
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass  # already collected
