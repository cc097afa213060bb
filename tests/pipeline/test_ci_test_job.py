"""The `.gitlab-ci.yml` `test` job executed under gitlab-ci-local (shell executor) in a copy of
the project at sample size: it runs `.ci/run`, CI's own script. A file of its own so that the
two xdist workers share the CI job tests (test_ci_jobs.py holds the reproduce job's)."""

from __future__ import annotations

import re

from .test_ci_jobs import run_jobs


def test_test_job_under_gitlab_ci_local_lints_and_runs_pytest(ci_repo, s3):
    """The job runs .ci/run: lint, the suite (a subset here: TESTS), then the fast suites
    under the other CPU path (OTHER_CPU_TESTS), with skips failing the run."""
    subset = "tests/code/test_config.py tests/code/test_verify.py"
    extra = {"TESTS": subset, "OTHER_CPU_TESTS": subset, "PYTEST_ADDOPTS": "-p no:cacheprovider"}
    proc = run_jobs(ci_repo, s3, "test", extra=extra)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "PASS  test" in proc.stdout
    assert "All checks passed!" in proc.stdout  # ruff ran
    ran = [int(n) for n in re.findall(r"(\d+) passed", proc.stdout)]
    assert len(ran) == 2 and min(ran) >= 10, proc.stdout[-2000:]  # make test, then the other path
    assert "cpu_path: numpy SIMD off" in proc.stdout
    assert not re.search(r"\d+ (failed|skipped)", proc.stdout), proc.stdout[-2000:]
