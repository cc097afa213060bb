"""Real `dvc repro` runs in a temporary git repository, on a 100k-row sample of RockYou."""

import json

import pyarrow.parquet as pq

from .conftest import output_hashes, ran_stages, set_params, sh

CHAIN = ["ingest", "validate", "split", "train", "evaluate", "gate", "predict"]


def test_repro_runs_every_stage_and_leaves_status_clean(repo):
    proc = sh(repo, "dvc", "repro")
    ran = ran_stages(proc.stdout)
    assert sorted(ran) == sorted([*CHAIN, "lookup", "compare"])
    assert [s for s in ran if s in CHAIN] == CHAIN
    assert ran.index("validate") < ran.index("lookup") < ran.index("predict")
    assert "Data and pipelines are up to date" in sh(repo, "dvc", "status").stdout
    assert json.loads((repo / "metrics/gate.json").read_text())["passed"] is True
    report = json.loads((repo / "metrics/validate.json").read_text())
    assert report["rows_in"] == 100_000 == report["rows_kept"] + report["rows_quarantined"]
    predictions = pq.read_table(repo / "data/predictions/test.parquet")
    assert predictions.num_rows == pq.read_metadata(repo / "data/split/test.parquet").num_rows
    assert (repo / "models/model.skops").stat().st_size > 0
    assert set(predictions["source"].to_pylist()) == {"leak"}  # every test password leaked
    e2e = json.loads((repo / "metrics/evaluate/metrics.json").read_text())["lookup_end_to_end"]
    assert 0 < e2e["found_share"] < 1


def test_nothing_changed_nothing_reruns(repo):
    proc = sh(repo, "dvc", "repro")
    assert ran_stages(proc.stdout) == []


def test_forced_rerun_is_byte_identical(repo):
    before = output_hashes(repo)
    lock = (repo / "dvc.lock").read_text()
    assert len(before) >= 12
    sh(repo, "dvc", "repro", "-f")
    assert output_hashes(repo) == before
    assert (repo / "dvc.lock").read_text() == lock


def test_train_param_change_reruns_only_train_and_after(repo):
    set_params(repo, {"train": {"alpha": 7.5}})
    proc = sh(repo, "dvc", "repro")
    assert sorted(ran_stages(proc.stdout)) == ["compare", "evaluate", "gate", "predict", "train"]
    assert ran_stages(sh(repo, "dvc", "repro").stdout) == []


def test_failed_gate_stops_before_predict_with_a_clear_message(repo):
    set_params(repo, {"gate": {"min_spearman_test_head": 0.999}})
    proc = sh(repo, "dvc", "repro", check=False)
    assert proc.returncode != 0
    assert "error in stage gate: model rejected: test_head.spearman" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "predict" not in ran_stages(proc.stdout)
