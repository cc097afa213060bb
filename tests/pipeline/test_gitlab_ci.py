"""`.gitlab-ci.yml`: the jobs the team workflow needs, checked by parsing it and by
gitlab-ci-local (npm) when npm and rsync are here."""

from __future__ import annotations

import importlib.util
import re

import pytest
import yaml

from ..conftest import ROOT
from .conftest import gitlab_ci_local

CI = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())
JOBS = {k: v for k, v in CI.items() if isinstance(v, dict) and "script" in v}


def _script(job: str) -> str:
    lines = []
    for line in JOBS[job]["script"]:
        lines.extend(line if isinstance(line, list) else [line])
    return "\n".join(lines)


def test_jobs_and_what_they_run():
    assert set(JOBS) == {
        "test", "reproduce", "report", "retrain", "image-fetch", "image-build", "sweep"
    }  # fmt: skip
    trigger = CI["sweep-run"]["trigger"]  # the CI sweep's child pipeline, from sweep's artifact
    assert trigger["include"] == [{"artifact": "sweep-pipeline.yml", "job": "sweep"}]
    assert "pwc.ops.ci_sweep generate" in _script("sweep")
    assert all(job["stage"] in CI["stages"] for job in JOBS.values())
    # one script for both: the GitLab job runs what CI runs on a submission
    assert _script("test") == "bash .ci/run"
    run = (ROOT / ".ci/run").read_text()
    assert "PWC_NO_SKIPS=1 make test\n" in run and "PWC_NO_SKIPS=1 make test-other-cpu\n" in run
    for package in ("rsync", "chromium", "npm"):  # what the skipping tests need
        assert package in run.split("for tool in", 1)[1].split(";", 1)[0], package
    assert "python -m pwc.ops.verify" in _script("reproduce")  # every stage rerun, then compared
    assert "git status --porcelain --untracked-files=no" in _script("reproduce")
    assert "pwc.ops.mr_report" in _script("report") and "--post" in _script("report")
    retrain = _script("retrain")
    for step in ("pwc.ops.retrain check", "dvc push", "retrain register", "git push"):
        assert step in retrain, step
    assert "/kaniko/executor" in _script("image-build")
    for module in re.findall(r"python -m ([\w.]+)", "\n".join(map(_script, JOBS))):
        assert importlib.util.find_spec(module), module


def test_no_secret_is_written_into_the_file():
    text = (ROOT / ".gitlab-ci.yml").read_text()
    assert not re.search(r"(glpat-|AKIA)[0-9A-Za-z]", text)
    assert "${PWC_GITLAB_TOKEN}" in text  # the token only comes from a CI/CD variable


@pytest.mark.parametrize(
    ("source", "jobs"),
    [
        ("push", {"test", "reproduce"}),
        ("merge_request_event", {"test", "reproduce", "report"}),
        ("schedule", {"retrain"}),
    ],
)
def test_gitlab_ci_local_validates_the_file_and_the_rules(source, jobs):
    proc = gitlab_ci_local(ROOT, "--list", variables={"CI_PIPELINE_SOURCE": source}, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "json schema validated" in proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("name "))
    listed = {line.split()[0] for line in lines[header + 1 :] if line.strip()}
    assert jobs <= listed, proc.stdout
    assert ("retrain" in listed) == (source == "schedule")
