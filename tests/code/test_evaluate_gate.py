import numpy as np
import pyarrow as pa
import pytest

from pwc.config import GateParams, with_changes
from pwc.data.split import VALIDATION_SETS
from pwc.evaluation import evaluate
from pwc.evaluation.gate import decide, failures


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
    served = np.array([1.5, 6.0, 6.5, 6.9])
    model = np.array([1.5, 6.0, 6.5, 9.0])
    out = evaluate.evaluate_set(table, served, model, constant=5.0)
    slices = out["slices"]
    assert slices["digits_only"]["n"] == 1 and slices["letters_only"]["n"] == 2
    assert slices["len_13_up"]["n"] == 1 and slices["len_9_12"] == {"n": 0}
    assert "spearman" not in slices["tail"]  # targets all equal there
    assert out["constant"]["rmse"] > out["served"]["rmse"]
    # served and model are scored apart; slices describe the served scorer
    assert out["model"]["rmse"] > out["served"]["rmse"]
    assert slices["len_13_up"]["rmse"] == pytest.approx(abs(6.0 - 7.0))


def test_roc_points_are_on_a_fixed_grid_and_agree_with_the_auc():
    rng = np.random.default_rng(0)
    pred = rng.normal(size=5000)
    seen = pred + rng.normal(size=5000) < 0  # weaker (lower) predictions: seen more often
    pts = evaluate.roc_points(seen, pred, points=101)
    fpr, tpr = np.array([p["fpr"] for p in pts]), np.array([p["tpr"] for p in pts])
    assert fpr == pytest.approx(np.linspace(0, 1, 101))
    assert tpr[-1] == 1.0 and (np.diff(tpr) >= 0).all()  # a curve ends at (1, 1), never falls
    area = float(np.sum((tpr[1:] + tpr[:-1]) / 2 * np.diff(fpr)))
    auc = evaluate.metrics(np.where(seen, 0.0, 1.0), pred, ~seen)["auc_seen_twice"]
    assert auc > 0.7 and area == pytest.approx(auc, abs=0.01)
    # a useless score gives the diagonal
    flat = evaluate.roc_points(seen, np.zeros(5000), points=11)
    assert [p["tpr"] for p in flat] == pytest.approx(np.linspace(0, 1, 11))


def _results(spearman_head, rmse, const_rmse):
    block = {"spearman": 0.3, "auc_seen_twice": 0.75, "rmse": rmse}
    head = {**block, "spearman": spearman_head}
    perfect = {"spearman": 1.0, "auc_seen_twice": 1.0, "rmse": 0.0}
    return {
        "validation": {"served": block, "model": perfect, "constant": {"rmse": const_rmse}},
        "validation_head": {"served": head, "model": perfect, "constant": {"rmse": const_rmse}},
        # test figures never decide: a failing test set must not move the gate
        "test": {"served": {**block, "spearman": -1.0}, "constant": {"rmse": 0.0}},
        "test_head": {"served": {**head, "spearman": -1.0}, "constant": {"rmse": 0.0}},
    }


def test_binned_quantiles_cover_every_row_and_match_each_bins_own_quantiles():
    rng = np.random.default_rng(3)
    target = np.concatenate([rng.uniform(0, 7, 5_000), np.full(20_000, 6.93)])  # a tail block
    pred = target + rng.normal(0, 0.5, target.size)
    rows = evaluate.binned_quantiles(target, pred, 0.25)
    assert sum(r["rows"] for r in rows) == target.size  # every row, no sample
    assert [r["target"] for r in rows] == sorted(r["target"] for r in rows)
    for row in rows:
        inside = np.abs(target - row["target"]) <= 0.125
        assert inside.sum() == row["rows"]
        for name, q in evaluate.QUANTILES.items():
            assert row[name] == pytest.approx(np.quantile(pred[inside], q), abs=1e-6)
        assert row["q10"] <= row["q25"] <= row["median"] <= row["q75"] <= row["q90"]
    tail = next(r for r in rows if r["target"] == 6.875)
    assert tail["rows"] >= 20_000


def test_gate_decides_on_the_served_validation_figures_with_reasons():
    params = GateParams(min_spearman_head=0.5, min_auc_head=0.7, min_spearman=0.2)
    assert decide(_results(0.6, 1.0, 2.0), params)["passed"]
    low = decide(_results(0.4, 1.0, 2.0), params)
    assert not low["passed"]  # the model-alone figures (perfect here) are not what ships
    assert failures(low) == "validation_head.served.spearman = 0.4 (needs >= 0.5)"
    worse = decide(_results(0.6, 2.0, 2.0), params)
    assert "validation.served.rmse vs constant = 2.0 (needs < 2.0)" in failures(worse)
    checked = {c["check"].split(".")[0] for c in decide(_results(0.6, 1, 2), params)["checks"]}
    assert checked == set(VALIDATION_SETS)


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
    exact = np.array([0.0, 2.0])
    out = evaluate.evaluate_set(test, exact, exact, constant=1.0, times_map=times_map)
    assert out["served"]["rmsle_times"] == 0.0 and out["model"]["rmsle_times"] == 0.0
    assert out["constant"]["rmsle_times"] > 1.0
    rockyou_like = pa.table({"target": [1.0], "times": pa.nulls(1, pa.int64())})
    assert evaluate.TimesMap.from_table(rockyou_like) is None


def test_a_value_exactly_at_each_threshold_passes_and_just_below_fails():
    """The gate's rule is `>=`: a model that meets a goal to the last bit ships (the
    thresholds equal _results' figures: spearman_head 0.6, auc_head 0.75, spearman 0.3)."""
    params = GateParams(min_spearman_head=0.6, min_auc_head=0.75, min_spearman=0.3)
    at = decide(_results(0.6, 1.0, 2.0), params)
    assert at["passed"] and all(c["passed"] for c in at["checks"]), failures(at)
    for field, threshold in params.model_dump().items():
        below = with_changes(params, **{field: np.nextafter(threshold, np.inf)})
        decision = decide(_results(0.6, 1.0, 2.0), below)
        assert not decision["passed"], field
        assert [c["rule"] for c in decision["checks"] if not c["passed"]] == [">="], field
    # the rmse rule is strict: equal to the constant's is not better than the constant
    tie = decide(_results(0.6, 2.0, 2.0), params)
    assert [c["check"] for c in tie["checks"] if not c["passed"]] == [
        "validation.served.rmse vs constant",
        "validation_head.served.rmse vs constant",
    ]


def test_a_missing_figure_fails_its_check_and_every_failure_is_listed():
    """A set without a figure (Spearman undefined: every target equal) cannot pass."""
    params = GateParams(min_spearman_head=0.5, min_auc_head=0.7, min_spearman=0.2)
    decision = decide(_results(None, 2.0, 2.0), params)
    assert decision["passed"] is False
    assert [c["passed"] for c in decision["checks"]] == [False, True, True, False, False]
    assert failures(decision) == (
        "validation_head.served.spearman = None (needs >= 0.5); "
        "validation.served.rmse vs constant = 2.0 (needs < 2.0); "
        "validation_head.served.rmse vs constant = 2.0 (needs < 2.0)"
    )
