"""The keys `NeighbourScores` counts: kinds of strings around each counted password, made
for a chunk of passwords at a time (its bytes, row starts and ends) from prefix-sum hashes.

Every key is `string_key(hash of the bytes, a length, a kind)`; a password's features read
the keys of its own bytes (or of its neighbours') of the same kinds.
"""

from __future__ import annotations

import numpy as np

from pwc.counting.hashing import SubstringHashes, string_key

FULL, PREFIX, SUFFIX, SIBLING, INSERTION, DIGITS_MASKED, LESS, SUBSTITUTION = 1, 2, 3, 4, 5, 6, 7, 8

IS_DIGIT = np.zeros(256, dtype=bool)
IS_DIGIT[ord("0") : ord("9") + 1] = True
ZERO = np.uint8(ord("0"))


def full_keys(data, starts, ends) -> np.ndarray:
    """The FULL key of each password."""
    return string_key(SubstringHashes(data).forward(starts, ends), ends - starts, FULL)


def prefix_keys(data, starts, ends) -> np.ndarray:
    """The PREFIX key of every proper prefix, row by row."""
    row = np.repeat(np.arange(starts.size), ends - starts)
    end = np.arange(1, data.size + 1)
    proper = end < ends[row]
    start, end = starts[row][proper], end[proper]
    return string_key(SubstringHashes(data).forward(start, end), end - start, PREFIX)


def suffix_keys(data, starts, ends) -> np.ndarray:
    """The SUFFIX key of every proper suffix."""
    row = np.repeat(np.arange(starts.size), ends - starts)
    start = np.arange(data.size)
    proper = start > starts[row]
    start, end = start[proper], ends[row][proper]
    return string_key(SubstringHashes(data).forward(start, end), end - start, SUFFIX)


def sibling_keys(data, starts, ends) -> np.ndarray:
    """The SIBLING key of each non-empty password: its bytes but the last, its length."""
    nonempty = ends > starts
    starts, ends = starts[nonempty], ends[nonempty]
    return string_key(SubstringHashes(data).forward(starts, ends - 1), ends - starts, SIBLING)


def insertion_keys(data, starts, ends) -> np.ndarray:
    """The INSERTION key of each distinct one-byte deletion (deleting any byte of a run of
    equal bytes gives the same string: the run's first is taken)."""
    sums = SubstringHashes(data)
    row = np.repeat(np.arange(starts.size), ends - starts)
    at = np.arange(data.size)
    j = at - starts[row]
    first = (j == 0) | (data != np.roll(data, 1))
    at, j, row = at[first], j[first], row[first]
    h = sums.forward(starts[row], at) + sums.down[j] * sums.forward(at + 1, ends[row])
    return string_key(h, ends[row] - starts[row] - 1, INSERTION)


def digits_keys(data, starts, ends) -> np.ndarray:
    """The DIGITS_MASKED key of each password: its bytes with every digit read as 0."""
    masked = np.where(IS_DIGIT[data], ZERO, data)
    return string_key(SubstringHashes(masked).forward(starts, ends), ends - starts, DIGITS_MASKED)


def substitution_keys(data, starts, ends, sums: SubstringHashes | None = None) -> np.ndarray:
    """The SUBSTITUTION key of every byte of every password, row by row: its bytes with that
    one left out of the hash (any byte there), its length. Two strings of one length share
    the key at starts position when they differ there at most: the password's hash less the
    byte's term, one multiply per byte."""
    sums = SubstringHashes(data) if sums is None else sums
    length = ends - starts
    row = np.repeat(np.arange(starts.size), length)
    at = np.arange(data.size)
    own = sums.forward(starts, ends)[row]
    term = (data.astype(np.uint64) + np.uint64(1)) * sums.down[at - starts[row]]
    return string_key(own - term, length[row], SUBSTITUTION)


def less_keys(keys: np.ndarray) -> np.ndarray:
    """The LESS key of a key (DIGITS_MASKED, SUBSTITUTION): where the level of one fewer is
    kept, for the counts where one fewer changes it."""
    return string_key(keys, np.zeros(keys.size, dtype=np.int64), LESS)
