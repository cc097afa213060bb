import numpy as np
import pyarrow as pa
import pytest

from pwc import evaluate
from pwc.config import GateParams
from pwc.gate import decide, failures


def test_perfect_and_constant_predictions():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    once = np.array([False, False, True, True])
    perfect = evaluate.metrics(y, y, once)
    assert (
        perfect["spearman"] == 1.0 and perfect["rmse"] == 0.0 and perfect["auc_seen_twice"] == 1.0
    )
    flat = evaluate.metrics(y, np.full(4, 2.5), once)
    assert flat["spearman"] == 0.0 and flat["auc_seen_twice"] == 0.5 and flat["r2"] == 0.0
    assert flat["within_1"] == 0.5


def test_slices_skip_undefined_spearman():
    table = pa.table(
        {
            "password": ["1234", "abcdefghijklmno", "ab1", "zz"],
            "target": [1.0, 7.0, 7.0, 7.0],
            "seen_once": [False, True, True, True],
        }
    )
    pred = np.array([1.5, 6.0, 6.5, 6.9])
    out = evaluate.evaluate_set(table, pred, constant=5.0)
    slices = out["slices"]
    assert slices["digits_only"]["n"] == 1 and slices["letters_only"]["n"] == 2
    assert slices["len_13_up"]["n"] == 1 and slices["len_9_12"] == {"n": 0}
    assert "spearman" not in slices["tail"]  # targets all equal there
    assert out["constant"]["rmse"] > out["model"]["rmse"]


def test_roc_points_are_on_a_fixed_grid():
    rng = np.random.default_rng(0)
    pred = rng.normal(size=1000)
    seen = pred + rng.normal(size=1000) < 0
    pts = evaluate.roc_points(seen, pred, points=11)
    assert [p["fpr"] for p in pts] == pytest.approx(np.linspace(0, 1, 11))
    assert pts[0]["tpr"] >= 0.0 and pts[-1]["tpr"] == 1.0


def _results(spearman_head, rmse, const_rmse):
    block = {"spearman": 0.3, "auc_seen_twice": 0.75, "rmse": rmse}
    head = {**block, "spearman": spearman_head}
    return {
        "test": {"model": block, "constant": {"rmse": const_rmse}},
        "test_head": {"model": head, "constant": {"rmse": const_rmse}},
    }


def test_gate_passes_and_fails_with_reasons():
    params = GateParams(min_spearman_test_head=0.5, min_auc_test_head=0.7, min_spearman_test=0.2)
    assert decide(_results(0.6, 1.0, 2.0), params)["passed"]
    low = decide(_results(0.4, 1.0, 2.0), params)
    assert not low["passed"]
    assert failures(low) == "test_head.spearman = 0.4 (needs >= 0.5)"
    worse = decide(_results(0.6, 2.0, 2.0), params)
    assert "test.rmse vs constant = 2.0 (needs < 2.0)" in failures(worse)


def test_rmsle_on_times_where_the_source_has_counts():
    train = pa.table({"target": [0.0, 1.0, 2.0], "times": pa.array([99, 9, 1], pa.int64())})
    times_map = evaluate.TimesMap.from_table(train)
    assert times_map.rmsle(np.array([0.0, 2.0]), np.array([99.0, 1.0])) == 0.0
    test = pa.table(
        {
            "password": ["a", "b"],
            "target": [0.0, 2.0],
            "seen_once": [False, True],
            "times": pa.array([99, 1], pa.int64()),
        }
    )
    out = evaluate.evaluate_set(test, np.array([0.0, 2.0]), constant=1.0, times_map=times_map)
    assert out["model"]["rmsle_times"] == 0.0
    assert out["constant"]["rmsle_times"] > 1.0
    rockyou_like = pa.table({"target": [1.0], "times": pa.nulls(1, pa.int64())})
    assert evaluate.TimesMap.from_table(rockyou_like) is None
