"""sklearn's arithmetic without sklearn's per-call checks, and every private sklearn member
the project touches, in one place.

sklearn's predict for one password spent more time checking its input (4 x check_array) than
computing: these functions do what the fitted estimators' predict/transform do, minus the
checks, on inputs the model code built itself. Each is pinned to sklearn's own result by a
test (tests/code/test_fast_predict.py), so a sklearn upgrade that changes a private member
fails there, not in production.
"""

from __future__ import annotations

import weakref

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


# Up to this many rows the Forest walk is faster than sklearn's tree-by-tree loop.
FOREST_MAX_ROWS = 2
_FORESTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def boosted(booster: HistGradientBoostingRegressor, X: np.ndarray) -> np.ndarray:  # noqa: N803
    """`booster.predict(X)`."""
    if X.shape[0] <= FOREST_MAX_ROWS:
        forest = _FORESTS.get(booster)
        if forest is None:
            forest = _FORESTS[booster] = Forest(booster)
        return forest.predict(X)
    return sklearn_boosted(booster, X)


def sklearn_boosted(booster: HistGradientBoostingRegressor, X: np.ndarray) -> np.ndarray:  # noqa: N803
    """`booster.predict(X)` by sklearn's own tree loop, minus its input checks."""
    shape = (X.shape[0], booster.n_trees_per_iteration_)
    raw = np.zeros(shape, dtype=booster._baseline_prediction.dtype, order="F")
    raw += booster._baseline_prediction
    X = np.asarray(X, dtype=np.float64)  # noqa: N806 - the trees' dtype
    n_threads = _openmp_effective_n_threads()
    booster._predict_iterations(X, booster._predictors, raw, False, n_threads)
    return booster._loss.link.inverse(raw.ravel())


class Forest:
    """A fitted booster's trees evaluated for a few rows at once, QuickScorer-style.

    sklearn predicts tree by tree, each call entering compiled code and an OpenMP region: for
    one password that was 60 calls and ~250 µs. Here every split of every tree is tested at
    once (x > threshold: the row goes right there), each split that sends the row right rules
    out the leaves of its left subtree (a bit mask over the tree's leaves, left to right), and
    the exit leaf of each tree is the leftmost leaf no split ruled out (Lucchese et al., SIGIR
    2015). Same comparisons as sklearn (NaN by missing_go_to_left), same sum in the same
    order (baseline, then tree 0, 1, ...: np.cumsum adds left to right): sklearn's numbers
    exactly (tests/code/test_fast_predict.py). For large batches sklearn's own loop is faster.
    """

    def __init__(self, booster: HistGradientBoostingRegressor):
        trees = [predictors[0].nodes for predictors in booster._predictors]
        if booster.n_trees_per_iteration_ != 1 or any(t["is_categorical"].any() for t in trees):
            raise ValueError("Forest handles one tree per iteration and numeric splits only")
        if any(t["is_leaf"][0] for t in trees):
            raise ValueError("Forest needs every tree to split at least once")
        width = max(int(t["is_leaf"].sum()) for t in trees)
        self.words = (width + 63) // 64
        features, thresholds, missing_left, masks, values, starts = [], [], [], [], [], []
        for nodes in trees:
            order = _leaves_left_to_right(nodes)  # node index -> leaf ordinal
            internal = np.flatnonzero(~nodes["is_leaf"].astype(bool))
            starts.append(sum(len(f) for f in features))
            features.append(nodes["feature_idx"][internal])
            thresholds.append(nodes["num_threshold"][internal])
            missing_left.append(nodes["missing_go_to_left"][internal].astype(bool))
            masks.append(np.stack([_left_mask(nodes, n, order, self.words) for n in internal]))
            row = np.zeros(width)
            leaves = np.array(sorted(order, key=order.get))
            row[: leaves.size] = nodes["value"][leaves]
            values.append(row)
        self.feature = np.concatenate(features).astype(np.intp)
        self.threshold = np.concatenate(thresholds)
        self.missing_left = np.concatenate(missing_left)
        self.masks = np.concatenate(masks)  # (splits, words) uint64
        self.starts = np.asarray(starts, dtype=np.intp)
        self.values = np.stack(values)  # (trees, width): leaf values, left to right
        self.baseline = float(np.ravel(booster._baseline_prediction)[0])
        self.link = booster._loss.link.inverse

    def predict(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        """`booster.predict(X)`."""
        X = np.asarray(X, dtype=np.float64)  # noqa: N806 - the trees' dtype
        x = X[:, self.feature]
        right = np.where(np.isnan(x), ~self.missing_left, x > self.threshold)
        kept = np.where(right[..., None], self.masks, np.uint64(ALL_LEAVES))
        alive = np.bitwise_and.reduceat(kept, self.starts, axis=1)  # (rows, trees, words)
        word = np.argmax(alive != 0, axis=2)
        bits = np.take_along_axis(alive, word[..., None], axis=2)[..., 0]
        lowest = bits & (~bits + np.uint64(1))  # the lowest set bit: the leftmost leaf
        leaf = word * 64 + np.bitwise_count(lowest - np.uint64(1)).astype(np.intp)
        terms = np.empty((X.shape[0], self.values.shape[0] + 1))
        terms[:, 0] = self.baseline
        terms[:, 1:] = self.values[np.arange(self.values.shape[0]), leaf]
        return self.link(np.cumsum(terms, axis=1)[:, -1])


ALL_LEAVES = 0xFFFFFFFFFFFFFFFF


def _leaves_left_to_right(nodes: np.ndarray) -> dict[int, int]:
    """{node index: ordinal} of a tree's leaves, numbered left to right."""
    order: dict[int, int] = {}
    stack = [0]
    while stack:
        node = stack.pop()
        if nodes["is_leaf"][node]:
            order[node] = len(order)
        else:  # right pushed first: the left subtree is numbered first
            stack += [int(nodes["right"][node]), int(nodes["left"][node])]
    return order


def _left_mask(nodes: np.ndarray, split: int, order: dict[int, int], words: int) -> np.ndarray:
    """Every leaf's bit set except the leaves of the split's left subtree."""
    mask = np.full(words, ALL_LEAVES, dtype=np.uint64)
    stack = [int(nodes["left"][split])]
    while stack:
        node = stack.pop()
        if nodes["is_leaf"][node]:
            ordinal = order[node]
            mask[ordinal // 64] &= np.uint64(ALL_LEAVES ^ (1 << (ordinal % 64)))
        else:
            stack += [int(nodes["left"][node]), int(nodes["right"][node])]
    return mask


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
