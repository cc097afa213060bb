"""Shared fixtures. Tests are grouped by what they protect (Made-With-ML's taxonomy):
code/ (units), data/ (facts about the real RockYou file), model/ (behaviour of a trained
model), pipeline/ (dvc.yaml wiring, reproducibility, reruns), serve/ (API, CLI, image)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

# Two xdist workers share two cores, and most tests start subprocesses (DVC stages, servers).
# An OpenMP team with a thread per core spins at each barrier while the other worker holds a
# core: a sample-size tree fit took 31.5 s instead of 1.5 s beside two such neighbours (one
# thread: 6.6 s), and a 40 s test took 200 s in CI. One thread each, and waiting threads
# sleep. Outputs do not depend on either (test_cross_machine runs other thread counts; its
# "default" environment drops these two counts, so it runs what the machine picks).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from filelock import FileLock

from pwc import model as model_lib
from pwc.config import with_changes
from pwc.data.sources import ingest
from pwc.data.split import split
from pwc.data.validate import validate
from pwc.io import atomic_dir
from pwc.meter import advice as meter_advice
from pwc.meter import bundle as meter_bundle
from pwc.meter.fit import fit as meter_fit
from tests.no_skips import pytest_sessionfinish  # noqa: F401 - the hook, registered here
from tests.project import PARAMS, ROOT

METER_COLUMNS = ["password", "rank", "target"]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def params():
    return PARAMS


def _train_small_run(params, folder: Path) -> None:
    table = ingest(with_changes(params.data, sample=400_000), seed=params.seed)
    kept = validate(table, "rockyou", params.validate_.max_length).kept
    sizes = ("test_size", "test_head_size", "validation_size", "validation_head_size")
    parts = split(kept, with_changes(params.split, **dict.fromkeys(sizes, 20_000)), params.seed)
    # the default model on fewer rows, its count tables sized for a sample: the default's
    # (900 MB, for 14M passwords) made each server start load for 6 s, these 0.4 s
    small = {"markov_bits": [10, 16, 20, 22, 22, 22], "neighbour_bits": 19, "pcfg_bits": 20}
    # LSQR solved further than the default's 1e-4: on 150,000 rows, where it stopped decided
    # whether P@ssw0rd read as a word or a random string (6.82 or 6.89 after 305 or 283
    # iterations, random ones 6.86-6.92); at 1e-5, 6.79 (the full-data model: 4.36)
    small["ridge_tol"] = 1e-5
    cfg = with_changes(params.train, rows=150_000, **small)
    model_lib.save(model_lib.train(parts["train"], cfg, params.seed), folder / "model.skops")
    for name, part in parts.items():
        pq.write_table(part, folder / f"{name}.parquet")
    (folder / "done").write_text("\n".join(parts))  # the parts, in split's order


def _small_run_key() -> str:
    """What the sample model's bytes depend on: the package's code, params.yaml, the pinned
    requirements and this file (the sample's size and the model's settings above)."""
    digest = hashlib.sha256()
    sources = sorted((ROOT / "src").rglob("*.py")) + sorted((ROOT / "src").rglob("*.json"))
    sources += sorted((ROOT / "src/pwc/meter/js").iterdir())
    for path in [*sources, ROOT / "params.yaml", ROOT / "requirements.txt", Path(__file__)]:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def small_run_dir(params) -> Path:
    """A model trained by the pipeline's own code on a seeded RockYou sample (CI has no DVC
    cache, so no full-data model), saved with its split tables. Trained once for the code it
    depends on: the first xdist worker to ask trains it into .cache/tests/, the other waits
    for it and reads the files (training it twice cost a worker 40 to 100 s); a later session
    on the same code (CI's second run of the fast suites, the next `make test-fast`) reads
    it too. Training is byte-reproducible on any machine (test_cross_machine), so a model
    trained under another CPU's numerics would be these bytes as well."""
    cache = ROOT / ".cache" / "tests"
    folder = cache / f"small_run-{_small_run_key()}"
    cache.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{folder}.lock"):
        if not (folder / "done").exists():
            for old in cache.glob("small_run-*"):  # other code's models: one kept
                if old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
            folder.mkdir()
            _train_small_run(params, folder)
    return folder


@pytest.fixture(scope="session")
def meter_dir(small_run_dir, params) -> Path:
    """The browser meter's bundle, fitted by the pipeline's code on the sample run's train
    split (n-gram pruning bounds scaled to a sample) and written as the `meter` stage writes
    it; cached with the sample model."""
    folder = small_run_dir / "meter"
    with FileLock(f"{folder}.lock"):
        if not (folder / "package.json").exists():
            train = pq.read_table(small_run_dir / "train.parquet", columns=METER_COLUMNS)
            extended = {"key_bits": 28, "min_counts": [1] * 6, "min_gains": [0, 1, 2, 2, 2, 2]}
            cfg = with_changes(
                params.meter,
                min_counts=[1, 2, 2, 2, 2, 2],
                min_gains=[0, 2, 5, 5, 5, 5],
                extended=extended,
                rows=60_000,
            )
            thresholds = params.strength.score_thresholds
            meters = meter_fit(train, cfg, params.seed, thresholds, params.validate_.max_length)
            with atomic_dir(folder) as out:
                meter_bundle.write(meters, out, meter_advice.data_js())
    return folder


@pytest.fixture(scope="session")
def small_run(small_run_dir):
    """(the fitted Pipeline as loaded from its file, as served; the split tables)"""
    names = (small_run_dir / "done").read_text().split()
    parts = {name: pq.read_table(small_run_dir / f"{name}.parquet") for name in names}
    return model_lib.load(small_run_dir / "model.skops"), parts


# Units (tests/code) run in seconds: `make test-fast`. Everything else trains a model, runs DVC,
# starts servers or reads the whole RockYou file: marked slow (still part of `make test`).
SLOW_FOLDERS = {"data", "model", "pipeline", "serve", "web"}


# The heaviest files first (their serial durations in CI, most first): `make test` runs a
# file per worker in this order (xdist's --no-loadscope-reorder), and a long file handed out
# last ran alone at the end (the suite's wall time: 17.5 min with xdist's own order).
HEAVY_FIRST = [  # durations: docs/tests.md, "Suite time"
    "pipeline/test_cross_machine.py",  # first: it needs no shared run, the next file builds it
    "pipeline/test_ci_jobs.py",
    "pipeline/test_faults.py",
    "pipeline/test_ci_sweep.py",
    "pipeline/test_ci_retrain.py",
    "serve/test_load.py",
    "pipeline/test_ci_test_job.py",
    "pipeline/test_remote_and_sweep.py",
    "serve/test_cli.py",
    "pipeline/test_experiments_queue.py",
    "pipeline/test_repro.py",
    "pipeline/test_csv_source.py",
    "code/test_model.py",
    "serve/test_distributed.py",
    "pipeline/test_dvc_yaml.py",
    "code/test_dashboard.py",
    "pipeline/test_mr_report_dvc.py",
    "data/test_rockyou.py",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.parent.name in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)

    def rank(item) -> int:
        name = f"{item.path.parent.name}/{item.path.name}"
        return HEAVY_FIRST.index(name) if name in HEAVY_FIRST else len(HEAVY_FIRST)

    items.sort(key=rank)  # stable: a file's tests, and the other files, keep their order


class Recorder(BaseHTTPRequestHandler):
    requests: list[dict] = []
    status = 201  # what GitLab answers (a test sets an error status)

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append(
            {"path": self.path, "token": self.headers.get("PRIVATE-TOKEN"), "body": body}
        )
        reply = {"markdown": "![plot](/uploads/abc/plot-0.png)"} if "uploads" in self.path else {}
        data = json.dumps({"id": 1, **reply}).encode()
        self.send_response(self.status)
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
    Recorder.status = 201
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
