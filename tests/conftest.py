"""Shared fixtures. Tests are grouped by what they protect (Made-With-ML's taxonomy):
code/ (units), data/ (facts about the real RockYou file), model/ (behaviour of a trained
model), pipeline/ (dvc.yaml wiring, reproducibility, reruns), serve/ (API, CLI, image)."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pwc import model as model_lib
from pwc.config import with_changes
from pwc.data.sources import ingest
from pwc.data.split import split
from pwc.data.validate import validate
from tests.project import PARAMS, ROOT


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def params():
    return PARAMS


@pytest.fixture(scope="session")
def small_run(params):
    """A model trained by the pipeline's own code on a seeded RockYou sample (CI has no DVC
    cache, so no full-data model): (fitted Pipeline, split tables)."""
    table = ingest(with_changes(params.data, sample=400_000), seed=params.seed)
    kept = validate(table, "rockyou", params.validate_.max_length).kept
    sizes = ("test_size", "test_head_size", "validation_size", "validation_head_size")
    parts = split(kept, with_changes(params.split, **dict.fromkeys(sizes, 20_000)), params.seed)
    train = parts["train"]
    cfg = params.train.model_copy(update={"rows": 150_000})
    return model_lib.train(train, cfg, params.seed), parts


# Units (tests/code) run in seconds: `make test-fast`. Everything else trains a model, runs DVC,
# starts servers or reads the whole RockYou file: marked slow (still part of `make test`).
SLOW_FOLDERS = {"data", "model", "pipeline", "serve"}


# The heaviest files first (their serial durations in CI, most first): `make test` runs a
# file per worker in this order (xdist's --no-loadscope-reorder), and a long file handed out
# last ran alone at the end (the suite's wall time: 17.5 min with xdist's own order).
HEAVY_FIRST = [
    "pipeline/test_faults.py",
    "pipeline/test_remote_and_sweep.py",
    "pipeline/test_repro.py",
    "pipeline/test_ci_jobs.py",
    "pipeline/test_cross_machine.py",
    "serve/test_load.py",
    "pipeline/test_ci_sweep.py",
    "serve/test_cli.py",
    "pipeline/test_csv_source.py",
    "pipeline/test_experiments_queue.py",
    "serve/test_distributed.py",
    "serve/test_api.py",
    "model/test_behaviour.py",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.parent.name in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)

    def rank(item) -> int:
        name = f"{item.path.parent.name}/{item.path.name}"
        return HEAVY_FIRST.index(name) if name in HEAVY_FIRST else len(HEAVY_FIRST)

    items.sort(key=rank)  # stable: a file's tests, and the other files, keep their order


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """CI (`.ci/run`) installs everything the suite needs, so there a skipped test is a
    failure: a check that silently never runs is worse than none."""
    if not os.environ.get("PWC_NO_SKIPS"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"PWC_NO_SKIPS: {len(skipped)} test(s) skipped: failing the run")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


class Recorder(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append(
            {"path": self.path, "token": self.headers.get("PRIVATE-TOKEN"), "body": body}
        )
        reply = {"markdown": "![plot](/uploads/abc/plot-0.png)"} if "uploads" in self.path else {}
        data = json.dumps({"id": 1, **reply}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def gitlab_api(monkeypatch):
    """A GitLab API stand-in on 127.0.0.1 that records each request; CI variables point at it."""
    Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CI_API_V4_URL", f"http://127.0.0.1:{server.server_port}/api/v4")
    monkeypatch.setenv("CI_PROJECT_ID", "42")
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", "7")
    monkeypatch.setenv("PWC_GITLAB_TOKEN", "glpat-test-token")
    yield Recorder.requests
    server.shutdown()
    thread.join()
