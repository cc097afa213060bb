"""A hashed table of 64-bit keys, each kept as a 12-bit fingerprint and a 4-bit level in a
16-bit slot, 16 slots per bucket (pwc.features.neighbours: whole strings among the counted
rows).

A lookup reads one 32-byte bucket: the key's top bits choose it, its fingerprint is compared
with the bucket's 16 slots, and a match gives the level (0: not found). A key is exact up to
its fingerprint (one false match in ~4,096 per occupied slot), which the features need: the
hashed counts that collide (the Markov model's) lost the neighbour features' gain.
"""

from __future__ import annotations

import numpy as np

SLOTS = 16  # per bucket: 32 bytes, one cache line's read per lookup
LEVELS = 15  # 4 bits, 0 = not counted


def fingerprint(keys: np.ndarray) -> np.ndarray:
    """Bits 4..15 of the key (its low 4 bits carry the level while the table is built)."""
    fp = ((keys >> np.uint64(4)) & np.uint64(0xFFF)).astype(np.uint16)
    return np.where(fp == 0, np.uint16(1), fp)  # 0 marks an empty slot


def target_levels(target: np.ndarray, rarest: float) -> np.ndarray:
    """1 at the rarest block's target, one more per quarter decade toward the head."""
    level = np.floor((rarest - np.asarray(target, dtype=np.float64)) * 4.0) + 1.0
    return np.clip(level, 1, LEVELS).astype(np.uint16)


def count_levels(counts: np.ndarray, chunk: int = 1 << 22) -> np.ndarray:
    """1 + floor(log2(count)) for counts >= 1, capped: integer steps, no float log. A slice
    at a time: one call's uint64 copy and int64 positions of every count were alive at once
    (benchmarks/RESULTS.md, "What each chunked step saved in the train stage")."""
    steps = np.uint64(1) << np.arange(LEVELS, dtype=np.uint64)  # 1, 2, 4, ...
    out = np.empty(counts.size, dtype=np.uint16)
    for start in range(0, counts.size, chunk):
        part = counts[start : start + chunk].astype(np.uint64)
        out[start : start + chunk] = np.searchsorted(steps, part, side="right")
    return out


def exact_levels(counts: np.ndarray) -> np.ndarray:
    """The count itself up to LEVELS (where taking one away must stay exact)."""
    return np.minimum(counts, LEVELS).astype(np.uint16)


def distinct_counts(
    keys: np.ndarray, least: int = 1, chunk: int = 1 << 23
) -> tuple[np.ndarray, np.ndarray]:
    """(distinct keys, how often each occurs) for those occurring `least` times or more.
    `keys` is sorted in place and the distinct keys are written over its front (the first
    array returned is a view of it): the largest arrays of a table's build are never copied,
    and a sorted slice is counted at a time."""
    keys.sort()
    counts = np.empty(_distinct(keys, chunk), dtype=np.uint32)
    found = start = 0
    while start < keys.size:
        stop = min(start + chunk, keys.size)
        if stop < keys.size:  # end the slice where a key starts, not inside its run
            cut = start + int(np.searchsorted(keys[start:stop], keys[stop]))
            stop = (
                cut
                if cut > start
                else start + int(np.searchsorted(keys[start:], keys[start], "right"))
            )
        part = keys[start:stop]
        first = np.flatnonzero(np.concatenate(([True], part[1:] != part[:-1])))
        count = np.diff(np.append(first, part.size))
        kept = count >= least
        n = int(kept.sum())
        keys[found : found + n] = part[first[kept]]  # found <= start: nothing unread is hit
        counts[found : found + n] = count[kept]
        found += n
        start = stop
    return keys[:found], counts[:found]


def _distinct(keys: np.ndarray, chunk: int) -> int:
    """How many distinct values a sorted array holds, a slice at a time."""
    n = min(keys.size, 1)
    for start in range(0, keys.size - 1, chunk):
        part = keys[start : start + chunk + 1]
        n += int(np.count_nonzero(part[1:] != part[:-1]))
    return n


def pack(keys: np.ndarray, levels: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Keys with their level in the low 4 bits: sorting them sorts by bucket (the top bits)
    with no argsort to carry the levels along. `out=keys` packs in place."""
    out = np.bitwise_and(keys, ~np.uint64(LEVELS), out=out)
    out |= levels.astype(np.uint64)
    return out


def empty_table(bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(slots, keys held per bucket) of a table of 2^bits buckets, for `insert`."""
    return np.zeros((1 << bits, SLOTS), dtype=np.uint16), np.zeros(1 << bits, dtype=np.uint8)


def insert(slots: np.ndarray, used: np.ndarray, packed: np.ndarray, chunk: int = 1 << 22) -> int:
    """Add packed keys (`pack`; sorted here in place) after the keys each bucket holds, in
    key order; returns how many found their bucket full (dropped). A table built a group of
    keys at a time never holds every group's keys at once, and its earlier groups keep their
    slots."""
    packed.sort()
    shift = np.uint64(64 - (slots.shape[0].bit_length() - 1))  # 2^bits buckets
    dropped = 0
    for start in range(0, packed.size, chunk):  # a chunk's intermediates, not every key's
        part = packed[start : start + chunk]
        bucket = (part >> shift).astype(np.intp)
        first = np.searchsorted(packed, bucket.astype(np.uint64) << shift)
        rank = start + np.arange(part.size) - first + used[bucket]
        kept = rank < SLOTS
        value = (fingerprint(part) << np.uint16(4)) | (part & np.uint64(LEVELS)).astype(np.uint16)
        slots[bucket[kept], rank[kept]] = value[kept]
        dropped += int(part.size - kept.sum())
    held = np.zeros(used.size, dtype=np.int64)
    for start in range(0, packed.size, chunk):
        held += np.bincount(
            (packed[start : start + chunk] >> shift).astype(np.intp), minlength=used.size
        )
    used[:] = np.minimum(held + used, SLOTS)
    return dropped


def lookup(slots: np.ndarray, bits: int, keys: np.ndarray) -> np.ndarray:
    """Each key's level (0: not in the table)."""
    bucket = (keys >> np.uint64(64 - bits)).astype(np.intp)
    # a slot XOR the wanted fingerprint (shifted) is below 16 only when its fingerprint
    # matches, and is then the slot's level: the smallest over the bucket is the answer
    x = np.take(slots, bucket, axis=0)  # see benchmarks/RESULTS.md's figures
    x ^= (fingerprint(keys) << np.uint16(4))[:, None]
    width = SLOTS
    while width > 1:  # halves: numpy's min along a 16-wide axis is slower
        width //= 2
        x = np.minimum(x[:, :width], x[:, width:])
    level = x[:, 0]
    return np.where(level <= LEVELS, level, 0)


def lookup_int(slots: np.ndarray, bits: int, z: int) -> int:
    """`lookup` of one key given as a Python int (the one-password paths)."""
    fp = (z >> 4) & 0xFFF or 1
    level = min(v ^ (fp << 4) for v in slots[z >> (64 - bits)].tolist())
    return level if level <= LEVELS else 0
