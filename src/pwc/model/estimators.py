"""The model's estimators and the one Pipeline `build` puts them in.

Ours: hashed byte n-grams (TF-IDF) + hand and Markov features -> a linear model (LSQR Ridge),
then boosted trees over its score and the dense features (`Stacked`), calibrated back to the
natural mix (`Calibrated`). The lecture's baseline: char counts -> TF-IDF -> SGD.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import SGDRegressor
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from pwc import numerics
from pwc.config import TrainParams
from pwc.features import HandFeatures
from pwc.knowledge import KnowledgeFeatures
from pwc.markov import MarkovScores
from pwc.model.fast_predict import boosted, forget_thread_count, isotonic
from pwc.neighbours import NeighbourScores
from pwc.ngrams import HashedNgrams
from pwc.pcfg import PcfgScores
from pwc.ridge import LsqrRidge

# Isotonic maps have flat steps; a tiny share of the raw score keeps the order strict.
_TIE_BREAK = 1e-6


class Calibrated(RegressorMixin, BaseEstimator):
    """A regressor followed by a monotone map back to the natural mix.

    Training rows are drawn toward the head (log-rank sampling ranks the head better), which
    shifts raw predictions low. An isotonic map, fitted on the training rows weighted by the
    inverse of their chance of being drawn, restores the natural scale (RMSE) without changing
    the order (Spearman, AUC); the head keeps its own points, so `123456` stays near rank 1.
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y):  # noqa: N803 - sklearn's signature
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.calibrator_ = None
        return self

    def calibrate(self, raw: np.ndarray, y, sample_weight=None):
        """The isotonic map from the estimator's predictions `raw` on rows to their `y`."""
        iso = IsotonicRegression(out_of_bounds="clip")
        self.calibrator_ = iso.fit(raw, y, sample_weight=sample_weight)
        return self

    def predict(self, X):  # noqa: N803
        return self.calibrated(self.estimator_.predict(X))

    def calibrated(self, raw: np.ndarray) -> np.ndarray:
        """The calibrated answer for raw predictions: what `predict` returns."""
        if self.calibrator_ is None:
            return raw
        return isotonic(self.calibrator_, raw) + _TIE_BREAK * raw


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


class CharCounts(CountVectorizer):
    """sklearn's CountVectorizer whose `max_features` cut breaks ties by the term.

    sklearn keeps the most frequent terms with an unstable argsort, and numpy's sort kernel
    (and so which of several equally frequent terms survive) depends on the CPU's SIMD.
    """

    def fit_transform(self, raw_documents, y=None):
        limit = self.max_features
        self.set_params(max_features=None)
        try:
            X = super().fit_transform(raw_documents)  # noqa: N806 - columns in term order
        finally:
            self.set_params(max_features=limit)
        if limit is not None and X.shape[1] > limit:
            counts = np.asarray(X.sum(axis=0)).ravel()
            keep = np.sort(np.argsort(-counts, kind="stable")[:limit])
            terms = self.get_feature_names_out()[keep]
            self.vocabulary_ = {str(term): i for i, term in enumerate(terms)}
            X = X[:, keep]  # noqa: N806
        return X

    def fit(self, raw_documents, y=None):
        self.fit_transform(raw_documents)
        return self


class Tfidf(TfidfTransformer):
    """sklearn's TfidfTransformer with its idf taken by pwc.numerics.log: sklearn's np.log
    runs CPU-specific SIMD code, and its last bit differed between machines."""

    def fit(self, X, y=None):  # noqa: N803 - sklearn's signature
        super().fit(X, y)
        if self.use_idf:
            df = np.bincount(sp.csr_matrix(X).indices, minlength=X.shape[1])  # sklearn's df
            smooth = int(self.smooth_idf)
            idf = numerics.log((X.shape[0] + smooth) / (df + smooth)) + 1.0
            self.idf_ = idf.astype(self.idf_.dtype)
        return self


def build(params: TrainParams, seed: int) -> Pipeline:
    ngrams = (1, params.ngram_max)
    if params.model == "baseline":
        # The lecture's pipeline: char counts -> TF-IDF -> SGD.
        return Pipeline(
            [
                (
                    "vectorize",
                    CharCounts(
                        analyzer="char",
                        ngram_range=ngrams,
                        lowercase=False,
                        # skops stores the vocabulary entry by entry: keep it bounded
                        max_features=params.vocabulary_size,
                        dtype=np.float32,
                    ),
                ),
                ("tfidf", Tfidf()),
                (
                    "regress",
                    Calibrated(
                        SGDRegressor(
                            alpha=params.sgd_alpha,
                            max_iter=params.sgd_max_iter,
                            tol=None,
                            random_state=seed,
                        )
                    ),
                ),
            ]
        )
    ngram_features = HashedNgrams(params.ngram_max, params.hash_bits)
    dense = [("hand", HandFeatures())]
    if params.markov_order:
        # the first is the one predict_with_markov reads (log10 P for beyond-leak answers)
        for sampling in params.markov_samplings:
            markov = MarkovScores(params.markov_order, params.markov_bits)
            dense.append((f"markov_{sampling}", markov))
    # after the Markov columns, whose place predict_with_markov knows
    if params.pcfg_bits:
        dense.append(("pcfg", PcfgScores(params.pcfg_bits)))
    if params.knowledge:
        dense.append(("knowledge", KnowledgeFeatures()))
    if params.neighbour_bits:
        neighbours = NeighbourScores(
            params.neighbour_bits, params.neighbour_edits, params.neighbour_substitutions
        )
        dense.append(("neighbours", neighbours))
    hand = Pipeline([("extract", FeatureUnion(dense)), ("scale", StandardScaler())])
    linear = LsqrRidge(alpha=params.alpha, tol=params.ridge_tol)
    booster = None
    if params.booster_iter:
        booster = HistGradientBoostingRegressor(
            max_iter=params.booster_iter,
            learning_rate=params.booster_learning_rate,
            max_leaf_nodes=params.booster_leaves,
            early_stopping=False,  # no random validation split: the fit stays deterministic
            random_state=seed,
        )
    return Pipeline(
        [
            ("features", FeatureUnion([("ngrams", ngram_features), ("hand", hand)])),
            ("regress", Calibrated(Stacked(linear, booster, dense_from=1 << params.hash_bits))),
        ]
    )


# Model files name each class by its public path, pwc.model.<Class> (re-exported there):
# files written before these classes moved here load unchanged, and moving code again does
# not change a model file's bytes.
for _cls in (Calibrated, Stacked, CharCounts, Tfidf):
    _cls.__module__ = "pwc.model"
