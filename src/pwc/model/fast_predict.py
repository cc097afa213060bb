"""sklearn's arithmetic without sklearn's per-call checks, and every private sklearn member
the project touches, in one place.

sklearn's predict for one password spent more time checking its input (4 x check_array) than
computing: these functions do what the fitted estimators' predict/transform do, minus the
checks, on inputs the model code built itself. Each is pinned to sklearn's own result by a
test (tests/code/test_fast_predict.py), so a sklearn upgrade that changes a private member
fails there, not in production.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads


def scaled(scaler: StandardScaler, X: np.ndarray) -> np.ndarray:  # noqa: N803
    """`scaler.transform(X)` for a dense X."""
    X = np.array(X, dtype=X.dtype if X.dtype.kind == "f" else np.float64)  # noqa: N806 - a copy
    if scaler.with_mean:
        X -= scaler.mean_.astype(X.dtype)
    if scaler.with_std:
        X /= scaler.scale_.astype(X.dtype)
    return X


def boosted(booster: HistGradientBoostingRegressor, X: np.ndarray) -> np.ndarray:  # noqa: N803
    """`booster.predict(X)`."""
    shape = (X.shape[0], booster.n_trees_per_iteration_)
    raw = np.zeros(shape, dtype=booster._baseline_prediction.dtype, order="F")
    raw += booster._baseline_prediction
    X = np.asarray(X, dtype=np.float64)  # noqa: N806 - the trees' dtype
    n_threads = _openmp_effective_n_threads()
    booster._predict_iterations(X, booster._predictors, raw, False, n_threads)
    return booster._loss.link.inverse(raw.ravel())


def forget_thread_count(booster: HistGradientBoostingRegressor) -> None:
    """The binner records the OpenMP thread count it ran with: a fact about the machine that
    trained, not about the model (the trees are the same for any count). Reset to its
    default so the model file is the same on every machine."""
    booster._bin_mapper.n_threads = None


def isotonic(iso: IsotonicRegression, raw: np.ndarray) -> np.ndarray:
    """`iso.predict(raw)` for a float64 `raw`."""
    T = np.asarray(raw, dtype=iso.X_thresholds_.dtype).reshape(-1)  # noqa: N806
    if iso.out_of_bounds == "clip":
        T = np.clip(T, iso.X_min_, iso.X_max_)  # noqa: N806
    return iso.f_(T).astype(T.dtype)


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
