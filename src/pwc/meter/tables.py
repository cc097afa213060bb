"""The browser meter's byte n-gram tables: hashed, pruned, 8-bit costs with backoff.

For each order n (1..K) a table of 2^bits bytes holds, per hashed n-gram (n-1 context bytes
and the next byte), the cost of that byte after that context in half bits,
round(2 * log2(count(context) / count(n-gram))), at least 1; 0 marks an n-gram pruned or never
counted. A position's cost at order n is its table value, or when that is 0 the cost at order
n-1 plus the order's backoff penalty (at order 1: `UNSEEN`). Every step is an integer table
read or add, so Python (numpy) and JavaScript compute the same integers; meter.js repeats it.
"""

from __future__ import annotations

import numpy as np

from pwc import numerics
from pwc.text import END, START, as_arrow, byte_buffers

FNV_OFFSET = np.uint32(2166136261)
FNV_PRIME = np.uint32(16777619)
UNSEEN = 64  # order 1's cost of a byte never counted: 32 bits
MAX_COST = 255


def padded(passwords, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bytes, row of each byte, scored) with order-1 START bytes before each password's UTF-8
    bytes and END after: every n-gram up to `order` ends inside its own row. `scored` marks
    the bytes that are predicted (the password's bytes and END)."""
    offsets, data = byte_buffers(as_arrow(passwords))
    lengths = np.diff(offsets)
    pad = order - 1
    n = lengths.size
    row_len = lengths + pad + 1
    starts = np.concatenate([[0], np.cumsum(row_len)])[:-1]
    out = np.full(int(row_len.sum()), START, dtype=np.uint8)
    rows = np.repeat(np.arange(n, dtype=np.int64), row_len)
    pos = np.arange(out.size, dtype=np.int64) - np.repeat(starts, row_len)
    scored = pos >= pad
    inner = scored & (pos < pad + np.repeat(lengths, row_len))
    out[inner] = data
    out[starts + row_len - 1] = END
    return out, rows, scored


def gram_hashes(data: np.ndarray, at: np.ndarray, n: int, bits: int) -> np.ndarray:
    """FNV-1a (32-bit) of the n bytes ending at each index of `at`, top `bits` bits. With the
    order mixed into the offset basis, each order hashes apart."""
    h = np.full(at.size, FNV_OFFSET ^ np.uint32(n), dtype=np.uint32)
    for k in range(n - 1, -1, -1):
        h ^= data[at - k].astype(np.uint32)
        h *= FNV_PRIME
    return (h >> np.uint32(32 - bits)).astype(np.int64)


def _cost(context: np.ndarray, gram: np.ndarray) -> np.ndarray:
    """Half bits, log2(context / gram), rounded, in [1, MAX_COST] (pwc.numerics:
    the same bits on every CPU)."""
    bits = (numerics.log(context.astype(np.float64)) - numerics.log(gram.astype(np.float64))) / (
        numerics.log(np.float64(2.0))
    )
    return np.clip(np.rint(bits * 2.0), 1, MAX_COST).astype(np.uint8)


def count(passwords, bits: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per order, over the 2^bits n-gram buckets: (n-gram counts, count of the bucket's
    context). Each password counts once. A bucket two n-grams share keeps the larger context
    count (np.maximum.at: the same whatever the order of the rows' positions)."""
    order = len(bits)
    data, _, scored = padded(passwords, order)
    at = np.flatnonzero(scored)
    out = []
    for n, b in enumerate(bits, start=1):
        h = gram_hashes(data, at, n, b)
        grams = np.bincount(h, minlength=1 << b).astype(np.int64)
        if n == 1:
            context = np.full(1 << b, at.size, dtype=np.int64)  # the empty context
        else:
            hc = gram_hashes(data, at - 1, n - 1, b)
            context = np.zeros(1 << b, dtype=np.int64)
            np.maximum.at(context, h, np.bincount(hc, minlength=1 << b)[hc])
        out.append((grams, context))
    return out


def position_costs(grams: np.ndarray, context: np.ndarray, min_count: int) -> np.ndarray:
    """Per position, its table value from counts (0 when below `min_count`)."""
    keep = grams >= min_count
    out = np.zeros(grams.size, dtype=np.uint8)
    out[keep] = _cost(context[keep], grams[keep])
    return out


def own_counts(rows: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """How often each position's key occurs in its own row: what leaving the row out
    subtracts from a count."""
    joint = rows * np.int64(1 << 32) + keys
    _, inverse, counts = np.unique(joint, return_inverse=True, return_counts=True)
    return counts[inverse]


class Tables:
    """The shipped tables (uint8 per order) and backoff penalties; `values` reads them."""

    def __init__(self, tables: list[np.ndarray], backoff: list[int]):
        self.tables = tables
        self.backoff = backoff

    @property
    def order(self) -> int:
        return len(self.tables)

    @property
    def bits(self) -> list[int]:
        return [int(t.size).bit_length() - 1 for t in self.tables]

    @classmethod
    def from_counts(cls, counts, min_counts: list[int], backoff: list[int]) -> Tables:
        tables = [position_costs(g, c, m) for (g, c), m in zip(counts, min_counts, strict=True)]
        return cls(tables, backoff)

    def values(self, data: np.ndarray, at: np.ndarray) -> list[np.ndarray]:
        """Per order, each position's table value."""
        return [
            table[gram_hashes(data, at, n, self.bits[n - 1])]
            for n, table in enumerate(self.tables, start=1)
        ]


def chain(values: list[np.ndarray], backoff: list[int]) -> list[np.ndarray]:
    """Per order n, each position's cost using orders up to n (int32): the table value, or the
    cost one order down plus that order's backoff penalty."""
    out = []
    below = None
    for n, v in enumerate(values):
        v = v.astype(np.int32)
        fallback = np.full(v.size, UNSEEN, np.int32) if below is None else below + backoff[n]
        below = np.where(v > 0, v, fallback)
        out.append(below)
    return out
