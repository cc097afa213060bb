"""A probabilistic context-free grammar of passwords (Weir et al., IEEE S&P 2009) as features.

A password is read as its base structure, the runs of one character class: letters (L),
digits (D), anything else (S) — `iloveyou12!` is L8 D2 S1 — and

    P(password) = P(structure) * P("iloveyou" | L8) * P("12" | D2) * P("!" | S1)

with each factor counted on training passwords. Weir's grammar takes letters from a
dictionary; here, as in later PCFG crackers, they are learned like digits and symbols. PCFG
and Markov models miss different passwords (a Markov model spreads probability over every
byte string, a grammar over its structures), which is why the best meters combine them
(Ur et al., USENIX Security 2015).

Counts live in hashed tables (2**bits buckets for segments, 2**(bits - 2) for structures),
like the Markov model's: a fixed size however many passwords are counted. Unseen segments
get add-one smoothing over every string of their class and length (52 letters, 10 digits,
33 other printable characters per position), so a rare digit string is 1 / (count of
D-length strings + 10^length), not zero.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from pwc import numerics
from pwc.counting.hashing import FIBONACCI, FIBONACCI_INT, GRAM_STEP, GRAM_STEP_INT, MASK64
from pwc.features.leave_one_out import per_row_multiplicity
from pwc.features.paths import TwoPaths
from pwc.text import as_arrow, byte_buffers

# log10 P(password), of its structure, and of its segments of each class (letters, digits,
# others: 0 when it has none), so the trees can weigh a common word apart from its digits
FEATURES = (
    "log10_prob",
    "structure_log10_prob",
    "letters_log10_prob",
    "digits_log10_prob",
    "others_log10_prob",
)
LETTER, DIGIT, OTHER = 0, 1, 2
_CLASS = np.full(256, OTHER, dtype=np.int64)
_CLASS[ord("a") : ord("z") + 1] = LETTER
_CLASS[ord("A") : ord("Z") + 1] = LETTER
_CLASS[ord("0") : ord("9") + 1] = DIGIT
ALPHABET = np.array([52.0, 10.0, 33.0])  # strings of a class and length: ALPHABET ** length
MAX_LENGTH = 128  # segment lengths kept apart up to here (longer ones share the last slot)
_STRUCTURE_SALT = np.uint64(0x5BD1E995)
# powers of the hash step, for polynomial hashes as sums of per-position terms
_POWERS = np.cumprod(np.full(MAX_LENGTH + 1, GRAM_STEP, dtype=np.uint64), dtype=np.uint64)
_POWERS = np.concatenate(([np.uint64(1)], _POWERS[:-1]))


def _bucket(h: np.ndarray, bits: int) -> np.ndarray:
    return ((h * FIBONACCI) >> np.uint64(64 - bits)).astype(np.int64)


def _polynomial(values: np.ndarray, position: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group (groups begin at `starts`, ascending): sum of value * step^position,
    mod 2^64. Positions over MAX_LENGTH reuse the last power (still a fine hash)."""
    terms = values * _POWERS[np.minimum(position, MAX_LENGTH)]
    return np.add.reduceat(terms, starts) if values.size else np.zeros(0, np.uint64)


