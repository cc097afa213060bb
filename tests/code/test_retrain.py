"""The scheduled retrain ships a candidate only past the gate and above production, judged
on the validation figure the sweeps rank by; `python -m pwc.retrain check` is the CI step."""

import json

import pytest
import yaml

from pwc import retrain
from pwc.experiments import PRIMARY
from pwc.retrain import decide

from ..conftest import ROOT


def metrics(value: float) -> dict:
    doc: dict = {}
    node = doc
    for key in PRIMARY[:-1]:
        node = node.setdefault(key, {})
    node[PRIMARY[-1]] = value
    # test figures must never decide: make them contradict the validation figure
    doc["test_head"] = {"served": {"spearman": 1.0 - value}}
    return doc


PASSED = {"passed": True, "checks": []}


def test_ships_only_a_better_model_that_passed_the_gate():
    assert PRIMARY[0].startswith("validation")
    assert decide(metrics(0.66), metrics(0.65), PASSED) is None
    assert decide(metrics(0.70), None, PASSED) is None  # no production model yet


def test_equal_or_worse_is_refused_with_the_figures():
    reason = decide(metrics(0.65), metrics(0.65), PASSED)
    assert "0.650000 does not beat production 0.650000" in reason
    assert "does not beat" in decide(metrics(0.651), metrics(0.65), PASSED, min_gain=0.01)


def test_production_without_the_figure_leaves_the_gate_as_the_bar():
    old_format = {"test_head": {"model": {"spearman": 0.99}}}
    assert decide(metrics(0.5), old_format, PASSED) is None


def test_gate_failure_names_the_failed_checks():
    gate = {"passed": False, "checks": [{"check": "validation.spearman", "passed": False}]}
    assert decide(metrics(0.9), metrics(0.1), gate) == (
        "the gate rejected the candidate (failed: validation.spearman)"
    )


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    """params.yaml and a candidate's metrics and gate decision, as `dvc repro` leaves them."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    metrics_file = tmp_path / params["paths"]["evaluate_dir"] / "metrics.json"
    metrics_file.parent.mkdir(parents=True)
    metrics_file.write_text(json.dumps(metrics(0.7)))
    (tmp_path / params["paths"]["gate"]).write_text(json.dumps(PASSED))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_ci_step_exit_codes(run_dir, capsys):
    better, worse, empty = (run_dir / n for n in ("better.json", "worse.json", "empty.json"))
    worse.write_text(json.dumps(metrics(0.6)))
    better.write_text(json.dumps(metrics(0.8)))
    empty.write_text("")  # `git show ... || true` on the first run: an empty file
    assert retrain.main(["check", str(worse)]) == 0
    assert "retrain: shipping" in capsys.readouterr().out
    assert retrain.main(["check", str(better)]) == 1
    assert "does not beat production 0.800000" in capsys.readouterr().err
    assert retrain.main(["check", str(empty)]) == 0  # no production model: the gate decides
    assert retrain.main(["check", str(worse), "0.2"]) == 1  # must beat it by 0.2
    assert retrain.main(["verify"]) == 2  # usage
    assert "usage" in capsys.readouterr().out


def test_ci_step_refuses_a_candidate_the_gate_rejected(run_dir, capsys):
    gate = {"passed": False, "checks": [{"check": "validation_head.served.spearman"}]}
    (run_dir / "metrics/gate.json").write_text(json.dumps(gate))
    (run_dir / "worse.json").write_text(json.dumps(metrics(0.1)))
    assert retrain.main(["check", str(run_dir / "worse.json")]) == 1
    assert "gate rejected the candidate" in capsys.readouterr().err
