"""Character Markov models (interpolated Witten-Bell) as features, vectorised with numpy.

A password's log-probability under a byte n-gram model of leaked passwords is the classic
guessability signal (Markov-based password crackers enumerate in exactly this order). The
count tables are hashed into 2**bits buckets per order, so the model is a few fixed-size
arrays, no dict of n-grams.

    P_k(c | h) = (C(h c) + T(h) * P_{k-1}(c | h')) / (C(h) + T(h))

with C the (weighted) counts, T(h) the number of distinct bytes seen after h, h' the
context shortened by one byte, and P_0 uniform over 256 bytes. A password is scored as
START, its bytes, END: the END probability says how often passwords stop there. Rows the
tables counted are scored leave-one-out (pwc.features.leave_one_out), as honestly as new passwords.
"""

from __future__ import annotations

import weakref

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from pwc import numerics
from pwc.counting.hashing import FIBONACCI, FIBONACCI_INT, GRAM_STEP_INT, MASK64, ngram_windows
from pwc.counting.sorted_counts import add_counts, merged_distinct
from pwc.features.leave_one_out import lost_per_group, per_row_multiplicity
from pwc.features.paths import TwoPaths
from pwc.text import END, START, as_arrow, padded_bytes

# log10 P, per symbol, the least likely symbol's surprisal; log10 P under the model cut at
# SHORT_ORDER (what the long contexts add); the share of symbols whose longest n-gram was
# never counted (novelty)
FEATURES = (
    "log10_prob",
    "log10_prob_per_byte",
    "max_surprisal",
    "short_log10_prob",
    "unseen_share",
)
SHORT_ORDER = 3


_MASK, _STEP, _FIB = MASK64, GRAM_STEP_INT, FIBONACCI_INT
_FLOAT32_EXACT = float(1 << 24)  # every integer below it is a float32


def _bucket(h: np.ndarray, salt: np.uint64, bits: int) -> np.ndarray:
    return (((h + salt) * FIBONACCI) >> np.uint64(64 - bits)).astype(np.int64)


_VIEWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _table_views(markov: MarkovScores) -> tuple[list[memoryview], list[memoryview]]:
    """Each order's row of the count and distinct tables as a memoryview, whose items are
    Python numbers (a numpy element read costs several times more). Kept beside the model,
    not in it: the model file holds only the tables."""
    views = _VIEWS.get(markov)
    if views is None:
        views = _VIEWS[markov] = (
            [memoryview(np.ascontiguousarray(row)) for row in markov.gram_counts_],
            [memoryview(np.ascontiguousarray(row)) for row in markov.distinct_],
        )
    return views


