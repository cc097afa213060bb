"""Real `dvc repro` runs in a temporary git repository, on a 100k-row sample of RockYou.
One run is made per module; a test that changes params works on its own copy of it, so each
test holds whatever order the tests run in."""

import json

import pyarrow.parquet as pq
import pytest

from pwc.data.split import EVAL_SETS

from .conftest import copy_of, output_hashes, ran_stages, set_params, sh

CHAIN = ["ingest", "validate", "split", "train", "evaluate", "gate", "predict"]


@pytest.fixture(scope="module")
def first_run(sample_run):
    """A fresh repository, its first `dvc repro` (stdout), committed as a project would: the
    session's shared sample run (conftest.sample_run), only read here."""
    return sample_run


@pytest.fixture
def copy(first_run, tmp_path):
    """The first run's repository, copied (git, DVC cache and outputs) for one test."""
    return copy_of(first_run[0], tmp_path)


def test_repro_runs_every_stage_and_leaves_status_clean(first_run):
    repo, stdout = first_run
    ran = ran_stages(stdout)
    assert sorted(ran) == sorted([*CHAIN, "lookup", "range_index", "compare", "meter"])
    assert [s for s in ran if s in CHAIN] == CHAIN
    assert ran.index("validate") < ran.index("lookup") < ran.index("predict")
    assert ran.index("validate") < ran.index("range_index")
    assert ran.index("split") < ran.index("meter") < ran.index("evaluate")
    assert json.loads((repo / "metrics/gate.json").read_text())["passed"] is True
    report = json.loads((repo / "metrics/validate.json").read_text())
    assert report["rows_in"] == 100_000 == report["rows_kept"] + report["rows_quarantined"]
    ranged = json.loads((repo / "metrics/range.json").read_text())
    assert ranged["sha1"]["hashes"] == ranged["ntlm"]["hashes"] == report["rows_kept"]
    predictions = pq.read_table(repo / "data/predictions/test.parquet")
    assert predictions.num_rows == pq.read_metadata(repo / "data/split/test.parquet").num_rows
    assert (repo / "models/model.skops").stat().st_size > 0
    # every test password leaked: the leak answers, or brute force where it takes fewer guesses
    assert "leak" in set(predictions["source"].to_pylist()) <= {"leak", "brute_force"}
    metrics = json.loads((repo / "metrics/evaluate/metrics.json").read_text())
    for name in EVAL_SETS:
        assert {"served", "meter", "model", "constant", "slices"} <= set(metrics[name]), name
    assert (repo / "web/meter/meter.js").exists() and (repo / "web/meter/model.js").exists()
    compared = json.loads((repo / "metrics/compare.json").read_text())
    assert "meter" in compared["test_head"]["models"]
    e2e = metrics["lookup_end_to_end"]
    assert 0 < e2e["found_share"] < 1
    assert e2e["in_lookup"]["n"] + e2e["not_in_lookup"]["n"] == e2e["queries"]


def test_nothing_changed_nothing_reruns(copy):
    assert "Data and pipelines are up to date" in sh(copy, "dvc", "status").stdout
    assert ran_stages(sh(copy, "dvc", "repro").stdout) == []


def test_forced_rerun_is_byte_identical(copy):
    before = output_hashes(copy)
    lock = (copy / "dvc.lock").read_text()
    assert len(before) >= 14
    sh(copy, "dvc", "repro", "-f")
    assert output_hashes(copy) == before
    assert (copy / "dvc.lock").read_text() == lock


def test_train_param_change_reruns_only_train_and_after(copy):
    set_params(copy, {"train": {"alpha": 7.5}})
    proc = sh(copy, "dvc", "repro")
    assert sorted(ran_stages(proc.stdout)) == ["compare", "evaluate", "gate", "predict", "train"]
    assert ran_stages(sh(copy, "dvc", "repro").stdout) == []


def test_meter_param_change_reruns_the_meter_and_what_reads_it(copy):
    before = output_hashes(copy)
    set_params(copy, {"meter": {"trees": 10}})
    proc = sh(copy, "dvc", "repro")
    assert sorted(ran_stages(proc.stdout)) == ["compare", "evaluate", "gate", "meter"]
    after = output_hashes(copy)
    assert after["web/meter/model.js"] != before["web/meter/model.js"]
    assert after["models/model.skops"] == before["models/model.skops"]


def test_failed_gate_stops_before_predict_with_a_clear_message(copy):
    set_params(copy, {"gate": {"min_spearman_head": 0.999}})
    proc = sh(copy, "dvc", "repro", check=False)
    assert proc.returncode != 0
    assert "error in stage gate: model rejected: validation_head.served.spearman" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "predict" not in ran_stages(proc.stdout)
