"""The estimators the learners share: `Calibrated` (a monotone map back to the natural mix)
and `Stacked` (a linear model, then boosted trees over its score and the dense columns).
Each learner's Pipeline is built in its own module (pwc.model.learners)."""

from __future__ import annotations

import logging
import time

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.isotonic import IsotonicRegression

from pwc.model.fast_predict import boosted, forget_thread_count, joined, midpoints

log = logging.getLogger("pwc.model.train")  # the train stage's log lines, as before

# Past the first and last steps' midpoints the map is flat: a tiny share of the raw score
# keeps the order strict there too.
_TIE_BREAK = 1e-6


class Calibrated(RegressorMixin, BaseEstimator):
    """A regressor followed by a monotone map back to the natural mix.

    Training rows are drawn toward the head (log-rank sampling ranks the head better), which
    shifts raw predictions low. An isotonic map, fitted on the training rows weighted by the
    inverse of their chance of being drawn, restores the natural scale (RMSE) without changing
    the order (Spearman, AUC); the head keeps its own points, so `123456` stays near rank 1.
    The map answers with the isotonic steps' midpoints joined by straight lines
    (`midpoints_`): the same quality on validation, and no flat steps.
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y):  # noqa: N803 - sklearn's signature
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.calibrator_ = self.midpoints_ = None
        return self

    def calibrate(self, raw: np.ndarray, y, sample_weight=None):
        """The isotonic map from the estimator's predictions `raw` on rows to their `y`."""
        iso = IsotonicRegression(out_of_bounds="clip")
        self.calibrator_ = iso.fit(raw, y, sample_weight=sample_weight)
        self.midpoints_ = midpoints(iso)
        return self

    def predict(self, X):  # noqa: N803
        return self.calibrated(self.estimator_.predict(X))

    def calibrated(self, raw: np.ndarray) -> np.ndarray:
        """The calibrated answer for raw predictions: what `predict` returns."""
        if self.calibrator_ is None:
            return raw
        return joined(self, self.midpoints_, raw) + _TIE_BREAK * raw


class Stacked(RegressorMixin, BaseEstimator):
    """A linear model over every column, then (optionally) gradient-boosted trees over its
    score and the dense columns (hand + Markov features), which start at `dense_from`.

    The trees are fitted on rows the linear model never saw (`fit_booster`), so they learn how
    far to trust its score on new passwords rather than on memorised ones.
    """

    def __init__(self, linear=None, booster=None, dense_from: int = 0):
        self.linear = linear
        self.booster = booster
        self.dense_from = dense_from

    def fit(self, X, y):  # noqa: N803 - sklearn's signature
        self.linear_ = clone(self.linear).fit(X, y)
        self.booster_ = None
        return self

    def stack(self, X):  # noqa: N803
        """The trees' input: the linear model's score, then the dense columns."""
        dense = X[:, self.dense_from :]
        dense = dense.toarray() if hasattr(dense, "toarray") else np.asarray(dense)
        return np.column_stack([self.linear_.predict(X), dense])

    def fit_booster(self, stacked: np.ndarray, y, sample_weight=None):
        """The trees on `stack(X)` of their rows (pwc.model.train stacks a chunk at a time)."""
        self.booster_ = clone(self.booster).fit(stacked, y, sample_weight=sample_weight)
        forget_thread_count(self.booster_)  # the same file on any core count
        return self

    def predict(self, X):  # noqa: N803
        if self.booster_ is None:
            return self.linear_.predict(X)
        return self.booster_.predict(self.stack(X))

    def predict_blocks(
        self,
        sparse: sp.csr_matrix,
        dense: np.ndarray,
        copy: bool = True,
        n_threads: int | None = None,
    ) -> np.ndarray:
        """`predict` of hstack([sparse, dense]) (dense from `dense_from`), computed without
        stacking them, and exactly equal (tested): the same float32 operations in the same
        order as scipy's CSR product on the stacked matrix. `copy=False`: `sparse` may be
        put in canonical form in place (a caller's own temporary). `n_threads`: the trees'
        OpenMP threads (None: sklearn's choice)."""
        coef = self.linear_.coef_
        if copy:
            sparse = sparse.copy()
        sparse.sum_duplicates()  # sorted columns, duplicates summed: what hstack produced
        score = sparse @ coef[: self.dense_from]
        for j in range(dense.shape[1]):  # scipy adds the row's columns left to right
            score += dense[:, j] * coef[self.dense_from + j]
        return self._finish(score, dense, n_threads)

    def predict_few(self, rows: list[list[tuple[int, float]]], dense: np.ndarray) -> np.ndarray:
        """`predict_blocks` for a password or two, with the n-gram rows as
        `HashedNgrams.few_rows` gives them (column order, duplicates summed): per row, the
        float32 products of the CSR product and the dense columns, summed left to right by
        one float32 cumsum (what scipy's row loop and the column loop above do), without a
        sparse matrix (tested equal)."""
        coef = self.linear_.coef_
        dense_terms = dense * coef[self.dense_from :]  # float32 products, row by row
        score = np.empty(len(rows), dtype=coef.dtype)
        for i, pairs in enumerate(rows):
            columns = [c for c, _ in pairs]
            values = np.array([v for _, v in pairs], dtype=coef.dtype)
            terms = np.concatenate([values * coef[columns], dense_terms[i]])
            score[i] = np.cumsum(terms, dtype=coef.dtype)[-1] if terms.size else 0.0
        return self._finish(score, dense)

    def _finish(self, score: np.ndarray, dense: np.ndarray, n_threads=None) -> np.ndarray:
        """The linear score plus its intercept, then the trees over it and the dense columns."""
        score = score + self.linear_.intercept_
        if self.booster_ is None:
            return score
        return boosted(self.booster_, np.column_stack([score, dense]), n_threads)


def calibrate_on(calibrated: Calibrated, raw, y, weights) -> None:
    """Fit `calibrated`'s map on the last rows a learner fitted, when they carry weights
    (1 / chance of being drawn): `raw()` gives the estimator's predictions on them."""
    if weights is not None:
        start = time.perf_counter()
        calibrated.calibrate(raw(), y, sample_weight=weights)
        log.info("calibrated in %.1f s", time.perf_counter() - start)


# Model files name each class by its public path, pwc.model.<Class> (re-exported there):
# files written before these classes moved here load unchanged, and moving code again does
# not change a model file's bytes.
for _cls in (Calibrated, Stacked):
    _cls.__module__ = "pwc.model"
