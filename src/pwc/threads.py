"""Threads for batch work whose numbers must not depend on them: runs of rows scored or
multiplied at once, each row's arithmetic the same on any count (numpy's, scipy's sparse and
the trees' loops let go of the GIL while they work)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

# by (process id, threads): a forked child starts its own (its parent's threads are not in it)
_POOLS: dict[tuple[int, int], ThreadPoolExecutor] = {}


def usable() -> int:
    """The threads this process may use: as many as sklearn's OpenMP would (OMP_NUM_THREADS,
    else the usable cores). The tests and the server's workers set 1."""
    return _openmp_effective_n_threads()


def runs(size: int, parts: int) -> list[tuple[int, int]]:
    """`parts` consecutive (start, end) runs covering range(size), as even as can be."""
    ends = np.linspace(0, size, parts + 1).astype(int).tolist()
    return list(zip(ends[:-1], ends[1:], strict=True))


def pool_map(work: Callable, items: Sequence, threads: int) -> list:
    """[work(item) for item in items], in order, on up to `threads` threads."""
    if threads <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    key = (os.getpid(), threads)
    if key not in _POOLS:
        _POOLS[key] = ThreadPoolExecutor(threads, thread_name_prefix="pwc")
    return list(_POOLS[key].map(work, items))


def map_runs(work: Callable, size: int, threads: int) -> list:
    """[work(start, end) for each of `threads` runs of range(size)], one thread each."""
    return pool_map(lambda run: work(*run), runs(size, threads), threads)
