"""Metrics of predicted vs true log10 guess rank (definitions: docs/evaluation.md).

"served" is what users get: the Scorer (lookup, model, beyond-leak extension) as batch
predict, the API and the CLI run it; "model" is the model's estimate alone, beside it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.stats import rankdata
from sklearn.metrics import mean_squared_error, r2_score, roc_auc_score, roc_curve

from pwc import numerics

# Length buckets for slices: (name, lowest, highest) in characters.
LENGTH_BUCKETS = (
    ("len_1_5", 1, 5),
    ("len_6_8", 6, 8),
    ("len_9_12", 9, 12),
    ("len_13_up", 13, None),
)
# True guess-rank slices (low < log10 rank <= high): online attacks live below 10^5, where
# zxcvbn is tuned; offline ones past it; above 10^6.5 is mostly the leak's count-1 block.
RANK_BUCKETS = (
    ("rank_to_1e3", None, 3.0),
    ("rank_1e3_1e5", 3.0, 5.0),
    ("rank_1e5_1e6_5", 5.0, 6.5),
    ("rank_1e6_5_up", 6.5, None),
)


def constant_and_cap(target) -> tuple[float, float]:
    """From the training targets: the constant baseline (their mean) and the cap on error
    metrics (the leak's rarest class, their largest; see `metrics`)."""
    return float(np.mean(target)), float(pc.max(target).as_py())


def _round(x: float) -> float:
    # Six decimals: far finer than any decision made on a metric, and short diffs.
    return round(float(x), 6) + 0.0  # + 0.0 turns -0.0 into 0.0


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation with numpy's pairwise sums (an order fixed by the length), not
    BLAS dot products (scipy's), whose order depends on the CPU kernel and thread count."""
    a = np.asarray(a, dtype=np.float64) - np.mean(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64) - np.mean(b, dtype=np.float64)
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def spearman(y: np.ndarray, pred: np.ndarray) -> float | None:
    """Rank correlation (average ranks for ties); None when either side is constant."""
    if y.size < 2 or np.ptp(y) == 0 or np.ptp(pred) == 0:
        return None
    return _round(pearson(rankdata(y), rankdata(pred)))


def _weighted_ranks(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Each value's rank in weight units: the middle of its tie group's share of the total."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    before = np.concatenate(([0.0], np.cumsum(w[order])))
    starts = np.flatnonzero(np.concatenate(([True], xs[1:] != xs[:-1])))
    ends = np.append(starts[1:], xs.size)
    middle = (before[starts] + before[ends]) / 2.0
    ranks = np.empty(x.size)
    ranks[order] = np.repeat(middle, ends - starts)
    return ranks


def spearman_weighted(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float | None:
    """Spearman correlation with each row weighted by how often it occurs (Golla & Dürmuth,
    CCS 2018): weighted ranks, then their weighted Pearson correlation. With equal weights
    it is `spearman`. None when either side is constant."""
    if y.size < 2 or np.ptp(y) == 0 or np.ptp(pred) == 0:
        return None
    w = np.asarray(w, dtype=np.float64)
    a, b = _weighted_ranks(y, w), _weighted_ranks(pred, w)
    total = np.sum(w)
    a = a - np.sum(w * a) / total
    b = b - np.sum(w * b) / total
    return _round(np.sum(w * a * b) / np.sqrt(np.sum(w * a * a) * np.sum(w * b * b)))


def metrics(
    y: np.ndarray,
    pred: np.ndarray,
    seen_once: np.ndarray,
    cap: float | None = None,
    weights: np.ndarray | None = None,
) -> dict:
    """Headline metrics on one evaluation set. A constant prediction scores Spearman 0, AUC
    0.5. With `cap`, the error metrics (RMSE, R², within 1) score answers above it as `cap`:
    a held-out password cannot be rarer than the leak's rarest class, and an answer beyond the
    leak is a claim about passwords outside it, which no leak can score. The order metrics
    (Spearman, AUC) use the answers as given; `rmse_uncapped` is reported beside. With
    `weights` (each row's count in the leak), `spearman_weighted` too."""
    rho = spearman(y, pred)
    seen_twice = ~seen_once
    # A weaker (smaller) prediction should mean "more common": score = -pred.
    both_classes = 0 < seen_twice.sum() < seen_twice.size
    auc = roc_auc_score(seen_twice, -pred) if both_classes else None
    scored = pred if cap is None else np.minimum(pred, cap)
    out = {
        "n": int(y.size),
        "spearman": 0.0 if rho is None else rho,
        "rmse": _round(np.sqrt(mean_squared_error(y, scored))),
        "r2": _round(r2_score(y, scored)),
        "auc_seen_twice": None if auc is None else _round(auc),
        "within_1": _round(np.mean(np.abs(y - scored) <= 1.0)),
    }
    if cap is not None:
        out["rmse_uncapped"] = _round(np.sqrt(mean_squared_error(y, pred)))
    if weights is not None:
        out["spearman_weighted"] = spearman_weighted(y, pred, weights) or 0.0
    return out


def rank_masks(target: np.ndarray) -> dict:
    """Rows of each RANK_BUCKETS slice, by true log10 guess rank."""
    return {
        name: (target > (-np.inf if low is None else low))
        & (target <= (np.inf if high is None else high))
        for name, low, high in RANK_BUCKETS
    }


def slice_masks(
    passwords: pa.ChunkedArray | pa.Array, seen_once: np.ndarray, target: np.ndarray
) -> dict:
    length = pc.utf8_length(passwords).to_numpy()
    masks = {}
    for name, low, high in LENGTH_BUCKETS:
        masks[name] = (length >= low) & (length <= (high if high is not None else np.inf))
    masks["digits_only"] = pc.match_substring_regex(passwords, r"^[0-9]+$").to_numpy(
        zero_copy_only=False
    )
    masks["letters_only"] = pc.match_substring_regex(passwords, r"^[a-zA-Z]+$").to_numpy(
        zero_copy_only=False
    )
    masks["head"] = ~seen_once
    masks["tail"] = seen_once
    return masks | rank_masks(target)


def slice_metrics(y: np.ndarray, pred: np.ndarray, masks: dict) -> dict:
    out = {}
    for name, mask in masks.items():
        if not mask.any():
            out[name] = {"n": 0}
            continue
        entry = {
            "n": int(mask.sum()),
            "rmse": _round(np.sqrt(np.mean(np.square(y[mask] - pred[mask])))),
            "bias": _round(np.mean(pred[mask] - y[mask])),
        }
        rho = spearman(y[mask], pred[mask])
        if rho is not None:
            entry["spearman"] = rho
        out[name] = entry
    return out


def _log1p(counts: np.ndarray) -> np.ndarray:
    """log(1 + count) for whole counts (1 + count is exact below 2^53)."""
    return numerics.log(1.0 + np.asarray(counts, dtype=np.float64))


class TimesMap:
    """Predicted log10 guess rank -> predicted leak count, learned from the training blocks.

    Each training block has one target and one count; interpolating log(1 + count) between
    blocks turns any prediction into a count, for the course's RMSLE on Times.
    """

    def __init__(self, target: np.ndarray, times: np.ndarray):
        pairs = np.unique(np.column_stack([target, _log1p(times)]), axis=0)
        self.target, self.log1p_times = pairs[:, 0], pairs[:, 1]

    @classmethod
    def from_table(cls, table: pa.Table) -> TimesMap | None:
        """None when the source has no counts (RockYou)."""
        if "times" not in table.column_names or table["times"].null_count == table.num_rows:
            return None
        known = table.filter(pc.is_valid(table["times"]))
        return cls(known["target"].to_numpy(), known["times"].to_numpy().astype(np.float64))

    def rmsle(self, pred: np.ndarray, times: np.ndarray) -> float:
        guess = np.interp(pred, self.target, self.log1p_times)
        return _round(np.sqrt(np.mean(np.square(guess - _log1p(times)))))


def evaluate_set(
    table: pa.Table,
    served: np.ndarray,
    model_pred: np.ndarray,
    constant: float,
    times_map: TimesMap | None = None,
    cap: float | None = None,
    weights: np.ndarray | None = None,
    others: dict[str, np.ndarray] | None = None,
) -> dict:
    """Metrics of the served scorer (errors capped at `cap`, see `metrics`), the model alone
    and the constant baseline on one evaluation set, and slices of the served scorer. With
    `weights` (each row's count, pwc.evaluation.frequency), frequency-weighted Spearman
    beside. `others`: more scorers users get (the browser meter), each by name, capped like
    the served one."""
    y = table["target"].to_numpy()
    seen_once = table["seen_once"].to_numpy(zero_copy_only=False)
    masks = slice_masks(table["password"], seen_once, y)
    preds = {"served": served, "model": model_pred, "constant": np.full_like(y, constant)}
    user_facing = {"served", *(others or {})}
    preds.update(others or {})
    out = {
        name: metrics(y, pred, seen_once, cap if name in user_facing else None, weights)
        for name, pred in preds.items()
    }
    out["slices"] = slice_metrics(y, served if cap is None else np.minimum(served, cap), masks)
    if times_map is not None:
        times = table["times"].to_numpy().astype(np.float64)
        for name, pred in preds.items():
            out[name]["rmsle_times"] = times_map.rmsle(pred, times)
    return out


QUANTILES = {"q10": 0.10, "q25": 0.25, "median": 0.50, "q75": 0.75, "q90": 0.90}


def binned_quantiles(target: np.ndarray, pred: np.ndarray, width: float) -> list[dict]:
    """Predicted log rank by bins of the true one, over every row (a scatter of a sample piled
    up on the count-1 block): each bin's centre, row count and prediction quantiles (the
    median and the 25-75 and 10-90 bands; numbers only, no passwords)."""
    bins = np.floor(np.asarray(target, dtype=np.float64) / width).astype(np.int64)
    order = np.lexsort((pred, bins))  # by bin, then prediction: each bin's values sorted
    ids, starts = np.unique(bins[order], return_index=True)
    rows = []
    for b, lo, hi in zip(ids, starts, [*starts[1:], len(order)], strict=True):
        values = np.asarray(pred, dtype=np.float64)[order[lo:hi]]
        row = {"target": _round((b + 0.5) * width), "rows": int(hi - lo)}
        row |= {k: _round(np.quantile(values, q)) for k, q in QUANTILES.items()}
        rows.append(row)
    return rows


def error_by_length(results: dict) -> list[dict]:
    """RMSE per length bucket and test set, for a bar plot."""
    rows = []
    for name, low, high in LENGTH_BUCKETS:
        # zero-padded: plot templates sort categories as text ("13-up" came before "6-8")
        row = {"length": f"{low:02d}-{high:02d}" if high else f"{low:02d}-up"}
        for test_set, res in results.items():
            row[f"rmse_{test_set}"] = res["slices"][name].get("rmse", 0.0)
        rows.append(row)
    return rows


def roc_points(seen_twice: np.ndarray, pred: np.ndarray, points: int = 101) -> list[dict]:
    """ROC of "seen at least twice" (score = -pred) on a fixed false-positive-rate grid.

    A full curve over 200k rows has ~10^5 points; a fixed grid keeps the plot file small
    and diffable in git.
    """
    fpr, tpr, _ = roc_curve(seen_twice, -pred)
    grid = np.linspace(0.0, 1.0, points)
    return [
        {"fpr": _round(f), "tpr": _round(t)}
        for f, t in zip(grid, np.interp(grid, fpr, tpr), strict=True)
    ]


def end_to_end(
    queries: pa.Table, served: np.ndarray, found: np.ndarray, cap: float | None = None
) -> dict:
    """The served scorer (its lookup built from the training split only) on draws over the
    leak's rows, and apart on the two kinds of row: those the lookup holds (training
    passwords: answered exactly) and those it cannot hold (held-out passwords: the model)."""
    y = queries["target"].to_numpy()
    seen_once = queries["seen_once"].to_numpy(zero_copy_only=False)
    out = {
        "queries": int(y.size),
        "found_share": _round(found.mean()) if y.size else 0.0,
        "served": metrics(y, served, seen_once, cap),
    }
    for name, rows in (("in_lookup", found), ("not_in_lookup", ~found)):
        part = {"n": int(rows.sum())}
        if rows.any():
            part["served"] = metrics(y[rows], served[rows], seen_once[rows], cap)
        out[name] = part
    return out
