"""What the train split says about a password's neighbours: the strings one small edit away
that were chosen too, and how many chosen passwords extend it.

The count models (Markov, PCFG) see n-grams and segments; whole strings they do not see.
Yet whether `Jessica1` was chosen by one person or by several shows in its neighbours:
`jessica1` and `Jessica` are among the leak's 3,400 commonest passwords, and 27 other train
passwords start with `Jessica1`. Measured on validation before it was built (docs/models.md):
eight neighbour lookups and the count of extensions, stacked on the model's answer, +0.006
(validation) and +0.008 (validation_head) Spearman.

One hashed table holds two kinds of keys, each in a 16-bit slot (a 12-bit fingerprint of
the key and a 4-bit level), 16 slots per bucket:
- every counted password, at the level of its target (1 for the leak's rarest block, one
  more per quarter decade of guess rank toward the head, up to 15);
- every proper prefix of a counted password, at log2 of how many counted passwords extend
  it (1 for one, 2 for two or three, ...).
A password's features are the levels of eight neighbours (NEIGHBOURS; 0 when not counted,
empty, or the password itself) and of its own prefix key. It never reads its own entry, so
the learners' rows need no leave-one-out. Neighbours are byte edits (UTF-8), lowercasing is
ASCII's. A key is a polynomial hash of the bytes, taken from prefix sums over the batch's
buffer (any substring or its reverse at the cost of two gathers), then mixed (splitmix64).
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from pwc.hashing import SubstringHashes, string_hash_int, string_key, string_key_int
from pwc.text import FEW_ROWS, as_arrow, byte_buffers

log = logging.getLogger(__name__)

NEIGHBOURS = (
    "lower",  # ASCII lowercase
    "capitalized",  # lowercase with its first byte upper
    "reversed",
    "without_last",  # its last byte dropped
    "without_first",
    "without_end_digits",
    "without_start_digits",
    "letters",  # its ASCII letters alone
)
FEATURES = (*NEIGHBOURS, "extensions")
SLOTS = 16  # per bucket: 32 bytes, one cache line's read per lookup
LEVELS = 15  # 4 bits, 0 = not counted
FULL, PREFIX = 1, 2  # key kinds

_UPPER = np.zeros(256, dtype=bool)
_UPPER[ord("A") : ord("Z") + 1] = True
_LOWER_A, _LOWER_Z = ord("a"), ord("z")
_LETTER = _UPPER.copy()
_LETTER[_LOWER_A : _LOWER_Z + 1] = True
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0") : ord("9") + 1] = True


def _fingerprint(keys: np.ndarray) -> np.ndarray:
    """Bits 4..15 of the key (its low 4 bits carry the level while the table is built)."""
    fp = ((keys >> np.uint64(4)) & np.uint64(0xFFF)).astype(np.uint16)
    return np.where(fp == 0, np.uint16(1), fp)  # 0 marks an empty slot


def target_levels(target: np.ndarray, rarest: float) -> np.ndarray:
    """1 at the rarest block's target, one more per quarter decade toward the head."""
    level = np.floor((rarest - np.asarray(target, dtype=np.float64)) * 4.0) + 1.0
    return np.clip(level, 1, LEVELS).astype(np.uint16)


def count_levels(counts: np.ndarray) -> np.ndarray:
    """1 + floor(log2(count)) for counts >= 1, capped: integer steps, no float log."""
    steps = np.uint64(1) << np.arange(LEVELS, dtype=np.uint64)  # 1, 2, 4, ...
    return np.searchsorted(steps, counts.astype(np.uint64), side="right").astype(np.uint16)


