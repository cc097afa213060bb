"""sklearn's arithmetic without sklearn's per-call checks, and every private sklearn member
the project touches, in one place.

sklearn's predict for one password spent more time checking its input (4 x check_array) than
computing: these functions do what the fitted estimators' predict/transform do, minus the
checks, on inputs the model code built itself. Each is pinned to sklearn's own result by a
test (tests/code/test_fast_predict.py), so a sklearn upgrade that changes a private member
fails there, not in production. (One more, sklearn's OpenMP thread count, is read in
`pwc.threads`.)
"""

from __future__ import annotations

import bisect
import weakref

import numpy as np
import scipy.sparse as sp
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from pwc.features.paths import few_path
from pwc.threads import usable


def scaled(scaler: StandardScaler, X: np.ndarray) -> np.ndarray:  # noqa: N803
    """`scaler.transform(X)` for a dense X."""
    X = np.array(X, dtype=X.dtype if X.dtype.kind == "f" else np.float64)  # noqa: N806 - a copy
    if scaler.with_mean:
        X -= scaler.mean_.astype(X.dtype)
    if scaler.with_std:
        X /= scaler.scale_.astype(X.dtype)
    return X


_TREES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def boosted(
    booster: HistGradientBoostingRegressor,
    X: np.ndarray,  # noqa: N803
    n_threads: int | None = None,
) -> np.ndarray:
    """`booster.predict(X)`, on `n_threads` OpenMP threads (None: sklearn's choice)."""
    if few_path(X.shape[0]):  # the plain-Python walk beats sklearn's tree-by-tree loop
        trees = _TREES.get(booster)
        if trees is None:
            trees = _TREES[booster] = Trees(booster)
        return trees.predict(X)
    return sklearn_boosted(booster, X, n_threads)


def sklearn_boosted(
    booster: HistGradientBoostingRegressor,
    X: np.ndarray,  # noqa: N803
    n_threads: int | None = None,
) -> np.ndarray:
    """`booster.predict(X)` by sklearn's own tree loop, minus its input checks. A row's sum
    is the same on any number of threads (each row is one thread's, trees in order)."""
    shape = (X.shape[0], booster.n_trees_per_iteration_)
    raw = np.zeros(shape, dtype=booster._baseline_prediction.dtype, order="F")
    raw += booster._baseline_prediction
    X = np.asarray(X, dtype=np.float64)  # noqa: N806 - the trees' dtype
    n_threads = n_threads or usable()
    booster._predict_iterations(X, booster._predictors, raw, False, n_threads)
    return booster._loss.link.inverse(raw.ravel())


class Trees:
    """A fitted booster's trees walked in plain Python for a row or two.

    sklearn predicts tree by tree, each call entering compiled code and an OpenMP region, a
    cost per tree that dominates one password. Walking each tree from its root over Python
    lists (a path is a few nodes long) is faster than that, and than a vectorised QuickScorer
    walk testing every split at once (the previous path), whose arrays are larger than the
    few nodes a row visits (benchmarks/RESULTS.md, "Figures behind the code's choices").
    Same comparisons as sklearn (x <= threshold goes left, NaN by missing_go_to_left), the
    same float64 sum in the same order (baseline, then tree 0, 1, ...): sklearn's numbers
    exactly (tests/code/test_fast_predict.py).
    """

    def __init__(self, booster: HistGradientBoostingRegressor):
        nodes = [predictors[0].nodes for predictors in booster._predictors]
        if booster.n_trees_per_iteration_ != 1 or any(n["is_categorical"].any() for n in nodes):
            raise ValueError("Trees handles one tree per iteration and numeric splits only")
        self.trees = [
            tuple(
                n[field].tolist()
                for field in (
                    "feature_idx",
                    "num_threshold",
                    "left",
                    "right",
                    "is_leaf",
                    "value",
                    "missing_go_to_left",
                )
            )
            for n in nodes
        ]
        self.baseline = float(np.ravel(booster._baseline_prediction)[0])
        self.link = booster._loss.link.inverse

    def predict(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        """`booster.predict(X)`."""
        totals = []
        for x in np.asarray(X, dtype=np.float64).tolist():
            total = self.baseline
            for feature, threshold, left, right, leaf, value, missing_left in self.trees:
                node = 0
                while not leaf[node]:
                    v = x[feature[node]]
                    if v <= threshold[node] or (v != v and missing_left[node]):
                        node = left[node]
                    else:
                        node = right[node]
                total += value[node]
            totals.append(total)
        return self.link(np.array(totals, dtype=np.float64))


def forget_thread_count(booster: HistGradientBoostingRegressor) -> None:
    """The binner records the OpenMP thread count it ran with: a fact about the machine that
    trained, not about the model (the trees are the same for any count). Reset to its
    default so the model file is the same on every machine."""
    booster._bin_mapper.n_threads = None


def _interp_one(t: float, xs: list[float], ys: list[float]) -> float:
    """np.interp for one value, step by step as numpy's C loop (compiled_base.c): the
    interval with xs[j] <= t < xs[j + 1], a knot's own value, NaN retried from the right."""
    if t != t:
        return t
    j = bisect.bisect_right(xs, t) - 1
    if j < 0:
        return ys[0]
    if j >= len(xs) - 1:
        return ys[-1]
    if xs[j] == t:
        return ys[j]
    slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
    value = slope * (t - xs[j]) + ys[j]
    if value != value:
        value = slope * (t - xs[j + 1]) + ys[j + 1]
        if value != value and ys[j] == ys[j + 1]:
            value = ys[j]
    return value


def midpoints(iso: IsotonicRegression) -> np.ndarray:
    """The isotonic map's steps as points (2 x k, float64): each run of knots at one value
    becomes its middle. Joined by straight lines (`joined`) they make a strictly increasing
    map between the first and the last: no flat step where a typed character would leave
    a strength bar where it was (benchmarks/calibration_map.py measured it on validation)."""
    xs = np.asarray(iso.X_thresholds_, dtype=np.float64)
    ys = np.asarray(iso.y_thresholds_, dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, ys[1:] != ys[:-1]])
    ends = np.r_[starts[1:], ys.size] - 1
    return np.stack([(xs[starts] + xs[ends]) / 2.0, ys[starts]])


_MIDPOINTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def joined(owner, points: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """np.interp of float64 `raw` over `points` (held by `owner`, which caches them as Python
    floats for the one-value path: the same bits, step by step as numpy's loop)."""
    T = np.asarray(raw, dtype=np.float64).reshape(-1)  # noqa: N806
    if T.size == 1:  # one value (the API's usual request), in Python floats
        knots = _MIDPOINTS.get(owner)
        if knots is None:
            knots = _MIDPOINTS[owner] = (points[0].tolist(), points[1].tolist())
        return np.array([_interp_one(float(T[0]), *knots)])
    return np.interp(T, points[0], points[1])


def transform(step, X):  # noqa: N803 - sklearn's naming
    """What `step.transform(X)` returns for fitted Pipelines and FeatureUnions (no weights, no
    set_output), without their per-call joblib and validation overhead."""
    if isinstance(step, Pipeline):
        for _, inner in step.steps:
            X = transform(inner, X)
        return X
    if isinstance(step, FeatureUnion):
        parts = [transform(inner, X) for _, inner in step.transformer_list]
        if any(sp.issparse(part) for part in parts):
            return sp.hstack(parts).tocsr()
        return np.hstack(parts)
    if type(step) is StandardScaler and not sp.issparse(X):
        return scaled(step, X)
    return step.transform(X)
