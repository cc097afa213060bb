"""A sweep on CI runners, run with gitlab-ci-local as GitLab would: the `sweep` job writes the
child pipeline, its point jobs run concurrently (each its own copy of the repository, shell
isolation), one is killed mid-run, and `collect` ranks the rest and posts to a recording
"GitLab" on 127.0.0.1. A bare git repository is `origin`, moto's S3 the DVC remote.

gitlab-ci-local does not spawn `trigger:` child pipelines (firecow/gitlab-ci-local#94), so
the test runs the generator job, then the generated file with --file: the files GitLab runs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil
import pytest
import yaml

from .conftest import gitlab_ci_local, job_env, sh
from .test_ci_jobs import fresh_clone

SWEEP = {"rank_by": "validation_head.served.spearman", "direction": "max"}
SWEEP["grid"] = {"train.alpha": [0.3, 3, 30, 300]}
KILLED = "tiny-3"
KILL_AFTER = 3.0  # seconds into its `dvc exp run`
_GCL_STATE = shutil.ignore_patterns(".gitlab-ci-local")


class _Recorder(BaseHTTPRequestHandler):
    notes: list[tuple[str, dict]] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.notes.append((self.path, json.loads(body or b"{}")))
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": 1}')

    def log_message(self, *args):  # quiet
        pass


def _doomed_point_running(name: str) -> bool:
    """Whether the point job `name` has reached `dvc exp run -n name`."""
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if "exp" in cmd and "run" in cmd and name in cmd:
            return True
    return False


@pytest.fixture(scope="module")
def swept(ci_repo, s3, tmp_path_factory):
    """The whole CI sweep, once: (repo, collect's output, recorded notes, job outputs)."""
    origin = tmp_path_factory.mktemp("origin") / "project.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    fresh_clone(ci_repo)
    (ci_repo / "sweeps" / "tiny.yaml").write_text(yaml.safe_dump(SWEEP, sort_keys=False))
    sh(ci_repo, "git", "add", "sweeps/tiny.yaml")
    sh(ci_repo, "git", "commit", "-qm", "a sweep to run on CI")
    sh(ci_repo, "git", "remote", "add", "origin", str(origin))
    sh(ci_repo, "git", "push", "-q", "origin", "HEAD:refs/heads/main")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gitlab = {
        "CI_API_V4_URL": f"http://127.0.0.1:{server.server_port}/api/v4",
        "CI_PROJECT_ID": "42",
        "PWC_SWEEP_MR": "7",  # a sweep started by hand on the branch names its merge request
        "PWC_GITLAB_TOKEN": "test-token",
    }
    # four point jobs on this machine's 2 cores, as on a runner that takes several jobs at
    # once: one OpenMP thread each, as such a runner's admin sets (README, "Sweeps at any
    # size"); with two apiece each training took 85 s instead of 10
    variables = {**job_env(s3), "SWEEP": "tiny", "OMP_NUM_THREADS": "1"}
    try:
        generated = gitlab_ci_local(ci_repo, "sweep", variables=variables)
        assert generated.returncode == 0, generated.stdout[-3000:]
        # the killed point's job runs from a copy: on GitLab every job has its own runner, and
        # two gitlab-ci-local runs must not share one .gitlab-ci-local directory
        elsewhere = tmp_path_factory.mktemp("runner") / "repo"
        shutil.copytree(ci_repo, elsewhere, symlinks=True, ignore=_GCL_STATE)
        child = ["--file", "sweep-pipeline.yml", "--shell-isolation"]
        points = [f"tiny-{i}" for i in range(len(SWEEP["grid"]["train.alpha"]) - 1)]
        start = time.monotonic()
        result = {}
        runner = threading.Thread(
            target=lambda: result.update(
                ran=gitlab_ci_local(ci_repo, *child, *points, variables=variables)
            )
        )
        runner.start()
        # a fourth point's job, killed mid-run (its whole process group, as when a runner
        # dies): once inside `dvc exp run` (after its set-up and pull), before its push
        doomed = gitlab_ci_local(elsewhere, *child, KILLED, variables=variables, background=True)
        deadline = time.monotonic() + 300
        while not _doomed_point_running(KILLED) and time.monotonic() < deadline:
            assert doomed.poll() is None, "the doomed point's job ended before its exp run"
            time.sleep(0.5)
        time.sleep(KILL_AFTER)
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=60)
        runner.join()  # gitlab_ci_local's own timeout bounds it
        ran = result["ran"]
        points_seconds = time.monotonic() - start
        collected = gitlab_ci_local(
            ci_repo, *child, "collect", variables={**variables, **gitlab}
        )  # fmt: skip
    finally:
        server.shutdown()
    return ci_repo, ran, collected, list(_Recorder.notes), points_seconds


def test_every_point_ran_concurrently_and_pushed_its_experiment(swept):
    repo, ran, _, _, seconds = swept
    assert ran.returncode == 0, ran.stdout[-4000:]
    for i in range(3):
        assert f"PASS  tiny-{i}" in ran.stdout, ran.stdout[-4000:]
    refs = sh(repo, "git", "ls-remote", "origin", "refs/exps/*").stdout
    pushed = {line.rsplit("/", 1)[-1] for line in refs.splitlines()}
    assert {"tiny-0", "tiny-1", "tiny-2"} <= pushed and KILLED not in pushed
    print(f"\nthree points, concurrently, with pull and push: {seconds:.0f} s")


def test_collect_ranks_the_finished_points_reports_the_killed_one_and_posts_it(swept, s3):
    repo, _, collected, notes, _ = swept
    assert collected.returncode == 0, collected.stdout[-4000:]
    report = (repo / "sweep-results" / "report.md").read_text()  # the job's artifact
    assert "3 of 4 points finished" in report
    rows = [line for line in report.splitlines() if line.startswith("| ") and "`tiny-" in line]
    assert len(rows) == 4
    assert rows[-1].startswith("| missing | `tiny-3`")
    values = [float(row.split(" | ")[3]) for row in rows[:3]]
    assert values == sorted(values, reverse=True) and rows[0].startswith("| **best** |")
    best = rows[0].split("`")[1]
    assert f"dvc exp apply {best}" in report
    # the best experiment is a real one: fetched here, it applies and holds its metric
    env = job_env(s3)
    sh(repo, "dvc", "remote", "default", "--local", "s3")
    sh(repo, "dvc", "remote", "modify", "--local", "s3", "endpointurl", env["S3_ENDPOINT_URL"])
    applied = sh(repo, "python", "-m", "pwc.ops.experiments", "best", "tiny", env=env).stdout
    assert f"applying {best}" in applied and "pulled" in applied, applied
    applied = json.loads((repo / "metrics/evaluate/metrics.json").read_text())
    assert round(applied["validation_head"]["served"]["spearman"], 6) == values[0]
    assert len(notes) == 1
    path, body = notes[0]
    assert path == "/api/v4/projects/42/merge_requests/7/notes"
    assert "### Sweep `tiny`" in body["body"] and "missing" in body["body"]
    fresh_clone(repo)
