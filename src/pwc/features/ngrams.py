"""Hashed character n-grams computed with numpy over Arrow's UTF-8 buffer.

sklearn's HashingVectorizer walks every password in Python and was two thirds of scoring
time. Here every n-gram of every password is hashed at once: the bytes of a batch are laid
out with a start and an end marker per password, n-gram hashes are built by a rolling
multiply-add over shifted views, and the CSR matrix is assembled directly (rows are already
contiguous, so no sort).

Two deliberate differences from TF-IDF in sklearn, both the same at training and serving
because this one class does both: n-grams are over UTF-8 bytes (not characters), and a
repeated n-gram counts once per occurrence (raw tf; the row norm sums over occurrences).
"""

from __future__ import annotations

import math
import weakref

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from pwc import numerics
from pwc.counting.hashing import FIBONACCI, FIBONACCI_INT, GRAM_STEP, GRAM_STEP_INT, MASK64
from pwc.features.paths import TwoPaths
from pwc.text import END, START, as_arrow, padded_bytes

_MASK, _STEP, _FIB = MASK64, GRAM_STEP_INT, FIBONACCI_INT


def ngram_hashes(passwords, n_max: int, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Column index (in [0, 2**bits)) of every n-gram, n = 1..n_max, grouped by password.

    Returns (columns, indptr): the n-grams of row i are columns[indptr[i]:indptr[i + 1]].
    """
    data, offsets = padded_bytes(passwords)
    size = data.size
    row_end = np.repeat(offsets[1:], np.diff(offsets))  # end of the row each byte is in
    position = np.arange(size, dtype=np.int64)
    hashes = np.empty((size, n_max), dtype=np.uint64)
    valid = np.empty((size, n_max), dtype=bool)
    rolling = np.zeros(size, dtype=np.uint64)
    for n in range(1, n_max + 1):
        nxt = np.zeros(size, dtype=np.uint64)
        nxt[: max(size - n + 1, 0)] = data[n - 1 :]
        rolling = rolling * GRAM_STEP + nxt + np.uint64(1)
        # the order is mixed in so "ab" and the bigram-hash of other orders differ
        hashes[:, n - 1] = ((rolling + np.uint64(n)) * FIBONACCI) >> np.uint64(64 - bits)
        valid[:, n - 1] = position + n <= row_end
    # C order walks position by position, so each row's n-grams are contiguous
    columns = hashes[valid].astype(np.int32)
    per_byte = valid.sum(axis=1)
    csum = np.concatenate(([0], np.cumsum(per_byte, dtype=np.int64)))
    return columns, csum[offsets]


class HashedNgrams(TwoPaths, TransformerMixin, BaseEstimator):
    """Byte n-grams 1..n_max hashed into 2**bits columns, IDF-weighted, rows L2-normalised."""

    def __init__(self, n_max: int = 4, bits: int = 20):
        self.n_max = n_max
        self.bits = bits

    def fit(self, X, y=None, chunk: int = 250_000):  # noqa: N803 - sklearn's signature
        # document frequency: each (row, column) pair once, a chunk of rows at a time (rows
        # are whole in a chunk, so the sum is the same; one pass over every row held all
        # their pairs at once). Sort + compare: numpy 2's np.unique is ~100x slower here.
        df = np.zeros(1 << self.bits, dtype=np.int64)
        for start in range(0, len(X), chunk):
            columns, indptr = ngram_hashes(X[start : start + chunk], self.n_max, self.bits)
            rows = np.repeat(np.arange(indptr.size - 1, dtype=np.int64), np.diff(indptr))
            pairs = np.sort((rows << np.int64(self.bits)) | columns)
            pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
            df += np.bincount(pairs & ((1 << self.bits) - 1), minlength=1 << self.bits)
        n_docs = len(X)
        self.idf_ = (numerics.log((1 + n_docs) / (1 + df)) + 1).astype(np.float32)
        self.n_features_out_ = 1 << self.bits
        return self

    def transform(self, X):  # noqa: N803 - sklearn's signature
        # always `many`: its CSR keeps a row's repeated n-grams apart, and the linear model's
        # sparse product adds them in that order (pwc.model.infer reads `few_rows` itself)
        return self.many(as_arrow(X))

    def many(self, X):  # noqa: N803
        """The TF-IDF rows of an Arrow array's passwords, a CSR matrix."""
        columns, indptr = ngram_hashes(X, self.n_max, self.bits)
        values = self.idf_[columns]
        rows = np.diff(indptr)
        # each row's squares summed on their own, left to right (as few_rows does): a running
        # sum over the batch, differenced, made a row's last bits depend on the rows before it
        norms = np.zeros(rows.size)
        filled = rows > 0
        squares = np.square(values.astype(np.float64))
        if squares.size:
            norms[filled] = np.sqrt(np.add.reduceat(squares, indptr[:-1][filled]))
        values /= np.repeat(np.maximum(norms, 1e-12), rows).astype(np.float32)
        shape = (indptr.size - 1, self.n_features_out_)
        return sp.csr_matrix((values, columns, indptr), shape=shape)

    def few(self, passwords: list[str]) -> sp.csr_matrix:
        """`many` for a password or two: `few_rows` as a CSR matrix."""
        rows = self.few_rows(passwords)
        indptr = np.cumsum([0, *(len(r) for r in rows)])
        columns = np.array([c for r in rows for c, _ in r], dtype=np.int64)
        values = np.array([v for r in rows for _, v in r], dtype=np.float32)
        shape = (len(rows), self.n_features_out_)
        return sp.csr_matrix((values, columns, indptr), shape=shape)

    def few_rows(self, passwords: list[str]) -> list[list[tuple[int, float]]]:
        """`transform`'s rows for a password or two, in plain Python: each row's (column,
        value) pairs in column order with repeated n-grams summed, which is the CSR after
        `sum_duplicates`, without building one (for one password, numpy's and scipy's
        per-call costs were most of its n-gram time). The same float32 numbers (tested):
        the same hashes mod 2^64, float64 squares summed left to right, float32 division."""
        shift = 64 - self.bits
        idf = _idf_view(self)
        out = []
        for password in passwords:
            row = [START, *password.encode(), END]
            columns = []
            for i in range(len(row)):
                rolling = 0
                for n in range(1, min(self.n_max, len(row) - i) + 1):
                    rolling = (rolling * _STEP + row[i + n - 1] + 1) & _MASK
                    columns.append((((rolling + n) & _MASK) * _FIB & _MASK) >> shift)
            squares = 0.0
            for c in columns:
                squares += idf[c] * idf[c]
            norm = _f32(max(math.sqrt(squares), 1e-12))
            counts: dict[int, int] = {}
            for c in columns:
                counts[c] = counts.get(c, 0) + 1
            ordered = sorted(counts)
            # float32 quotients, rounded by one numpy call rather than a call each
            values = np.array([idf[c] / norm for c in ordered], dtype=np.float32).tolist()
            pairs = []
            for c, value in zip(ordered, values, strict=True):
                total = value
                for _ in range(counts[c] - 1):  # duplicates summed in float32
                    total = _f32(total + value)
                pairs.append((c, total))
            out.append(pairs)
        return out

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"ngram{i}" for i in range(self.n_features_out_)], dtype=object)


_IDF: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _idf_view(ngrams: HashedNgrams) -> memoryview:
    """The IDF weights as a memoryview (items are Python floats), kept beside the model."""
    view = _IDF.get(ngrams)
    if view is None:
        view = _IDF[ngrams] = memoryview(np.ascontiguousarray(ngrams.idf_))
    return view


def _f32(value: float) -> float:
    """`value` rounded to float32, as a Python float."""
    return float(np.float32(value))
