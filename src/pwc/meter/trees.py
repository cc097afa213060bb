"""Boosted trees over the meter's integer features, exported as integer arrays.

sklearn's HistGradientBoostingRegressor learns them; the export keeps, per node, the feature,
an integer threshold (x <= t for an integer x is x <= floor(t)), the children and, for
leaves, the value in 1/SCALE steps. The sum of a password's leaves is an integer, so
meter.js and `predict` agree exactly; guesses_log10 is that sum / SCALE (a power of two:
the division is exact).
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

SCALE = 4096  # leaf values and the baseline in 1/4096 of a log10 step


class Forest:
    """Flat arrays of all trees' nodes: node i of the forest is a leaf when left[i] < 0."""

    def __init__(self, feature, threshold, left, right, value, roots, base: int):
        self.feature = np.asarray(feature, dtype=np.int32)
        self.threshold = np.asarray(threshold, dtype=np.int32)
        self.left = np.asarray(left, dtype=np.int32)
        self.right = np.asarray(right, dtype=np.int32)
        self.value = np.asarray(value, dtype=np.int32)
        self.roots = np.asarray(roots, dtype=np.int32)
        self.base = int(base)

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, iters: int, leaves: int, rate: float, seed: int):
        booster = HistGradientBoostingRegressor(
            max_iter=iters,
            max_leaf_nodes=leaves,
            learning_rate=rate,
            early_stopping=False,  # no random validation split: the fit stays deterministic
            random_state=seed,
        ).fit(x.astype(np.float64), y)
        return cls.from_booster(booster)

    @classmethod
    def from_booster(cls, booster: HistGradientBoostingRegressor) -> Forest:
        parts = {k: [] for k in ("feature", "threshold", "left", "right", "value")}
        roots = []
        offset = 0
        for (predictor,) in booster._predictors:
            nodes = predictor.nodes
            leaf = nodes["is_leaf"].astype(bool)
            roots.append(offset)
            parts["feature"].append(np.where(leaf, 0, nodes["feature_idx"]))
            # integer features: x <= t exactly when x <= floor(t)
            thr = np.floor(nodes["num_threshold"])
            parts["threshold"].append(np.where(leaf, 0, np.clip(thr, -(2**31), 2**31 - 1)))
            parts["left"].append(np.where(leaf, -1, nodes["left"] + offset))
            parts["right"].append(np.where(leaf, -1, nodes["right"] + offset))
            parts["value"].append(np.where(leaf, np.rint(nodes["value"] * SCALE), 0))
            offset += nodes.size
        base = int(np.rint(float(np.ravel(booster._baseline_prediction)[0]) * SCALE))
        arrays = {k: np.concatenate(v) for k, v in parts.items()}
        return cls(**arrays, roots=roots, base=base)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Each row's summed leaves plus the baseline, an integer in 1/SCALE steps."""
        total = np.full(x.shape[0], self.base, dtype=np.int64)
        rows = np.arange(x.shape[0])
        for root in self.roots:
            node = np.full(x.shape[0], root, dtype=np.int32)
            while True:
                inner = self.left[node] >= 0
                if not inner.any():
                    break
                go_left = x[rows, self.feature[node]] <= self.threshold[node]
                child = np.where(go_left, self.left[node], self.right[node])
                node = np.where(inner, child, node)
            total += self.value[node]
        return total
