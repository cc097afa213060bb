"""The scheduled retrain ships a candidate only past the gate and above production, judged
on the validation figure the sweeps rank by; `python -m pwc.ops.retrain check` is the CI step."""

import json
import subprocess

import pytest
import yaml
from gto import api

from pwc.ops import registry, retrain
from pwc.ops.experiments import PRIMARY
from pwc.ops.retrain import refusal

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


def test_it_ships_only_a_better_model_that_passed_the_gate():
    assert PRIMARY[0].startswith("validation")
    assert refusal(metrics(0.66), metrics(0.65), PASSED) is None
    assert refusal(metrics(0.70), None, PASSED) is None  # no production model yet


def test_equal_or_worse_is_refused_with_the_figures():
    reason = refusal(metrics(0.65), metrics(0.65), PASSED)
    assert "0.650000 does not beat production 0.650000" in reason
    assert "does not beat" in refusal(metrics(0.651), metrics(0.65), PASSED, min_gain=0.01)


def test_production_without_the_figure_leaves_the_gate_as_the_bar():
    old_format = {"test_head": {"model": {"spearman": 0.99}}}
    assert refusal(metrics(0.5), old_format, PASSED) is None


def test_gate_failure_names_the_failed_checks():
    gate = {"passed": False, "checks": [{"check": "validation.spearman", "passed": False}]}
    assert refusal(metrics(0.9), metrics(0.1), gate) == (
        "the gate rejected the candidate (failed: validation.spearman)"
    )


def _git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    """A git repository whose commits hold production metrics (tags first, worse, better)
    and, in the working tree, a candidate's metrics and gate decision as `dvc repro` leaves
    them (paths from params.yaml)."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    metrics_file = tmp_path / params["paths"]["evaluate_dir"] / "metrics.json"
    metrics_file.parent.mkdir(parents=True)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "params.yaml")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    _git(tmp_path, "tag", "first")
    for name, value in (("worse", 0.6), ("better", 0.8)):
        metrics_file.write_text(json.dumps(metrics(value)))
        _git(tmp_path, "add", "-A")
        _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", name)
        _git(tmp_path, "tag", name)
    metrics_file.write_text(json.dumps(metrics(0.7)))  # the candidate, not committed
    (tmp_path / params["paths"]["gate"]).write_text(json.dumps(PASSED))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_ci_step_exit_codes(run_dir, capsys):
    assert retrain.main(["check", "worse"]) == 0
    assert "retrain: shipping" in capsys.readouterr().out
    assert retrain.main(["check", "better"]) == 1
    assert "does not beat production 0.800000" in capsys.readouterr().err
    assert retrain.main(["check", "first"]) == 0  # no production metrics yet: the gate decides
    assert retrain.main(["check", "worse", "0.2"]) == 1  # must beat it by 0.2
    assert retrain.main(["check", "no-such-rev"]) == 2
    assert "'no-such-rev' not found" in capsys.readouterr().err
    assert retrain.main(["verify"]) == 2  # usage
    assert "usage" in capsys.readouterr().out


def test_without_a_rev_production_is_the_model_in_prod(run_dir, capsys, monkeypatch):
    for key in ("NAME", "EMAIL"):
        monkeypatch.setenv(f"GIT_COMMITTER_{key}", "t" if key == "NAME" else "t@t")
    assert retrain.main(["check"]) == 0  # nothing in prod yet: the gate decides
    assert "no model in prod yet" in capsys.readouterr().out
    api.register(".", "model", "better")
    api.assign(".", "model", "prod", version="v0.0.1")
    assert retrain.main(["check"]) == 1  # 0.7 against prod's 0.8
    assert "does not beat production 0.800000" in capsys.readouterr().err
    api.register(".", "model", "worse")
    api.assign(".", "model", "prod", version="v0.0.2")  # prod moves to the worse model
    assert retrain.main(["check"]) == 0
    _git(run_dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "candidate")
    assert retrain.main(["register", "staging"]) == 0
    assert "registered model v0.0.3 in ['staging']" in capsys.readouterr().out
    assert retrain.main(["register", "staging"]) == 0  # HEAD has its version: no new tag
    tags = _git(run_dir, "tag", "--points-at", "HEAD").stdout.split()
    assert sorted(tags) == ["model#staging#3", "model@v0.0.3"]
    assert registry.version_in("prod") == "v0.0.2"  # prod is a person's call (make promote)


def test_ci_step_refuses_a_candidate_the_gate_rejected(run_dir, capsys):
    gate = {"passed": False, "checks": [{"check": "validation_head.served.spearman"}]}
    (run_dir / "metrics/gate.json").write_text(json.dumps(gate))
    assert retrain.main(["check", "first"]) == 1
    assert "gate rejected the candidate" in capsys.readouterr().err


def test_reasons_are_exact_and_name_every_failed_check():
    gate = {
        "passed": False,
        "checks": [
            {"check": "a", "passed": False},
            {"check": "b", "passed": True},
            {"check": "c", "passed": False},
        ],
    }
    assert refusal(metrics(0.9), None, gate) == "the gate rejected the candidate (failed: a, c)"
    # a gate file without its checks still refuses, and says it cannot tell which
    assert refusal(metrics(0.9), None, {"passed": False}) == (
        "the gate rejected the candidate (failed: unknown)"
    )
    assert refusal(metrics(0.65), metrics(0.65), PASSED) == (
        "validation_head.served.spearman 0.650000 does not beat production 0.650000 "
        "(by more than 0)"
    )


def test_ci_step_says_what_ships_and_refuses_a_short_command(run_dir, capsys):
    assert retrain.main(["check", "worse"]) == 0
    assert (
        capsys.readouterr().out == "retrain: shipping, validation_head.served.spearman = 0.700000\n"
    )
    for argv in (["check", "worse", "0", "extra"], ["register"], ["tag", "worse"]):
        assert retrain.main(argv) == 2, argv
        assert capsys.readouterr().out == retrain.USAGE + "\n"