def pack(keys: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Keys with their level in the low 4 bits: sorting them sorts by bucket (the top bits)
    with no argsort to carry the levels along."""
    return (keys & ~np.uint64(LEVELS)) | levels.astype(np.uint64)


def build_table(packed: np.ndarray, bits: int, chunk: int = 1 << 22) -> tuple[np.ndarray, int]:
    """(slots, keys dropped) from packed keys (`pack`), sorted here in place: each bucket's
    keys in key order; past SLOTS a bucket's keys are dropped."""
    packed.sort()
    shift = np.uint64(64 - bits)
    slots = np.zeros((1 << bits, SLOTS), dtype=np.uint16)
    dropped = 0
    for start in range(0, packed.size, chunk):  # a chunk's intermediates, not every key's
        part = packed[start : start + chunk]
        bucket = part >> shift
        rank = start + np.arange(part.size) - np.searchsorted(packed, bucket << shift)
        kept = rank < SLOTS
        value = (_fingerprint(part) << np.uint16(4)) | (part & np.uint64(LEVELS)).astype(np.uint16)
        slots[bucket[kept].astype(np.intp), rank[kept]] = value[kept]
        dropped += int(part.size - kept.sum())
    return slots, dropped


def _rows(arr):
    offsets, data = byte_buffers(arr)
    return data, offsets[:-1], offsets[1:]


def _prefix_keys(arr) -> np.ndarray:
    """The PREFIX key of every proper prefix of every password in `arr`, row by row."""
    data, a, e = _rows(arr)
    sums = SubstringHashes(data)
    row = np.repeat(np.arange(a.size), e - a)
    end = np.arange(1, data.size + 1)
    start = a[row]
    proper = end < e[row]
    start, end = start[proper], end[proper]
    return string_key(sums.forward(start, end), end - start, PREFIX)


class NeighbourScores(TransformerMixin, BaseEstimator):
    """Levels of a password's neighbours and of its extensions among counted passwords
    (FEATURES). Fit with `fit_counts` (the passwords and their targets); `fit` checks it."""

    def __init__(self, bits: int = 22):
        self.bits = bits

    def fit_counts(self, passwords, target, chunk: int = 250_000) -> NeighbourScores:
        arr = as_arrow(passwords)
        target = np.asarray(target, dtype=np.float64)
        rarest = float(target.max()) if target.size else 0.0
        lengths = np.diff(byte_buffers(arr)[0])
        full = np.empty(len(arr), dtype=np.uint64)
        prefixes = np.empty(int(np.maximum(lengths - 1, 0).sum()), dtype=np.uint64)
        done = 0
        for start in range(0, len(arr), chunk):  # one chunk's prefix sums at a time
            part = arr.slice(start, chunk)
            data, a, e = _rows(part)
            full[start : start + len(part)] = string_key(
                SubstringHashes(data).forward(a, e), e - a, FULL
            )
            keys = _prefix_keys(part)
            prefixes[done : done + keys.size] = keys
            done += keys.size
        prefixes.sort()  # in place: the largest array here
        first = np.flatnonzero(np.concatenate(([True], prefixes[1:] != prefixes[:-1])))
        counts = np.diff(np.append(first, prefixes.size)) if prefixes.size else first
        prefixes = pack(prefixes[first], count_levels(counts))
        del first, counts
        packed = np.concatenate([pack(full, target_levels(target, rarest)), prefixes])
        del full, prefixes
        self.slots_, self.dropped_ = build_table(packed, self.bits)
        log.info(
            "neighbour table: %s keys, %s dropped (full buckets)",
            f"{packed.size:,}",
            f"{self.dropped_:,}",
        )
        return self

    def fit(self, X, y=None):  # noqa: N803 - sklearn's signature
        if not hasattr(self, "slots_"):
            raise ValueError("NeighbourScores needs fit_counts(...) before fit")
        return self

    def _levels(self, keys: np.ndarray) -> np.ndarray:
        bucket = (keys >> np.uint64(64 - self.bits)).astype(np.intp)
        # a slot XOR the wanted fingerprint (shifted) is below 16 only when its fingerprint
        # matches, and is then the slot's level: the smallest over the bucket is the answer
        x = np.take(self.slots_, bucket, axis=0)  # ~25x faster than slots_[bucket] here
        x ^= (_fingerprint(keys) << np.uint16(4))[:, None]
        width = SLOTS
        while width > 1:  # halves: numpy's min along a 16-wide axis is slower
            width //= 2
            x = np.minimum(x[:, :width], x[:, width:])
        level = x[:, 0]
        return np.where(level <= LEVELS, level, 0)

    def transform(self, X):  # noqa: N803
        if len(X) <= FEW_ROWS:
            return self._few(as_arrow(X).to_pylist())
        data, a, e = _rows(as_arrow(X))
        n = a.size
        length = e - a
        sums = SubstringHashes(data, reverse=True)
        own = sums.forward(a, e)
        lowered = np.where(_UPPER[data], data + np.uint8(32), data)
        low = SubstringHashes(lowered).forward(a, e)
        first = lowered[np.minimum(a, data.size - 1)] if data.size else np.zeros(n, np.uint8)
        to_upper = (length > 0) & (first >= _LOWER_A) & (first <= _LOWER_Z)
        capital = low - np.where(to_upper, np.uint64(32), np.uint64(0))  # position 0 weighs 1
        # end of the last non-digit byte, start of the first one (a row of digits: empty)
        position = np.arange(data.size, dtype=np.int64)
        kept = ~_DIGIT[data]
        filled = length > 0
        digits_end, digits_start = a.copy(), e.copy()
        if data.size:
            starts = a[filled]
            last = np.maximum.reduceat(np.where(kept, position + 1, -1), starts)
            digits_end[filled] = np.where(last >= 0, last, starts)
            big = np.iinfo(np.int64).max
            first_kept = np.minimum.reduceat(np.where(kept, position, big), starts)
            digits_start[filled] = np.minimum(first_kept, e[filled])
        letter = _LETTER[data]
        letter_ends = np.concatenate(([0], np.cumsum(letter)))
        la, le = letter_ends[a], letter_ends[e]
        letters = SubstringHashes(data[letter]).forward(la, le)
        shorter = np.maximum(length - 1, 0)
        candidates = [
            (low, length),
            (capital, length),
            (sums.reverse(a, e), length),
            (sums.forward(a, np.maximum(e - 1, a)), shorter),
            (sums.forward(np.minimum(a + 1, e), e), shorter),
            (sums.forward(a, digits_end), digits_end - a),
            (sums.forward(digits_start, e), e - digits_start),
            (letters, le - la),
        ]
        hashes = np.concatenate([h for h, _ in candidates])
        lengths = np.concatenate([m for _, m in candidates])
        times = len(candidates)
        itself = (hashes == np.tile(own, times)) & (lengths == np.tile(length, times))
        keys = np.concatenate([string_key(hashes, lengths, FULL), string_key(own, length, PREFIX)])
        levels = self._levels(keys)
        levels[: itself.size][itself | (lengths == 0)] = 0
        return levels.reshape(len(FEATURES), n).T.astype(np.float32)

    def _few(self, passwords: list[str]) -> np.ndarray:
        """`transform` in plain Python for a password or two (numpy's per-call costs were
        ~100 µs of a one-password request): the same keys in Python integers, the same
        slots, the same rule for a neighbour that is the password itself (tested equal)."""
        out = []
        shift, slots = 64 - self.bits, self.slots_
        for password in passwords:
            raw = password.encode()
            own = string_hash_int(raw)
            row = []
            for neighbour in _neighbours_bytes(raw):
                h = string_hash_int(neighbour)
                same = h == own and len(neighbour) == len(raw)
                row.append(
                    0
                    if same or not neighbour
                    else _level_int(slots, shift, string_key_int(h, len(neighbour), FULL))
                )
            row.append(_level_int(slots, shift, string_key_int(own, len(raw), PREFIX)))
            out.append(row)
        return np.asarray(out, dtype=np.float32).reshape(len(passwords), len(FEATURES))

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"neighbour_{f}" for f in FEATURES], dtype=object)


_DIGITS = b"0123456789"


def _level_int(slots: np.ndarray, shift: int, z: int) -> int:
    fp = (z >> 4) & 0xFFF or 1
    level = min(v ^ (fp << 4) for v in slots[z >> shift].tolist())
    return level if level <= LEVELS else 0


def _neighbours_bytes(raw: bytes) -> list[bytes]:
    """NEIGHBOURS of a password's bytes, in order."""
    low = raw.lower()  # bytes.lower: ASCII letters only
    capital = low[:1].upper() + low[1:]
    return [
        low,
        capital,
        raw[::-1],
        raw[:-1],
        raw[1:],
        raw.rstrip(_DIGITS),
        raw.lstrip(_DIGITS),
        bytes(b for b in raw if _LETTER_LIST[b]),
    ]


_LETTER_LIST = _LETTER.tolist()
