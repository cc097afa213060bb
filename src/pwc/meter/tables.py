"""The browser meter's byte n-gram tables: pruned, exact to a 32-bit hash, 8-bit costs with
backoff.

For each order n (1..K) the table keeps the n-grams (n-1 context bytes and the next byte)
counted at least `min_count` times, as the sorted top `key_bits` bits of the 32-bit FNV-1a
hashes of their bytes, and
for each the cost of that byte after that context in half bits,
round(2 * log2(count(context) / count(n-gram))), at least 1. A position's cost at order n is
its n-gram's cost when the table has it, else the cost at order n-1 plus the order's backoff
penalty (at order 1: `UNSEEN`). Every step is a hash, a search in sorted integers or an
integer add, so Python (numpy) and JavaScript compute the same integers; meter.js repeats it.
Hashes are kept whole (not bucketed) because collisions are what break small n-gram tables.
"""

from __future__ import annotations

import numpy as np

from pwc import numerics
from pwc.text import END, START, as_arrow, byte_buffers

FNV_OFFSET = np.uint32(2166136261)
FNV_PRIME = np.uint32(16777619)
UNSEEN = 64  # order 1's cost of a byte never counted: 32 bits
MAX_COST = 255
CHUNK_ROWS = 1 << 21  # counting works through the train split in chunks of rows: bounded memory


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


def gram_keys(data: np.ndarray, at: np.ndarray, n: int, bits: int = 32) -> np.ndarray:
    """The top `bits` bits of FNV-1a (32-bit) of the n bytes ending at each index of `at`,
    the order mixed into the offset basis so each order hashes apart."""
    h = np.full(at.size, FNV_OFFSET ^ np.uint32(n), dtype=np.uint32)
    for k in range(n - 1, -1, -1):
        h ^= data[at - k].astype(np.uint32)
        h *= FNV_PRIME
    return h >> np.uint32(32 - bits)


def half_bits(context: np.ndarray, gram: np.ndarray) -> np.ndarray:
    """Half bits, log2(context / gram), rounded, in [1, MAX_COST] (pwc.numerics: the same bits
    on every CPU)."""
    ratio = numerics.log(context.astype(np.float64)) - numerics.log(gram.astype(np.float64))
    bits = ratio / numerics.log(np.float64(2.0))
    return np.clip(np.rint(bits * 2.0), 1, MAX_COST).astype(np.uint8)


def _merge(keys: list[np.ndarray], counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys with their summed counts."""
    key, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    return key, np.bincount(inverse, weights=np.concatenate(counts)).astype(np.int64)


def lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray, missing=0) -> np.ndarray:
    """values[i] where keys[i] == query (keys sorted), else `missing`."""
    if keys.size == 0:
        return np.full(query.size, missing, dtype=values.dtype)
    i = np.minimum(np.searchsorted(keys, query), keys.size - 1)
    return np.where(keys[i] == query, values[i], missing).astype(values.dtype)


class Counts:
    """Per order, every n-gram's and every context's count over the train split (each
    password once), as sorted hash keys with counts."""

    def __init__(self, grams: list, contexts: list, key_bits: int):
        self.grams = grams  # per order (keys of key_bits bits, counts)
        self.contexts = contexts  # per order (context keys, counts)
        self.key_bits = key_bits

    @classmethod
    def of(cls, passwords, order: int, key_bits: int) -> Counts:
        gram_parts = [([], []) for _ in range(order)]
        context_parts = [([], []) for _ in range(order)]
        for start in range(0, len(passwords), CHUNK_ROWS):
            data, _, scored = padded(passwords[start : start + CHUNK_ROWS], order)
            at = np.flatnonzero(scored)
            for n in range(1, order + 1):
                for parts, keys in (
                    (gram_parts[n - 1], gram_keys(data, at, n, key_bits)),
                    (context_parts[n - 1], gram_keys(data, at - 1, n - 1)),
                ):
                    key, count = np.unique(keys, return_counts=True)
                    parts[0].append(key)
                    parts[1].append(count)
        grams = [_merge(*p) for p in gram_parts]
        return cls(grams, [_merge(*p) for p in context_parts], key_bits)

    def truncated(self, key_bits: int) -> Counts:
        """The same counts keyed by fewer bits (n-grams whose top bits agree are counted
        together): what counting at `key_bits` gives."""
        shift = np.uint32(self.key_bits - key_bits)
        grams = [_merge([keys >> shift], [counts]) for keys, counts in self.grams]
        return Counts(grams, self.contexts, key_bits)

    def kept(self, min_counts: list[int]) -> list[np.ndarray]:
        return [keys[counts >= m] for (keys, counts), m in zip(self.grams, min_counts, strict=True)]


def build(passwords, counts: Counts, min_counts: list[int], backoff: list[int]) -> Tables:
    """The shipped tables: each kept n-gram's cost against its context's count (the largest
    over its positions, should two contexts share the n-gram's hash)."""
    order = len(min_counts)
    kept = counts.kept(min_counts)
    context_of = [np.zeros(k.size, dtype=np.int64) for k in kept]
    for start in range(0, len(passwords), CHUNK_ROWS):
        data, _, scored = padded(passwords[start : start + CHUNK_ROWS], order)
        at = np.flatnonzero(scored)
        for n in range(1, order + 1):
            keys = kept[n - 1]
            if keys.size == 0:
                continue
            grams = gram_keys(data, at, n, counts.key_bits)
            i = np.minimum(np.searchsorted(keys, grams), keys.size - 1)
            hit = keys[i] == grams
            ctx_keys, ctx_counts = counts.contexts[n - 1]
            ctx = lookup(ctx_keys, ctx_counts, gram_keys(data, at[hit] - 1, n - 1))
            np.maximum.at(context_of[n - 1], i[hit], ctx)
    costs = []
    for n in range(order):
        gram_count = lookup(*counts.grams[n], kept[n])
        costs.append(half_bits(context_of[n], gram_count))
    return Tables(kept, costs, backoff, counts.key_bits)


class Tables:
    """Per order, the kept n-grams' sorted hash keys and costs, and the backoff penalties."""

    def __init__(self, keys: list, costs: list, backoff: list[int], key_bits: int):
        self.key_bits = key_bits
        self.keys = [np.asarray(k, dtype=np.uint32) for k in keys]
        self.costs = [np.asarray(c, dtype=np.uint8) for c in costs]
        self.backoff = [int(b) for b in backoff]

    @property
    def order(self) -> int:
        return len(self.keys)

    def values(self, data: np.ndarray, at: np.ndarray) -> list[np.ndarray]:
        """Per order, each position's cost in the table (0: not kept)."""
        return [
            lookup(self.keys[n - 1], self.costs[n - 1], gram_keys(data, at, n, self.key_bits))
            for n in range(1, self.order + 1)
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
