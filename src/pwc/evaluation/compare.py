"""Peers on the same rows: constant, the lecture baseline, zxcvbn, and our model.

zxcvbn scores ~3,000 passwords/s, so every model in the table is scored on the same fixed,
seeded subsample of each test set. zxcvbn's guesses_log10 is mapped to our target by an
isotonic (monotone) fit on a uniform train subsample: that fixes its scale for RMSE and
leaves its order (Spearman, AUC) as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
from sklearn.isotonic import IsotonicRegression
from zxcvbn import zxcvbn

from pwc import numerics
from pwc.evaluation import evaluate
from pwc.sampling import uniform_sample

ZXCVBN_MAX_CHARS = 72  # zxcvbn raises on longer inputs


def zxcvbn_log10(passwords: Sequence[str]) -> np.ndarray:
    """log10 of zxcvbn's guesses (0 for the empty password, which it cannot score). Taken
    with pwc.numerics: zxcvbn's own guesses_log10 comes from libm, whose last bit depends
    on the CPU."""
    guesses = [float(zxcvbn(p[:ZXCVBN_MAX_CHARS])["guesses"]) if p else 1.0 for p in passwords]
    return numerics.log10(np.array(guesses, dtype=np.float64))


class ZxcvbnCalibrated:
    """zxcvbn, monotone-calibrated to log10 guess rank; a tiny share of the raw score breaks
    the isotonic map's ties so its order is kept."""

    def __init__(self, passwords: Sequence[str], target: np.ndarray):
        raw = zxcvbn_log10(passwords)
        self.iso = IsotonicRegression(out_of_bounds="clip").fit(raw, target)

    def __call__(self, passwords: Sequence[str]) -> np.ndarray:
        raw = zxcvbn_log10(passwords)
        return self.iso.predict(raw) + 1e-6 * raw


def rank_slice_rows(table: pa.Table, size: int, seed: int) -> pa.Table:
    """Up to `size` rows of each slice of true guess rank (evaluate.RANK_BUCKETS), seeded:
    the head's slices are a sliver of a uniform subsample (7 of 20,000 test_head rows below
    10^3), so each slice gets its own draw from the whole set."""
    masks = evaluate.rank_masks(table["target"].to_numpy())
    picked = [
        np.flatnonzero(mask)[
            uniform_sample(int(mask.sum()), size, np.random.default_rng([seed, i]))
        ]
        for i, mask in enumerate(masks.values())
    ]
    return table.take(np.sort(np.concatenate(picked)))


def compare_set(
    table: pa.Table,
    peers: dict[str, Callable[[list[str]], np.ndarray]],
    cap: float,
    weights: np.ndarray | None = None,
    slice_rows: pa.Table | None = None,
) -> dict:
    """Spearman, RMSE and AUC of every peer on exactly the rows of `table`; errors of answers
    above `cap` (the leak's rarest class) are scored at it, for every peer alike. With
    `weights` (each row's count in the leak), the frequency-weighted Spearman too. Per slice of
    true guess rank (evaluate.RANK_BUCKETS) on `slice_rows` (`rank_slice_rows`), else on
    `table`."""
    keep = ("spearman", "spearman_weighted", "rmse", "rmse_uncapped", "auc_seen_twice")
    sliced = table if slice_rows is None else slice_rows
    y = table["target"].to_numpy()
    seen_once = table["seen_once"].to_numpy(zero_copy_only=False)
    y_sliced = sliced["target"].to_numpy()
    ranks = evaluate.rank_masks(y_sliced)
    out = {}
    for name, predict in peers.items():
        pred = np.asarray(predict(table["password"].to_pylist()), dtype=np.float64)
        m = evaluate.metrics(y, pred, seen_once, cap, weights)
        out[name] = {k: m[k] for k in keep if k in m}
        if slice_rows is not None:
            pred = np.asarray(predict(sliced["password"].to_pylist()), dtype=np.float64)
        out[name]["rank_slices"] = evaluate.slice_metrics(y_sliced, np.minimum(pred, cap), ranks)
    return {"rows": int(y.size), "slice_rows": int(y_sliced.size), "models": out}
