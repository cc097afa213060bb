"""Counting with sorted arrays, chunk by chunk: what the Markov model's tables are built with.

numpy 2's np.unique is far slower than sort + compare on these sizes, and a bincount over a
table much larger than a chunk spends its time zeroing and adding the table.
"""

from __future__ import annotations

import numpy as np

from pwc.counting.keytable import distinct_counts


def distinct(values: np.ndarray, sorted_in_place: str | None = None) -> np.ndarray:
    """Sorted distinct values (sort + compare: numpy 2's np.unique is far slower here).
    `sorted_in_place`: a sort kind, to sort `values` itself (an array of the caller's own)."""
    if sorted_in_place:
        values.sort(kind=sorted_in_place)
    else:
        values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if values.size else values


def merged_distinct(known: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The sorted distinct union of `known` (sorted, distinct) and `new`: `new`'s own distinct
    values sorted, then the two runs merged by a stable sort (timsort: a linear merge of two
    sorted runs). Sorting the whole union for every chunk cost time growing with the square
    of the rows counted (benchmarks/RESULTS.md, "Figures behind the code's choices")."""
    return distinct(np.concatenate([known, distinct(new)]), sorted_in_place="stable")


def add_counts(table: np.ndarray, buckets: np.ndarray) -> None:
    """table[b] += how often b is in `buckets` (sorted in place): the float32 sums of adding
    a whole-table bincount, computed on the buckets present where the table is much larger
    than the chunk (a 2^26 table's bincount zeroes and adds the whole table per chunk)."""
    if buckets.size == 0:
        return
    if table.size <= 4 * buckets.size:
        table += np.bincount(buckets, None, table.size)
        return
    present, counts = distinct_counts(buckets)
    table[present] += counts  # float32 + uint32 in float64, as the bincount's sum
