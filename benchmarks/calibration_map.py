"""The calibration map's resolution against its quality, on the validation sets (where a map is
chosen; the test sets are not read): the isotonic steps with the 1e-6 share of the raw score
that breaks their ties (the map before 2026-12-07), against the steps' midpoints joined by
straight lines (the model's map since: pwc.model.fast_predict.midpoints). For each: the
served scorer's metrics (the evaluate stage's scorer: a lookup of the train split, the
bound, beyond the leak), and how still a strength bar would stand: over the model-answered
rows of validation, the share of distinct answers, the five largest shares of rows whose
answers lie within 0.001 of each other (a bar of 1,000 steps over 10^0 to 10^20 would not
move between them), and the share of rows whose raw score lies on a flat step wider than
0.01 (a change of the raw score inside it moves the answer by a millionth of it).

    python benchmarks/calibration_map.py        (after `make repro`; ~6 minutes)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from pwc import lookup, model
from pwc.config import load_params
from pwc.data.split import VALIDATION_SETS
from pwc.evaluation import evaluate
from pwc.io import sha256_file
from pwc.model import estimators
from pwc.scorer import Scorer

ROOT = Path(__file__).resolve().parents[1]


def steps(self, raw: np.ndarray) -> np.ndarray:
    """The map before: the isotonic steps, ties broken by 1e-6 of the raw score."""
    if self.calibrator_ is None:
        return raw
    return self.calibrator_.predict(np.asarray(raw, dtype=np.float64)) + 1e-6 * raw


def stillness(answers: np.ndarray) -> dict:
    """How many rows share a bar position: the largest shares of rows within 0.001 of one
    answer (a plateau holds many rows in a window that narrow), and the distinct share."""
    ordered = np.sort(answers)
    inside = np.searchsorted(ordered, ordered + 1e-3, side="left") - np.arange(ordered.size)
    largest, taken = [], np.zeros(ordered.size, dtype=bool)
    for start in np.argsort(-inside, kind="stable"):
        if len(largest) == 5:
            break
        if not taken[start : start + inside[start]].any():
            taken[start : start + inside[start]] = True
            largest.append(round(float(inside[start] / ordered.size), 4))
    return {
        "distinct_share": round(np.unique(answers).size / answers.size, 4),
        "largest_windows_0.001": largest,
    }


def on_wide_steps(fitted, rows, name: str) -> float:
    """The share of rows whose raw score lies on a flat step of the map wider than 0.01."""
    calibrator = fitted[-1]
    raw = calibrator.estimator_.predict(fitted[:-1].transform(rows["password"]))
    if name == "midpoints_joined":  # strictly increasing between the first and last points
        lo, hi = calibrator.midpoints_[0][[0, -1]]
        return round(float(((raw < lo - 0.01) | (raw > hi + 0.01)).mean()), 4)
    iso = calibrator.calibrator_
    xs, ys = iso.X_thresholds_, iso.y_thresholds_
    starts = np.flatnonzero(np.r_[True, ys[1:] != ys[:-1]])
    ends = np.r_[starts[1:], ys.size] - 1
    at = np.clip(np.searchsorted(xs[starts], raw, side="right") - 1, 0, None)
    wide = (xs[ends] - xs[starts])[at] > 0.01
    return round(float((wide & (raw <= xs[ends][at])).mean()), 4)


def main() -> None:
    params = load_params(ROOT / "params.yaml")
    paths = params.paths
    fitted = model.load(paths.model)
    train = pq.read_table(paths.split("train"), columns=["password", "guess_rank", "target"])
    _, cap = evaluate.constant_and_cap(train["target"])
    table = lookup.build(train["password"], train["guess_rank"].to_numpy(), None, params.lookup.key)
    del train
    scorer = Scorer.build(params, fitted, sha256_file(paths.model), table)
    sets = {name: pq.read_table(paths.split(name)) for name in VALIDATION_SETS}
    out = {}
    model_map = estimators.Calibrated.calibrated
    for name, calibrated in (("isotonic_steps", steps), ("midpoints_joined", model_map)):
        estimators.Calibrated.calibrated = calibrated
        row = {}
        for set_name, rows in sets.items():
            served = scorer(rows["password"])
            y = rows["target"].to_numpy()
            seen_once = rows["seen_once"].to_numpy(zero_copy_only=False)
            m = evaluate.metrics(y, served["guesses_log10"], seen_once, cap)
            row[set_name] = {k: m[k] for k in ("spearman", "auc_seen_twice", "rmse", "within_1")}
            if set_name == "validation":
                modelled = served["guesses_log10"][served["source"] == "model"]
                row["bar"] = stillness(modelled)
                row["bar"]["raw_on_steps_wider_than_0.01"] = on_wide_steps(fitted, rows, name)
        out[name] = row
    estimators.Calibrated.calibrated = model_map
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
