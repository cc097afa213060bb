"""`NeighbourScores`: what the train split says about a password's neighbours, the strings
one small edit away that were chosen too, and how many chosen passwords extend it. The keys,
the table and the features are described in docs/models.md, "The neighbour features"."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from pwc.counting.hashing import SubstringHashes, string_key
from pwc.counting.keytable import (
    LEVELS,
    count_levels,
    distinct_counts,
    empty_table,
    exact_levels,
    insert,
    lookup,
    pack,
    target_levels,
)
from pwc.features.neighbours.keys import (
    FULL,
    INSERTION,
    IS_DIGIT,
    PREFIX,
    SIBLING,
    SUFFIX,
    digits_keys,
    full_keys,
    insertion_keys,
    less_keys,
    prefix_keys,
    sibling_keys,
    substitution_keys,
    suffix_keys,
)
from pwc.features.neighbours.one import few_levels
from pwc.features.paths import TwoPaths
from pwc.text import as_arrow, byte_buffers

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
EDITS = ("front_extensions", "siblings", "insertions", "digit_variants")
SUBSTITUTIONS = ("substitutions", "substitutions_most")

_UPPER = np.zeros(256, dtype=bool)
_UPPER[ord("A") : ord("Z") + 1] = True
_LOWER_A, _LOWER_Z = ord("a"), ord("z")
_LETTER = _UPPER.copy()
_LETTER[_LOWER_A : _LOWER_Z + 1] = True


def _rows(arr):
    offsets, data = byte_buffers(arr)
    return data, offsets[:-1], offsets[1:]


class NeighbourScores(TwoPaths, TransformerMixin, BaseEstimator):
    """Levels of a password's neighbours and of its extensions among counted passwords
    (FEATURES, then EDITS with `edits`, then SUBSTITUTIONS with `substitutions`). Fit with
    `fit_counts` (the passwords and their targets); `fit` checks it."""

    def __init__(self, bits: int = 22, edits: bool = False, substitutions: bool = False):
        self.bits = bits
        self.edits = edits
        self.substitutions = substitutions

    def features(self) -> tuple[str, ...]:
        return FEATURES + EDITS * self.edits + SUBSTITUTIONS * self.substitutions

    def fit_counts(self, passwords, target, chunk: int = 250_000) -> NeighbourScores:
        arr = as_arrow(passwords)
        target = np.asarray(target, dtype=np.float64)
        rarest = float(target.max()) if target.size else 0.0
        data, a, e = _rows(arr)
        self.slots_, used = empty_table(self.bits)
        full = pack(self._made(arr, full_keys, a.size, chunk), target_levels(target, rarest))
        self.dropped_ = insert(self.slots_, used, full)  # first: they keep their slots
        del full
        kinds = [(prefix_keys, count_levels, 1)]
        if self.edits:
            kinds += [
                (suffix_keys, count_levels, 1),
                (sibling_keys, exact_levels, 1),
                (insertion_keys, count_levels, 2),
                (digits_keys, count_levels, 1),
            ]
        if self.substitutions:
            kinds.append((substitution_keys, count_levels, 2))
        total = a.size
        for make, levels, least in kinds:  # one kind's keys at a time: ~100M for some
            made = self._made(arr, make, data.size + a.size, chunk)  # no kind makes more
            keys, counts = distinct_counts(made, least)  # a view of `made`: no copy
            groups = []
            if make in (digits_keys, substitution_keys):  # counting a row itself, in log2
                # levels: one fewer changes the level at powers of two
                less = (counts >= 2) & ((counts & (counts - 1)) == 0)
                groups.append(pack(less_keys(keys[less]), levels(counts[less] - 1)))
            groups.insert(0, pack(keys, levels(counts), out=keys))
            del made, keys, counts
            for group in groups:
                total += group.size
                self.dropped_ += insert(self.slots_, used, group)
            del groups
        log.info(
            "neighbour table: %s keys, %s dropped (full buckets)",
            f"{total:,}",
            f"{self.dropped_:,}",
        )
        return self

    @staticmethod
    def _made(arr, make, most: int, chunk: int) -> np.ndarray:
        """`make`'s keys for every password, one chunk's prefix sums at a time."""
        keys = np.empty(most, dtype=np.uint64)
        done = 0
        for start in range(0, len(arr), chunk):
            made = make(*_rows(arr.slice(start, chunk)))
            keys[done : done + made.size] = made
            done += made.size
        return keys[:done]

    def fit(self, X, y=None):  # noqa: N803 - sklearn's signature
        if not hasattr(self, "slots_"):
            raise ValueError("NeighbourScores needs fit_counts(...) before fit")
        return self

    def few(self, passwords: list[str]) -> np.ndarray:
        """`many` for a password or two in plain Python (pwc.features.neighbours.one)."""
        rows = [
            few_levels(self.slots_, self.bits, self.edits, self.substitutions, password)
            for password in passwords
        ]
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), len(self.features()))

    def many(self, rows) -> np.ndarray:
        """The features of an Arrow array's rows, each left out of the counts inside
        `leaving_one_out` (pwc.features.leave_one_out)."""
        out = self._batch(rows)
        if getattr(self, "_leave_one_out", False):
            self._leave_out(out, rows)
        return out

    def _leave_out(self, out: np.ndarray, rows) -> None:
        """The counts of rows that were counted themselves, less their own: the siblings'
        exactly up to 15 (above, the count stays); the digit variants' and substitutions'
        from the key of one fewer where that changes the level (a level of 1 is the row
        alone)."""
        if self.edits:
            sib = out[:, len(FEATURES) + EDITS.index("siblings")]
            sib[:] = np.where(sib < LEVELS, np.maximum(sib - 1, 0), sib)
            variants = out[:, len(FEATURES) + EDITS.index("digit_variants")]
            less = lookup(self.slots_, self.bits, less_keys(digits_keys(*_rows(rows))))
            variants[:] = np.where(variants <= 1, 0, np.where(less > 0, less, variants))
        if self.substitutions:
            data, a, e = _rows(rows)
            out[:, -len(SUBSTITUTIONS) :] = self._substitutions(data, a, e, leave_out=True)

    def _substitutions(self, data, a, e, sums=None, leave_out=False) -> np.ndarray:
        """SUBSTITUTIONS: the levels of a password's substitution keys, summed and the most;
        left out, each from its key of one fewer where that changes it (kept from two: a
        level of 1 left is 0)."""
        keys = substitution_keys(data, a, e, sums)
        levels = lookup(self.slots_, self.bits, keys)
        if leave_out:
            less = lookup(self.slots_, self.bits, less_keys(keys))
            levels = np.where(less > 0, less, levels)
            levels[levels <= 1] = 0
        out = np.zeros((a.size, 2), dtype=np.float32)
        out[:, 0] = np.bincount(np.repeat(np.arange(a.size), e - a), levels, a.size)
        filled = e > a
        if filled.any():  # the keys are in byte order: a row's run starts at its offset
            out[filled, 1] = np.maximum.reduceat(levels, a[filled])
        return out

    def _batch(self, X):  # noqa: N803
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
        kept = ~IS_DIGIT[data]
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
        keys = [string_key(hashes, lengths, FULL), string_key(own, length, PREFIX)]
        if self.edits:
            shorter_hash = sums.forward(a, np.maximum(e - 1, a))
            keys += [
                string_key(own, length, SUFFIX),
                string_key(shorter_hash, length, SIBLING),
                string_key(own, length, INSERTION),
                digits_keys(data, a, e),
            ]
        levels = lookup(self.slots_, self.bits, np.concatenate(keys))
        levels[: itself.size][itself | (lengths == 0)] = 0
        levels = levels.reshape(len(keys) - 1 + len(NEIGHBOURS), n)
        levels[len(FEATURES) :, length == 0] = 0
        out = levels.T.astype(np.float32)
        if self.substitutions:
            out = np.hstack([out, self._substitutions(data, a, e, sums)])
        return out

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"neighbour_{f}" for f in self.features()], dtype=object)