def segments(passwords) -> dict[str, np.ndarray]:
    """Every password's class runs: per segment its row, class, length, bucket-ready hash of
    its bytes; per row its structure hash (empty passwords: the empty structure, hash 0)."""
    arr = as_arrow(passwords)
    offsets, data = byte_buffers(arr)
    n = len(arr)
    lengths = np.diff(offsets)
    row_of = np.repeat(np.arange(n), lengths)
    cls = _CLASS[data]
    first = np.ones(data.size, dtype=bool)
    first[1:] = (cls[1:] != cls[:-1]) | (row_of[1:] != row_of[:-1])
    starts = np.flatnonzero(first)
    seg_len = np.diff(np.append(starts, data.size))
    seg_row, seg_cls = row_of[starts], cls[starts]
    seg_id = np.cumsum(first) - 1
    position = np.arange(data.size) - starts[seg_id]
    byte_hash = _polynomial(data.astype(np.uint64) + np.uint64(1), position, starts)
    length_slot = np.minimum(seg_len, MAX_LENGTH)
    key = (seg_cls * (MAX_LENGTH + 1) + length_slot).astype(np.uint64)
    seg_hash = byte_hash * GRAM_STEP + key  # the same bytes in another class/length differ
    # structure: the sequence of (class, length) tokens, as a polynomial over its segments
    row_first = np.ones(starts.size, dtype=bool)
    row_first[1:] = seg_row[1:] != seg_row[:-1]
    row_starts = np.flatnonzero(row_first)
    seg_index = np.arange(starts.size) - row_starts[np.cumsum(row_first) - 1]
    structure = np.zeros(n, dtype=np.uint64)
    if starts.size:
        structure[seg_row[row_starts]] = _polynomial(key + np.uint64(1), seg_index, row_starts)
    return {
        "row": seg_row,
        "cls": seg_cls,
        "length": length_slot,
        "hash": seg_hash,
        "structure": structure + _STRUCTURE_SALT,
    }


