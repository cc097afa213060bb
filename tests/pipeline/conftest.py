"""A throwaway git + DVC repository holding a copy of the project, for real `dvc repro` runs."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import yaml
from filelock import FileLock

from pwc.ops.tools import run

ROOT = Path(__file__).resolve().parents[2]
GCL = ROOT / ".ci" / "gitlab-ci-local.sh"
BIN = Path(sys.executable).parent
COPIED = ["dvc.yaml", "params.yaml", "src", "data/raw/README.md", ".gitattributes", ".gitignore"]

# Small and quick: a 30k-row model. Thresholds it can pass; its RMSE-vs-constant checks still
# apply, which a model this small passes only uncalibrated on a uniform sample.
SMALL = {
    "data": {"sample": 100_000},
    "split": {"test_size": 2_000, "test_head_size": 2_000},
    "train": {
        "rows": 30_000,
        "sampling": "uniform",
        "booster_sampling": "uniform",
        "calibrate": False,
        "hash_bits": 16,
        "markov_bits": 16,
        "pcfg_bits": 16,
        "neighbour_bits": 16,
        "markov_rows": 20_000,
        "booster_rows": 20_000,
    },
    "gate": {"min_spearman_head": -1.0, "min_auc_head": 0.0, "min_spearman": -1.0},
    "evaluate": {"end_to_end_queries": 2_000},
    "predict": {"batch_size": 700},
    # zxcvbn (pure Python, ~1,500 pw/s) scores every compared row: a few per rank slice
    # keep every path of the stage (slices, calibration) at a fraction of the time
    "compare": {"rows": 1_000, "slice_rows": 200},
    # the browser meter at sample size: pruning bounds for 80k rows, fewer trees
    "meter": {
        "min_counts": [1, 2, 2, 2, 2, 2],
        "min_gains": [0, 2, 4, 4, 4, 4],
        "extended": {"key_bits": 28, "min_counts": [1, 1, 2, 2, 2, 2], "min_gains": [0] + [1] * 5},
        "rows": 20_000,
        "trees": 20,
    },
}


def sh(
    repo: Path, *args: str, check: bool = True, timeout: float = 540, env: dict | None = None
) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "PYTHONPATH": str(repo / "src"),
        **(env or {}),
    }
    env.pop("DVC_EXP_NAME", None)
    # output through files, not pipes: `dvc queue start`'s workers inherit it (experiments.run)
    proc = run(list(args), cwd=repo, env=env, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def set_params(repo: Path, changes: dict) -> None:
    path = repo / "params.yaml"
    raw = yaml.safe_load(path.read_text())
    for section, values in changes.items():
        if isinstance(values, dict):
            raw[section].update(values)
        else:
            raw[section] = values
    path.write_text(yaml.safe_dump(raw, sort_keys=False))


def make_repo(base: Path, changes: dict = SMALL) -> Path:
    repo = base / "repo"
    for name in COPIED:
        src, dst = ROOT / name, repo / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dst)
    set_params(repo, changes)
    init_and_commit(repo, "init")
    return repo


def init_and_commit(repo: Path, message: str, repro: bool = False) -> None:
    """git and DVC set up in `repo`, optionally a first `dvc repro`, all committed."""
    sh(repo, "git", "init", "-q")
    sh(repo, "git", "config", "user.email", "test@example.invalid")
    sh(repo, "git", "config", "user.name", "test")
    sh(repo, "dvc", "init", "-q")
    sh(repo, "dvc", "config", "core.analytics", "false")
    if repro:
        sh(repo, "dvc", "repro")
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", message)


def ran_stages(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]


def output_hashes(repo: Path) -> dict[str, str]:
    """sha256 of every file the pipeline wrote (data, models, metrics, the meter's bundle)."""
    out = {}
    for top in ("data", "models", "metrics", "web"):
        for path in sorted((repo / top).rglob("*")):
            temp = any(part.endswith(".tmp") for part in path.parts)
            if temp or path.name == ".gitignore" or "raw" in path.parts:
                continue  # temp files of writes in progress (or cut short) are not outputs
            if path.is_file():
                out[str(path.relative_to(repo))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _tracked_project_at_sample_size(repo: Path) -> None:
    """Every tracked file of the project, as a clone has them, with SMALL params, in a new git
    repository: committed, then its first `dvc repro` committed as a project would."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in tracked)):
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    set_params(repo, SMALL)
    for name in ("requirements.txt", "pyproject.toml"):
        os.utime(repo / name, LONG_AGO)  # older than a linked .venv's stamp (ci_repo)
    sh(repo, "git", "init", "-q")
    sh(repo, "git", "config", "user.email", "test@example.invalid")
    sh(repo, "git", "config", "user.name", "test")
    sh(repo, "dvc", "remote", "modify", "s3", "url", "s3://pwc-test/dvc")
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", "the project at sample size")
    (repo.parent / "stdout.txt").write_text(sh(repo, "dvc", "repro").stdout)
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", "a real run")


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory, worker_id) -> tuple[Path, str]:
    """The project at sample size (every tracked file, SMALL params) in a repository of its
    own, its first `dvc repro` committed: (its path, that repro's stdout). Built once per
    session, by the first xdist worker to ask (the other waits for it), and only read: a test
    that changes anything works on `copy_of` it. Five fixtures each ran this same repro of
    their own (test_repro, test_remote_and_sweep, test_faults, and ci_repo on each worker)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base if worker_id == "master" else base.parent) / "sample_run"
    with FileLock(f"{folder}.lock"):
        if not (folder / "stdout.txt").exists():
            shutil.rmtree(folder, ignore_errors=True)
            (folder / "repo").mkdir(parents=True)
            _tracked_project_at_sample_size(folder / "repo")
    return folder / "repo", (folder / "stdout.txt").read_text()


def copy_of(repo: Path, where: Path) -> Path:
    """`repo` copied whole (git, DVC cache, outputs): a test's own to change."""
    clone = where / "repo"
    shutil.copytree(repo, clone, symlinks=True)
    # the index holds the original files' inodes and times: refreshed, so git does not take
    # the copies for changed files (a `git reset --hard` would rewrite them, new mtimes and
    # all, and a linked .venv's stamp would look older than requirements.txt)
    sh(clone, "git", "update-index", "-q", "--refresh", check=False)
    return clone


@pytest.fixture(scope="module")
def repo(sample_run, tmp_path_factory) -> Path:
    """The sample run, copied for one module."""
    return copy_of(sample_run[0], tmp_path_factory.mktemp("pipeline"))


# Fake credentials for moto's S3 server (tests only).
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextlib.contextmanager
def running_s3(bucket: str = "pwc-test") -> Iterator[str]:
    """A real S3 API (moto) on 127.0.0.1 with one bucket; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client("s3", endpoint_url=endpoint, **_boto_credentials())
        client.create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        server.stop()


def _boto_credentials() -> dict:
    return {
        "aws_access_key_id": S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": S3_CREDENTIALS["AWS_DEFAULT_REGION"],
    }


@pytest.fixture
def s3_server(monkeypatch):
    """moto's S3 on 127.0.0.1 for one test, its fake credentials in the environment."""
    for name, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with running_s3() as endpoint:
        yield endpoint


def require_gitlab_ci_local() -> None:
    """gitlab-ci-local's wrapper needs npm and rsync (.ci/run installs them in CI, where a
    skip fails the run)."""
    missing = [tool for tool in ("npm", "rsync") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"gitlab-ci-local needs {' and '.join(missing)}, not installed here")


def gitlab_ci_local(
    repo: Path, *args: str, variables: dict, timeout: float = 480, background: bool = False
):
    """`.ci/gitlab-ci-local.sh ARGS` in `repo`, in its own session, output through a file.

    A file, not a pipe: a process a job leaves behind would hold a pipe open and keep the
    caller waiting after the job ended. On timeout the whole session is killed and the
    failure shows the output's tail and what was still running, not a bare pytest timeout.
    With `background`, the Popen (output to /dev/null) is returned at once.
    """
    require_gitlab_ci_local()
    cmd = ["bash", str(GCL), *args, *(f"--variable={k}={v}" for k, v in variables.items())]
    if background:
        return subprocess.Popen(
            cmd, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=repo, stdout=out, stderr=err, start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            running = subprocess.run(
                ["ps", "-eo", "pid,pgid,etime,pcpu,args"], capture_output=True, text=True
            ).stdout
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError(
                f"gitlab-ci-local {' '.join(args)} still running after {timeout:.0f} s\n"
                f"--- its output ---\n{_text(out)[-4000:]}\n{_text(err)[-2000:]}\n"
                f"--- processes ---\n{running[-6000:]}"
            ) from None
        return subprocess.CompletedProcess(cmd, proc.returncode, _text(out), _text(err))


def _text(file) -> str:
    file.seek(0)
    return file.read().decode(errors="replace")


LONG_AGO = (946684800, 946684800)  # 2000-01-01


@pytest.fixture(scope="package")
def s3():
    with running_s3() as endpoint:
        yield endpoint


def job_env(s3: str) -> dict:
    """What GitLab would give the job: CI variables (here: moto's endpoint, fake keys)."""
    return {**S3_CREDENTIALS, "S3_ENDPOINT_URL": s3, "CI_PIPELINE_SOURCE": "push"}


@pytest.fixture(scope="package")
def ci_repo(sample_run, tmp_path_factory, s3):
    """The sample run (every tracked file of the project, as a clone has them, sample-size
    params, a real `dvc repro` whose dvc.lock and metrics are committed), copied, with its
    outputs pushed to this worker's S3. The project's .venv is linked in with its stamp newer
    than the requirements, so the jobs' `make setup` finds it ready (the install is not what
    is tested here). Shared by the CI job tests and the CI sweep test."""
    repo = copy_of(sample_run[0], tmp_path_factory.mktemp("ci"))
    (repo / ".venv").symlink_to(ROOT / ".venv")
    # committed, as a runner image would hold it: gitlab-ci-local's isolated job folders
    # get tracked files only, and each point job of the CI sweep then installed every
    # requirement anew (docs/tests.md, "Suite time"). `.venv/` in .gitignore matches
    # folders, not this symlink.
    sh(repo, "git", "add", ".venv")
    sh(repo, "git", "commit", "-qm", "the runner's environment")
    sh(repo, "dvc", "remote", "modify", "--local", "s3", "endpointurl", s3)
    sh(repo, "dvc", "push", "-r", "s3", env=job_env(s3))
    return repo
