"""The browser meter's byte n-gram tables: entropy-pruned, exact to a 32-bit hash, 8-bit
costs with backoff.

For each order n (1..K) the table keeps the n-grams worth their bytes (`build`: counted
`min_count` times and saving `min_gain` half bits over the train split against backing off),
as the sorted top `key_bits` bits of the 32-bit FNV-1a hashes of their bytes, and
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
CHUNK_ROWS = 1 << 20  # counting works through the train split in chunks of rows: bounded memory


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


def build(
    passwords, counts: Counts, min_counts: list[int], backoff: list[int], min_gains=None
) -> Tables:
    """The shipped tables, order by order. An n-gram is kept when counted min_counts[n-1]
    times and its gain reaches min_gains[n-1] half bits: at each of its positions in the train
    split, what the tables without it give (the kept lower orders plus the backoff penalty)
    minus its cost there, summed, |sum(fallback - cost)| (Stolcke's entropy pruning in
    integers: n-grams the lower orders already predict are dropped, however common). Costs
    are per position, against that position's context: a hash two n-grams share gains only
    what they have in common. The stored cost is against the context's count (the largest
    over its positions, should two contexts share the n-gram's hash)."""
    order = len(min_counts)
    gains_min = list(min_gains) if min_gains is not None else [0] * order
    keys, costs, gains = [], [], []
    below = {}  # per chunk of rows: each position's cost from the orders kept so far
    for n in range(1, order + 1):
        grams, gram_counts = counts.grams[n - 1]
        counted = gram_counts >= min_counts[n - 1]  # the candidates: only they are looked up
        grams, gram_counts = grams[counted], gram_counts[counted]
        context = np.zeros(grams.size, dtype=np.int64)
        gain = np.zeros(grams.size, dtype=np.float64)  # integer sums, exact below 2^53
        for start in range(0, len(passwords), CHUNK_ROWS):
            data, _, scored = padded(passwords[start : start + CHUNK_ROWS], order)
            at = np.flatnonzero(scored)
            if n > 1:
                value = lookup(keys[-1], costs[-1], gram_keys(data, at, n - 1, counts.key_bits))
                below[start] = _backed_off(value, below.get(start), backoff[n - 2])
            if grams.size == 0:
                continue
            query = gram_keys(data, at, n, counts.key_bits)
            i = np.minimum(np.searchsorted(grams, query), grams.size - 1)
            hit = grams[i] == query
            i = i[hit]
            ctx_keys, ctx_counts = counts.contexts[n - 1]
            ctx = lookup(ctx_keys, ctx_counts, gram_keys(data, at[hit] - 1, n - 1))
            np.maximum.at(context, i, ctx)
            # order 1 falls back to UNSEEN, as `chain` does
            fallback = UNSEEN if n == 1 else below[start][hit] + np.int16(backoff[n - 1])
            saved = fallback - half_bits(ctx, gram_counts[i]).astype(np.int16)
            gain += np.bincount(i, weights=saved, minlength=grams.size)
        gain = np.abs(gain)
        keep = gain >= gains_min[n - 1]
        keys.append(grams[keep])
        costs.append(half_bits(context[keep], gram_counts[keep]))
        gains.append(gain[keep])
    return Tables(keys, costs, backoff, counts.key_bits, gains)


def _backed_off(value: np.ndarray, below: np.ndarray | None, penalty: int) -> np.ndarray:
    """One step of `chain`: the table value, else the cost below plus the penalty (int16)."""
    fallback = np.int16(UNSEEN) if below is None else below + np.int16(penalty)
    return np.where(value > 0, value.astype(np.int16), fallback).astype(np.int16)


class Tables:
    """Per order, the kept n-grams' sorted hash keys and costs, and the backoff penalties."""

    def __init__(self, keys: list, costs: list, backoff: list[int], key_bits: int, gains=None):
        self.key_bits = key_bits
        # each kept n-gram's gain (build; not in the model file): what leaving a row out scales
        self.gains = gains
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