class PcfgScores(TwoPaths, TransformerMixin, BaseEstimator):
    """log10 P(password) under the grammar, of its structure alone and of each class's
    segments (FEATURES). Fit with `fit_counts` (rows the regressor does not train on, or it
    scores them leave-one-out); `fit` only checks it.

    The fitted tables hold logarithms, not counts: log10(count + 1) per segment bucket,
    log10 of the smoothed denominator per (class, length), log10 P per structure bucket, so
    scoring is table lookups and sums."""

    def __init__(self, bits: int = 22):
        self.bits = bits

    def fit_counts(self, passwords, chunk: int = 500_000) -> PcfgScores:
        arr = as_arrow(passwords)
        seg_size, struct_size = 1 << self.bits, 1 << (self.bits - 2)
        counts = np.zeros(seg_size, dtype=np.int64)
        structures = np.zeros(struct_size, dtype=np.int64)
        totals = np.zeros((3, MAX_LENGTH + 1), dtype=np.int64)
        for start in range(0, len(arr), chunk):
            seg = segments(arr.slice(start, chunk))
            counts += np.bincount(_bucket(seg["hash"], self.bits), minlength=seg_size)
            structures += np.bincount(
                _bucket(seg["structure"], self.bits - 2), minlength=struct_size
            )
            slot = seg["cls"] * (MAX_LENGTH + 1) + seg["length"]
            totals += np.bincount(slot, minlength=totals.size).reshape(totals.shape)
        self.segment_log_counts_ = numerics.log10(counts + 1.0).astype(np.float32)
        # log10(total + ALPHABET^length): the power kept as a log (52^128 overflows nothing)
        log_v = np.arange(MAX_LENGTH + 1) * numerics.log10(ALPHABET)[:, None]
        log_total = numerics.log10(np.maximum(totals, 1e-300))  # none seen: ~ -300
        self.log_denominators_ = np.maximum(log_v, log_total) + numerics.log10(
            1.0 + numerics.exp10(-np.abs(log_v - log_total))
        )
        seen = float(len(arr) + np.count_nonzero(structures) + 1)
        self.structure_log_probs_ = (
            numerics.log10(structures + 1.0) - numerics.log10(seen)
        ).astype(np.float32)
        self.structure_total_ = seen
        return self

    def fit(self, X, y=None):  # noqa: N803 - sklearn's signature
        if not hasattr(self, "segment_log_counts_"):
            raise ValueError("PcfgScores needs fit_counts(...) on its own rows before fit")
        return self

    def many(self, X):  # noqa: N803
        """The features of an Arrow array's rows, each left out of the counts inside
        `leaving_one_out` (pwc.features.leave_one_out)."""
        leave_one_out = getattr(self, "_leave_one_out", False)
        seg = segments(X)
        n = seg["structure"].size
        buckets = _bucket(seg["hash"], self.bits)
        seg_logp = self.segment_log_counts_[buckets].astype(np.float64)
        denominator = self.log_denominators_[seg["cls"], seg["length"]]
        structure = self.structure_log_probs_[_bucket(seg["structure"], self.bits - 2)]
        structure = structure.astype(np.float64)
        if leave_one_out:  # each password as if never counted (pwc.features.leave_one_out)
            row = seg["row"]
            slot = seg["cls"] * (MAX_LENGTH + 1) + seg["length"]
            # log10(count + 1 - own): the tables hold log10(count + 1)
            seg_logp = numerics.log10(
                np.maximum(
                    np.rint(numerics.exp10(seg_logp)) - per_row_multiplicity(row, buckets), 1.0
                )
            )
            denominator = numerics.log10(
                numerics.exp10(denominator) - per_row_multiplicity(row, slot)
            )
            # log10(count + 1) - log10(passwords + structures seen + 1), one password fewer
            # and, when it alone had its structure, one structure fewer
            total = self.structure_total_
            count = np.rint(numerics.exp10(structure + numerics.log10(total)))  # count + 1
            fewer = total - 1.0 - (count <= 2.0)
            structure = numerics.log10(np.maximum(count - 1.0, 1.0)) - numerics.log10(fewer)
        seg_logp -= denominator
        per_row = _row_sums(seg_logp, seg["row"], n)
        in_class = [seg["cls"] == c for c in (LETTER, DIGIT, OTHER)]
        per_class = [_row_sums(seg_logp[m], seg["row"][m], n) for m in in_class]
        return np.column_stack([per_row + structure, structure, *per_class]).astype(np.float32)

    def few(self, passwords: list[str]) -> np.ndarray:
        """`transform` one password at a time in Python (for a password or two it beats
        numpy's per-call costs): the same hashes in Python integers mod 2^64, the same
        float64 sums in the same order (tested equal)."""
        out = []
        for password in passwords:
            total, structure, per_class = 0.0, 0, [0.0, 0.0, 0.0]
            for index, (cls, run) in enumerate(_runs(password.encode())):
                length = min(len(run), MAX_LENGTH)
                key = cls * (MAX_LENGTH + 1) + length
                h = 0
                for position, byte in enumerate(run):
                    h = (h + (byte + 1) * _POWER_LIST[min(position, MAX_LENGTH)]) & _MASK
                h = (h * _STEP + key) & _MASK
                log_count = float(self.segment_log_counts_[_bucket_int(h, self.bits)])
                logp = log_count - float(self.log_denominators_[cls, length])
                total += logp
                per_class[cls] += logp
                structure = (structure + (key + 1) * _POWER_LIST[min(index, MAX_LENGTH)]) & _MASK
            structure = (structure + _SALT) & _MASK
            s = float(self.structure_log_probs_[_bucket_int(structure, self.bits - 2)])
            out.append((total + s, s, *per_class))
        return np.asarray(out, dtype=np.float32).reshape(len(passwords), len(FEATURES))

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"pcfg_{f}" for f in FEATURES], dtype=object)


def _row_sums(values: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Each row's sum of `values` (rows ascending), added in order as the one-password path
    adds them; 0 for rows with none."""
    out = np.zeros(n)
    if values.size:
        group = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
        out[rows[group]] = np.add.reduceat(values, group)
    return out


# The hash constants as Python integers, for the one-password path.
_MASK, _STEP, _FIB, _SALT = MASK64, GRAM_STEP_INT, FIBONACCI_INT, int(_STRUCTURE_SALT)
_POWER_LIST = [int(p) for p in _POWERS]
_CLASS_LIST = _CLASS.tolist()


def _bucket_int(h: int, bits: int) -> int:
    return ((h * _FIB) & _MASK) >> (64 - bits)


def _runs(raw: bytes) -> list[tuple[int, bytes]]:
    """(class, bytes) of each class run, in order."""
    runs: list[tuple[int, bytes]] = []
    start = 0
    for i in range(1, len(raw) + 1):
        if i == len(raw) or _CLASS_LIST[raw[i]] != _CLASS_LIST[raw[start]]:
            runs.append((_CLASS_LIST[raw[start]], raw[start:i]))
            start = i
    return runs
