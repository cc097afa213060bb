"""The merge-request report on real DVC output: a tiny DVC project with params, metrics and a
plot; a change to a parameter; `python -m pwc.ops.mr_report --base HEAD --post` must parse what
`dvc params/metrics/plots diff` really print and post it to a recording GitLab stand-in."""

from __future__ import annotations

import json

import pytest
import yaml

from pwc.ops import mr_report

from .conftest import init_and_commit, sh

STAGE = """
import json, os, yaml
alpha = yaml.safe_load(open("params.yaml"))["train"]["alpha"]
os.makedirs("metrics", exist_ok=True)
json.dump({"validation": {"served": {"spearman": round(0.5 + alpha / 100, 4)}}},
          open("metrics/scores.json", "w"))
json.dump([{"fpr": f / 4, "tpr": min(1.0, f / 4 * (1 + alpha / 10))} for f in range(5)],
          open("metrics/roc.json", "w"))
"""


@pytest.fixture
def changed_project(tmp_path, monkeypatch):
    repo = tmp_path / "tiny"
    repo.mkdir()
    (repo / "params.yaml").write_text(yaml.safe_dump({"train": {"alpha": 3}}))
    (repo / "stage.py").write_text(STAGE)
    stage = {
        "cmd": "python stage.py",
        "deps": ["stage.py"],
        "params": ["train.alpha"],
        "metrics": [{"metrics/scores.json": {"cache": False}}],
        "plots": [{"metrics/roc.json": {"cache": False, "x": "fpr", "y": "tpr"}}],
    }
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"score": stage}}))
    init_and_commit(repo, "base", repro=True)
    (repo / "params.yaml").write_text(yaml.safe_dump({"train": {"alpha": 7}}))
    sh(repo, "dvc", "repro")
    monkeypatch.chdir(repo)
    return repo


def test_report_from_real_dvc_diffs_is_posted(changed_project, gitlab_api, capsys):
    assert mr_report.main(["--base", "HEAD", "--post"]) == 0
    upload, note = gitlab_api
    assert upload["path"].endswith("/uploads") and b"\x89PNG" in upload["body"]
    body = json.loads(note["body"])["body"]
    # DVC's own markdown tables, with the values before and after
    assert "train.alpha" in body and "| 3 " in body and "| 7 " in body
    assert "validation.served.spearman" in body and "0.53" in body and "0.57" in body
    # the answer first: the served metric and its change, in at most 15 lines
    first_screen = body.split("<details>")[0].strip().splitlines()
    assert len(first_screen) <= 15 and "| validation | 0.5700 (+0.0400) | n/a |" in first_screen
    assert "![plot](/uploads/abc/plot-0.png)" in body and "metrics/roc.json" in body
    assert "glpat-test-token" not in capsys.readouterr().out


def test_nothing_changed_says_so(changed_project, capsys):
    sh(changed_project, "git", "add", "-A")
    sh(changed_project, "git", "commit", "-qm", "alpha 7")
    assert mr_report.main(["--base", "HEAD"]) == 0
    out = capsys.readouterr().out
    assert "No params changed." in out and "No metrics changed." in out
    assert "No plot changed." in out


def test_a_base_dvc_does_not_know_is_an_error_not_an_empty_report(changed_project, capsys):
    assert mr_report.main(["--base", "no-such-branch"]) == 1
    assert "`dvc params diff no-such-branch --md` failed" in capsys.readouterr().err
