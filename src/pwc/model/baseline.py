"""The lecture's baseline learner: char counts -> TF-IDF -> SGD, calibrated like ours.

`baseline` in the learner registry (pwc.model.learners); the compare stage fits it on
exactly our linear learner's rows and weights.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import SGDRegressor
from sklearn.pipeline import Pipeline

from pwc import numerics
from pwc.config import TrainParams
from pwc.model.estimators import Calibrated, calibrate_on
from pwc.text import as_arrow


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
    vectorize = CharCounts(
        analyzer="char",
        ngram_range=(1, params.ngram_max),
        lowercase=False,
        max_features=params.vocabulary_size,  # skops stores the vocabulary entry by entry
        dtype=np.float32,
    )
    sgd = SGDRegressor(
        alpha=params.sgd_alpha, max_iter=params.sgd_max_iter, tol=None, random_state=seed
    )
    return Pipeline([("vectorize", vectorize), ("tfidf", Tfidf()), ("regress", Calibrated(sgd))])


def fit(model: Pipeline, params: TrainParams, rows, seed: int) -> None:
    """On the linear learner's rows alone, calibrated on them when they carry weights."""
    linear = rows.linear
    y = np.asarray(linear.target, dtype=np.float64)
    strings = np.asarray(as_arrow(linear.passwords).to_pylist(), dtype=object)
    features = model[:-1].fit_transform(strings)  # sklearn's vectorizer reads Python strings
    model[-1].fit(features, y)
    vectorizer = model.named_steps["vectorize"]
    # numpy ints become one file each in skops (minutes for 50k entries); plain ints are JSON
    vectorizer.vocabulary_ = {k: int(v) for k, v in vectorizer.vocabulary_.items()}
    calibrate_on(model[-1], lambda: model[-1].estimator_.predict(features), y, linear.weights)


# What the registry (pwc.model.learners) says of it
TRUSTED_TYPES = ("pwc.model.Calibrated", "pwc.model.CharCounts", "pwc.model.Tfidf")
PARAMS = frozenset({"ngram_max", "vocabulary_size", "sgd_alpha", "sgd_max_iter", "rows"})
PARAMS |= {"sampling", "calibrate", "shares"}

# Model files name each class by its public path, pwc.model.<Class> (re-exported there):
# moving code does not change a model file's bytes.
for _cls in (CharCounts, Tfidf):
    _cls.__module__ = "pwc.model"
