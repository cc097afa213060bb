"""Character Markov models (interpolated Witten-Bell) as features, vectorised with numpy.

A password's log-probability under a byte n-gram model of leaked passwords is the classic
guessability signal (Markov-based password crackers enumerate in exactly this order). The
count tables are hashed into 2**bits buckets per order, so the model is a few fixed-size
arrays: no dict of n-grams, no per-password Python loop.

    P_k(c | h) = (C(h c) + T(h) * P_{k-1}(c | h')) / (C(h) + T(h))

with C the (weighted) counts, T(h) the number of distinct bytes seen after h, h' the
context shortened by one byte, and P_0 uniform over 256 bytes. A password is scored as
START, its bytes, END: the END probability says how often passwords stop there.

The model is fitted on training rows disjoint from the regressor's (see model.train), so the
regressor sees scores as honest on its own rows as on new passwords.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from pwc.ngrams import padded_bytes

_MULT = np.uint64(0x9E3779B97F4A7C15)
_STEP = np.uint64(0x100000001B3)
_CONTEXT_SALT = np.uint64(0x5BD1E995)
FEATURES = ("log10_prob", "log10_prob_per_byte", "max_surprisal")


def _bucket(h: np.ndarray, salt: np.uint64, bits: int) -> np.ndarray:
    return (((h + salt) * _MULT) >> np.uint64(64 - bits)).astype(np.int64)


def _windows(data: np.ndarray, offsets: np.ndarray, order: int):
    """For each order k = 1..order: (valid, n-gram hash, context hash) at every predicted
    position p (every byte but START). The n-gram is data[p-k+1 .. p], its context the same
    window without p; a window that would cross the password's start is not valid."""
    size = data.size
    row_start = np.repeat(offsets[:-1], np.diff(offsets))
    position = np.arange(size, dtype=np.int64)
    predicted = position != row_start  # START is given, never predicted
    values = data.astype(np.uint64) + np.uint64(1)
    gram = np.zeros(size, dtype=np.uint64)  # hash of data[p-k+1 .. p], grown leftward
    for k in range(1, order + 1):
        context = np.zeros(size, dtype=np.uint64)
        context[1:] = gram[:-1]  # window of k-1 bytes ending at p-1
        shifted = np.zeros(size, dtype=np.uint64)
        shifted[k - 1 :] = values[: max(size - k + 1, 0)]
        gram = gram * _STEP + shifted
        valid = predicted & (position - k + 1 >= row_start)
        yield k, valid, gram, context


class MarkovScores(TransformerMixin, BaseEstimator):
    """log10 P(password) and friends under a hashed byte n-gram model of `order`.

    Fit with `fit_counts` (on rows the downstream regressor does not train on); `fit` only
    checks that has happened, so the model can sit inside a Pipeline that is fitted later.
    """

    def __init__(self, order: int = 5, bits: int = 21):
        self.order = order
        self.bits = bits

    def fit_counts(self, passwords, weights: np.ndarray | None = None) -> MarkovScores:
        data, offsets = padded_bytes(passwords)
        per_row = np.diff(offsets)
        w = np.ones(per_row.size) if weights is None else np.asarray(weights, np.float64)
        w_byte = np.repeat(w, per_row)
        size = 1 << self.bits
        grams, contexts, distinct = [], [], []
        for k, valid, gram, context in _windows(data, offsets, self.order):
            g = _bucket(gram[valid], np.uint64(k), self.bits)
            c = _bucket(context[valid], _CONTEXT_SALT + np.uint64(k), self.bits)
            grams.append(np.bincount(g, weights=w_byte[valid], minlength=size))
            contexts.append(np.bincount(c, weights=w_byte[valid], minlength=size))
            # T(h): distinct (context, n-gram) bucket pairs per context
            pairs = np.sort((c << np.int64(self.bits)) | g)
            first = np.concatenate(([True], pairs[1:] != pairs[:-1])) if pairs.size else pairs
            distinct.append(np.bincount(pairs[first] >> np.int64(self.bits), minlength=size))
        self.gram_counts_ = np.stack(grams).astype(np.float32)
        self.context_counts_ = np.stack(contexts).astype(np.float32)
        self.distinct_ = np.stack(distinct).astype(np.float32)
        return self

    def fit(self, X, y=None):  # noqa: N803 - sklearn's signature
        if not hasattr(self, "gram_counts_"):
            raise ValueError("MarkovScores needs fit_counts(...) on its own rows before fit")
        return self

    def log10_probs(self, passwords) -> tuple[np.ndarray, np.ndarray]:
        """(log10 P of every predicted byte, index of its password)."""
        data, offsets = padded_bytes(passwords)
        prob = np.full(data.size, 1.0 / 256.0)
        predicted = None
        for k, valid, gram, context in _windows(data, offsets, self.order):
            predicted = valid if k == 1 else predicted
            g = _bucket(gram[valid], np.uint64(k), self.bits)
            c = _bucket(context[valid], _CONTEXT_SALT + np.uint64(k), self.bits)
            count = self.gram_counts_[k - 1][g]
            seen = self.context_counts_[k - 1][c]
            distinct = self.distinct_[k - 1][c]
            lower = prob[valid]
            with np.errstate(invalid="ignore", divide="ignore"):
                mixed = (count + distinct * lower) / (seen + distinct)
            prob[valid] = np.where(seen > 0, mixed, lower)
        rows = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
        return np.log10(prob[predicted]), rows[predicted]

    def transform(self, X):  # noqa: N803
        logp, rows = self.log10_probs(X)
        n = len(X)
        if n == 0:
            return np.zeros((0, len(FEATURES)), dtype=np.float32)
        symbols = np.bincount(rows, minlength=n)  # bytes + END: at least 1 per password
        starts = np.concatenate(([0], np.cumsum(symbols)[:-1]))
        total = np.add.reduceat(logp, starts)
        worst = np.minimum.reduceat(logp, starts)
        return np.column_stack([total, total / symbols, -worst]).astype(np.float32)

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"markov{self.order}_{f}" for f in FEATURES], dtype=object)
