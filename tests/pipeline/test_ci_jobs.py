"""`.gitlab-ci.yml` jobs executed for real, in a copy of the project at sample size.

The reproduce job is the reproducibility gate: run as its script and under gitlab-ci-local
(shell executor), it passes on a commit whose dvc.lock and metrics came from a real run, and
fails when the committed dvc.lock (another machine's model hash) or a metrics file is not
what the pipeline produces. The test job: test_ci_test_job.py.
"""

from __future__ import annotations

import contextlib
import os
import subprocess

import yaml

from ..conftest import ROOT
from .conftest import BIN, gitlab_ci_local, job_env, sh


def job_script(job: str) -> str:
    lines = []
    for line in yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())[job]["script"]:
        lines.extend(line if isinstance(line, list) else [line])  # anchors nest lists
    return "\n".join(lines)


def fresh_clone(repo) -> None:
    """Back to what a runner checks out: no outputs, no DVC cache, no local config."""
    sh(repo, "git", "reset", "-q", "--hard")
    sh(repo, "git", "clean", "-q", "-fdx", "-e", ".venv")


def commit_tampered(repo, path: str, old: str, new: str) -> None:
    text = (repo / path).read_text()
    assert old in text, (path, old)
    (repo / path).write_text(text.replace(old, new))
    sh(repo, "git", "commit", "-qam", f"tampered {path}")


def run_script(repo, s3) -> subprocess.CompletedProcess:
    """The reproduce job's script lines in one bash, as the runner runs them."""
    fresh_clone(repo)
    env = {**os.environ, **job_env(s3), "PATH": f"{BIN}:{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", job_script("reproduce")],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def run_jobs(repo, s3, *jobs: str, extra: dict | None = None):
    fresh_clone(repo)
    return gitlab_ci_local(repo, *jobs, variables={**job_env(s3), **(extra or {})}, timeout=900)


@contextlib.contextmanager
def tampered(repo):
    """Commits made inside are undone on the way out, whether the test passed or not."""
    head = sh(repo, "git", "rev-parse", "HEAD").stdout.strip()
    try:
        yield
    finally:
        sh(repo, "git", "reset", "-q", "--hard", head)


def test_reproduce_gate_names_a_tampered_metrics_file_and_a_lock_only_head_shows(ci_repo, s3):
    """The job's script on two faults (that it passes on a real run is shown under
    gitlab-ci-local below): a committed metrics file that is not what evaluate writes, and a
    committed lock whose outputs match but whose record does not (a stale code hash). Every
    output verifies; DVC rewrites the lock and, with autostage, stages it, so compared with
    the index only the metrics file would show. The gate compares with HEAD and lists both."""
    lock = yaml.safe_load((ci_repo / "dvc.lock").read_text())
    code = next(d for d in lock["stages"]["gate"]["deps"] if d["path"].endswith("gate.py"))
    with tampered(ci_repo):
        commit_tampered(
            ci_repo, "metrics/evaluate/metrics.json", '"spearman": 0.', '"spearman": 0.9'
        )
        commit_tampered(ci_repo, "dvc.lock", code["md5"], "0123456789abcdef0123456789abcdef")
        failed = run_script(ci_repo, s3)
        assert "verified: every output" in failed.stdout  # the outputs are not what differs
        staged = sh(ci_repo, "git", "diff", "--cached", "--name-only").stdout.split()
        unstaged = sh(ci_repo, "git", "diff", "--name-only").stdout.split()
        assert "dvc.lock" in staged and "dvc.lock" not in unstaged  # what autostage leaves
        assert failed.returncode != 0
        listed = failed.stdout.split("not reproduced, differs from the commit:\n", 1)[-1]
        listed = listed.splitlines()
        assert "M  dvc.lock" in listed and " M metrics/evaluate/metrics.json" in listed, listed[:5]


def test_reproduce_job_under_gitlab_ci_local_passes_then_catches_another_machines_lock(ci_repo, s3):
    passed = run_jobs(ci_repo, s3, "reproduce")
    assert passed.returncode == 0, passed.stdout[-4000:]
    assert "PASS  reproduce" in passed.stdout
    lock = yaml.safe_load((ci_repo / "dvc.lock").read_text())
    model = next(o for o in lock["stages"]["train"]["outs"] if o["path"] == "models/model.skops")
    # a lock whose model another machine trained: same code and data, other bytes
    with tampered(ci_repo):
        commit_tampered(ci_repo, "dvc.lock", model["md5"], "0123456789abcdef0123456789abcdef")
        failed = run_jobs(ci_repo, s3, "reproduce")
        assert failed.returncode != 0
        assert "FAIL  reproduce" in failed.stdout
        assert "models/model.skops (stage train): same code, params and inputs" in failed.stdout
