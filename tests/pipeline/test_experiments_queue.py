"""The sweep helper (pwc.ops.experiments) against real DVC: `dvc queue status` as DVC prints it,
a queue whose workers are gone (restarted, bounded, then a loud failure), ranking from real
`dvc exp show --json`, and `best` applying the winner. A tiny DVC project keeps it quick:
one stage writing the metric the sweeps rank by."""

from __future__ import annotations

import json

import pytest
import yaml

from pwc.ops import experiments
from tests.project import PARAMS, ROOT

from .conftest import init_and_commit, sh

METRICS = PARAMS.paths.evaluate_metrics.as_posix()
# the sweeps' parameter: train.alpha of the project's own params.yaml
WRITE_METRIC = f"""
import json, os, yaml
x = yaml.safe_load(open("params.yaml"))["train"]["alpha"]
os.makedirs(os.path.dirname("{METRICS}"), exist_ok=True)
doc = {{"validation_head": {{"served": {{"spearman": x / 10}}}}}}
doc["test_head"] = {{"served": {{"spearman": 1 - x / 10}}}}  # never what ranks
json.dump(doc, open("{METRICS}", "w"))
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    repo = tmp_path / "tiny"
    repo.mkdir()
    (repo / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    (repo / "write_metric.py").write_text(WRITE_METRIC)
    stage = {
        "cmd": "python write_metric.py",
        "deps": ["write_metric.py"],
        "params": ["train.alpha"],
        "metrics": [{METRICS: {"cache": False}}],
    }
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"score": stage}}))
    init_and_commit(repo, "baseline", repro=True)
    monkeypatch.chdir(repo)  # pwc.ops.experiments runs DVC in the working directory
    yield repo
    sh(repo, "dvc", "queue", "stop", "--kill", check=False)


def test_real_queue_status_is_parsed(project):
    status = experiments.dvc("queue", "status")
    assert "Worker status:" in status  # the line _workers reads, as DVC prints it
    assert experiments._workers(status) == 0


def test_a_queue_without_workers_is_restarted_ranked_and_the_best_applied(project, capsys):
    sh(project, "dvc", "exp", "run", "--queue", "-S", "train.alpha=3,9,5")
    status = experiments.dvc("queue", "status")
    assert status.count("Queued") == 3 and experiments._workers(status) == 0
    # nothing runs the queue: wait must notice, start workers itself, and then finish
    experiments.wait(poll=1.0, timeout=300, jobs=2, restarts=1)
    assert "no queue worker alive with experiments queued" in capsys.readouterr().out
    ranking = experiments.ranked(json.loads(experiments.dvc("exp", "show", "--json")), METRICS)
    assert [round(value, 6) for _, value in ranking] == [0.9, 0.5, 0.3]
    assert experiments.main(["best"]) == 0
    assert yaml.safe_load((project / "params.yaml").read_text())["train"]["alpha"] == 9
    sh(project, "dvc", "repro")
    metrics = json.loads((project / METRICS).read_text())
    assert experiments.primary(metrics) == 0.9


def test_a_stalled_queue_fails_loudly_instead_of_hanging(project):
    sh(project, "dvc", "exp", "run", "--queue", "-S", "train.alpha=2")
    with pytest.raises(SystemExit, match="experiments queued but no queue worker runs"):
        experiments.wait(poll=0.2, timeout=60, jobs=1, restarts=0)
    sh(project, "dvc", "queue", "remove", "--all")


def test_best_without_experiments_says_what_to_do(project):
    with pytest.raises(SystemExit, match="run `make sweep` first"):
        experiments.main(["best"])