class MarkovScores(TwoPaths, TransformerMixin, BaseEstimator):
    """log10 P(password) and friends under a hashed byte n-gram model of `order`.

    Two tables per order: n-gram counts (float32; the (k-1)-gram counts are order k's
    context counts) and distinct continuations per context (uint8, capped at 255: at most
    256 bytes can follow). Fit with `fit_counts` (rows the regressor does not train on, or it
    scores them leave-one-out); `fit` only checks that has happened, so the model can sit
    inside a Pipeline that is fitted later.
    """

    def __init__(self, order: int = 5, bits: int | tuple[int, ...] = 21):
        self.order = order
        self.bits = bits

    def order_bits(self) -> list[int]:
        """Each order's table size (2**bits buckets): `bits` for all, or one per order. Low
        orders have few distinct n-grams (257 bytes at order 1) and high orders the most, so
        per-order sizes put the memory where the collisions are."""
        if isinstance(self.bits, int):
            return [self.bits] * self.order
        if len(self.bits) != self.order:
            raise ValueError(f"bits lists {len(self.bits)} orders, the model has {self.order}")
        return [int(b) for b in self.bits]

    def fit_counts(
        self, passwords, weights: np.ndarray | None = None, chunk: int = 250_000
    ) -> MarkovScores:
        """Count n-grams chunk by chunk: the tables are the only large arrays kept, so the
        peak memory does not grow with the number of passwords counted."""
        arr = as_arrow(passwords)
        bits = self.order_bits()
        grams = [np.zeros(1 << b, dtype=np.float32) for b in bits]
        pairs: list[np.ndarray] = [np.zeros(0, np.int64) for _ in range(self.order)]
        self.total_, seen_bytes = 0.0, np.zeros(256, dtype=bool)
        for start in range(0, len(arr), chunk):
            data, offsets = padded_bytes(arr.slice(start, chunk))
            w = None
            if weights is not None:
                part = np.asarray(weights[start : start + chunk], np.float64)
                w = np.repeat(part, np.diff(offsets))
            for k, predicted, inside, gram, context in ngram_windows(data, offsets, self.order):
                # order 1 also counts START, the context of every password's first byte
                counted = inside if k == 1 else inside & predicted
                g = _bucket(gram[counted], np.uint64(k), bits[k - 1])
                if w is None:
                    add_counts(grams[k - 1], g)
                else:
                    grams[k - 1] += np.bincount(g, w[counted], 1 << bits[k - 1])
                used = inside & predicted
                if k == 1:  # the empty context: every predicted symbol
                    self.total_ += float(used.sum() if w is None else w[used].sum())
                    seen_bytes[data[used]] = True
                    continue
                g = _bucket(gram[used], np.uint64(k), bits[k - 1])
                c = _bucket(context[used], np.uint64(k - 1), bits[k - 2])
                # distinct (context, n-gram) bucket pairs, merged across chunks
                pairs[k - 1] = merged_distinct(pairs[k - 1], (c << bits[k - 1]) | g)
        self.distinct_empty_ = int(seen_bytes.sum())
        per_context = [  # order k's contexts are order k-1's n-grams: its table's size
            np.minimum(np.bincount(p >> b, minlength=1 << below), 255).astype(np.uint8)
            for p, b, below in zip(pairs[1:], bits[1:], bits[:-1], strict=True)
        ]
        if len(set(bits)) == 1:  # one size: one array per table (the default's file format)
            self.gram_counts_ = np.stack(grams)
            self.distinct_ = (
                np.stack(per_context) if per_context else np.zeros((0, 1 << bits[0]), np.uint8)
            )
        else:
            self.gram_counts_, self.distinct_ = grams, per_context
        return self

    def fit(self, X, y=None):  # noqa: N803 - sklearn's signature
        if not hasattr(self, "gram_counts_"):
            raise ValueError("MarkovScores needs fit_counts(...) on its own rows before fit")
        return self

    def symbol_scores(self, passwords, leave_one_out: bool = False) -> dict[str, np.ndarray]:
        """Per predicted byte: log10 P (`log10_prob`), its password (`row`), log10 P under
        the model cut at SHORT_ORDER (`short_log10_prob`) and whether its longest n-gram
        inside the password was never counted (`unseen`).

        `leave_one_out`: each password scored as if it had not been counted — its own
        n-grams taken out of the counts it reads (and out of the distinct continuations
        where it was their only source). For training rows that the tables counted once
        each: their scores are then as honest as a new password's (exact but for hash
        collisions), so every train row can be counted and still be learned from."""
        data, offsets = padded_bytes(passwords)
        prob = np.full(data.size, 1.0 / 256.0)
        predicted, bits = None, self.order_bits()
        row = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
        own_below = None  # leave_one_out: the password's own count of each (k-1)-gram bucket
        top_count = np.zeros(data.size, dtype=np.float32)  # of the longest n-gram so far
        short = prob
        for k, predicted, inside, gram, context in ngram_windows(data, offsets, self.order):
            valid = np.flatnonzero(inside & predicted)  # indices: faster than a mask, reused
            g = _bucket(gram[valid], np.uint64(k), bits[k - 1])
            count = self.gram_counts_[k - 1][g]
            c = None
            if k == 1:
                seen, distinct = self.total_, float(self.distinct_empty_)
            else:
                c = _bucket(context[valid], np.uint64(k - 1), bits[k - 2])
                seen = self.gram_counts_[k - 2][c]
                distinct = self.distinct_[k - 2][c].astype(np.float32)
            if leave_one_out:
                at = (k, gram, inside, valid, row, offsets.size - 1)
                count, seen, distinct, own_below = self._left_out(
                    at, (g, c), (count, seen, distinct), own_below
                )
            lower = prob[valid]
            with np.errstate(invalid="ignore", divide="ignore"):
                mixed = (count + distinct * lower) / (seen + distinct)
            # an unseen context (or one only a hash collision filled) keeps the lower order
            usable = (np.asarray(seen) > 0) & (np.asarray(distinct) > 0)
            prob[valid] = np.minimum(np.where(usable, mixed, lower), 1.0)
            top_count[valid] = count
            if k == min(SHORT_ORDER, self.order):
                short = prob.copy()
        return {
            "log10_prob": numerics.log10(prob[predicted]),
            "row": row[predicted],
            "short_log10_prob": numerics.log10(short[predicted]),
            "unseen": top_count[predicted] <= 0,
        }

    def _left_out(self, at, buckets, counts, own_below):
        """`symbol_scores`' counts at order k with each password's own n-grams taken out:
        (count, seen, distinct, own), `own` the password's count of each bucket (the next
        order's context counts). `at`: (k, gram, inside, valid, row, rows); `buckets`: the
        valid positions' n-gram and context buckets; `counts`: (count, seen, distinct)."""
        k, gram, inside, valid, row, rows = at
        g, c = buckets
        count, seen, distinct = counts
        own = np.zeros(row.size, dtype=np.float32)
        if k == 1:  # fit_counts counts order 1 at START too: every inside position
            g1 = _bucket(gram[inside], np.uint64(k), self.order_bits()[k - 1])
            own[inside] = per_row_multiplicity(row[inside], g1)
        else:  # the positions counted are the valid ones, hashed in symbol_scores
            own[valid] = per_row_multiplicity(row[valid], g)
        count = count - own[valid]
        gone = count <= 0  # n-grams only this password had
        if k == 1:
            symbols = np.bincount(row[valid], minlength=rows)
            seen = (self.total_ - symbols[row[valid]]).astype(np.float64)
            lost = lost_per_group(row[valid], np.zeros(g.size, np.int64), g, gone)
            distinct = float(self.distinct_empty_) - lost
        else:
            # the context is the (k-1)-gram ending one byte earlier
            seen = seen - own_below[valid - 1]
            distinct = distinct - lost_per_group(row[valid], c, g, gone)
        return count, seen, distinct, own

    def few(self, passwords: list[str]) -> np.ndarray:
        """`transform` one password at a time in plain Python (for a password or two it
        beats numpy's per-call costs): the same hashes in Python integers mod 2^64, the same
        float32/float64 arithmetic in the same order (tested equal)."""
        counts, distincts = _table_views(self)
        shifts, empty = [64 - b for b in self.order_bits()], float(self.distinct_empty_)
        out = []
        for password in passwords:
            values = [START + 1, *(b + 1 for b in password.encode()), END + 1]
            grams = [0] * len(values)  # order k's n-gram ending at each position
            prob = [1.0 / 256.0] * len(values)
            top = [0.0] * len(values)  # count of the longest n-gram ending at each position
            short = prob
            for k in range(1, self.order + 1):
                context = [0, *grams[:-1]]  # the (k-1)-gram ending at the previous position
                grams = [
                    (g * _STEP + (values[p - k + 1] if p >= k - 1 else 0)) & _MASK
                    for p, g in enumerate(grams)
                ]
                here, shift = counts[k - 1], shifts[k - 1]
                if k > 1:
                    below, below_distinct = counts[k - 2], distincts[k - 2]
                    below_shift = shifts[k - 2]
                for p in range(max(1, k - 1), len(values)):  # predicted and inside
                    # `_bucket` in Python integers, inlined: this loop is most of its time
                    count = here[(((grams[p] + k) & _MASK) * _FIB & _MASK) >> shift]
                    if k == 1:
                        seen, distinct = self.total_, empty
                        denominator = seen + distinct
                    else:
                        c = (((context[p] + k - 1) & _MASK) * _FIB & _MASK) >> below_shift
                        seen = below[c]
                        distinct = float(below_distinct[c])
                        # float32's sum: the exact sum rounded once, a no-op (skipped: a numpy
                        # scalar call each) for integers below 2^24, all float32 holds
                        total = seen + distinct
                        if total < _FLOAT32_EXACT and total.is_integer():
                            denominator = total
                        else:
                            denominator = float(np.float32(total))
                    if seen > 0 and distinct > 0:
                        prob[p] = min((count + distinct * prob[p]) / denominator, 1.0)
                    top[p] = count
                if k == min(SHORT_ORDER, self.order):
                    short = list(prob)
            # log10 of each, summed left to right and the least: what reduceat does per row
            logp = numerics.log10_floats(prob[1:])
            total = numerics.sum_in_order(logp)
            short_total = numerics.sum_in_order(numerics.log10_floats(short[1:]))
            unseen = sum(1 for count in top[1:] if count <= 0) / len(logp)
            out.append((total, total / len(logp), -min(logp), short_total, unseen))
        return np.asarray(out, dtype=np.float32).reshape(len(passwords), len(FEATURES))

    def many(self, X):  # noqa: N803
        """The features of an Arrow array's rows, each left out of the counts inside
        `leaving_one_out` (pwc.features.leave_one_out)."""
        leave_one_out = getattr(self, "_leave_one_out", False)
        scored = self.symbol_scores(X, leave_one_out)
        logp, rows = scored["log10_prob"], scored["row"]
        n = len(X)
        if n == 0:
            return np.zeros((0, len(FEATURES)), dtype=np.float32)
        symbols = np.bincount(rows, minlength=n)  # bytes + END: at least 1 per password
        starts = np.concatenate(([0], np.cumsum(symbols)[:-1]))
        total = np.add.reduceat(logp, starts)
        worst = np.minimum.reduceat(logp, starts)
        short = np.add.reduceat(scored["short_log10_prob"], starts)
        unseen = np.bincount(rows, weights=scored["unseen"], minlength=n) / symbols
        columns = [total, total / symbols, -worst, short, unseen]
        return np.column_stack(columns).astype(np.float32)

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"markov{self.order}_{f}" for f in FEATURES], dtype=object)
