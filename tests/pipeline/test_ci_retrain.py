"""The scheduled retrain job, run end to end under gitlab-ci-local as a schedule would run it:
a local bare repository is `origin` (where the job pushes), moto's S3 the DVC remote, the
model registry GTO tags in Git. Twice: with inputs that give a model beating the one in prod
(it commits, pushes the data, registers a version in staging and pushes commit and tags;
that version is then fetched by name from a clone of origin and S3, and served), and, once
that version is promoted, with nothing better (the job passes, says why, changes nothing).
"""

from __future__ import annotations

import hashlib
import subprocess

import pytest
import yaml
from fastapi.testclient import TestClient

from pwc.ops import registry

from .conftest import copy_of, gitlab_ci_local, job_env, set_params, sh
from .test_ci_jobs import fresh_clone

IDENTITY = {"GIT_COMMITTER_NAME": "a person", "GIT_COMMITTER_EMAIL": "person@example.invalid"}


def _refs(bare) -> dict[str, str]:
    out = subprocess.run(["git", "ls-remote", str(bare)], capture_output=True, text=True).stdout
    return {ref: sha for sha, ref in (line.split("\t") for line in out.splitlines())}


def _retrain(repo, s3, bare, branch):
    fresh_clone(repo)
    variables = {
        **job_env(s3),
        "CI_PIPELINE_SOURCE": "schedule",
        "CI_DEFAULT_BRANCH": branch,
        "PWC_PUSH_URL": str(bare),
    }
    return gitlab_ci_local(repo, "retrain", variables=variables, timeout=900)


def _gto(repo, *args):
    # the project's gto, as `make release` / `make promote` run it
    return sh(repo, "gto", *args, env=IDENTITY)


@pytest.fixture(scope="module")
def origin(ci_repo, tmp_path_factory):
    """A copy of the CI repository whose model (the committed sample run) is v0.0.1 in prod,
    and its bare `origin`, then a commit on origin that changes the inputs (more training
    rows: what new data does) without a run."""
    repo = copy_of(ci_repo, tmp_path_factory.mktemp("retrain"))
    branch = sh(repo, "git", "branch", "--show-current").stdout.strip()
    _gto(repo, "register", "model", "--version", "v0.0.1")
    _gto(repo, "assign", "model", "--version", "v0.0.1", "--stage", "prod")
    bare = repo.parent / "origin.git"
    sh(repo, "git", "clone", "-q", "--bare", str(repo), str(bare))
    sh(repo, "git", "remote", "remove", "origin", check=False)  # the CI sweep test's, if copied
    sh(repo, "git", "remote", "add", "origin", str(bare))  # gitlab-ci-local reads its URL
    set_params(repo, {"train": {"rows": 40_000}})
    sh(repo, "git", "commit", "-qam", "more training rows")
    sh(repo, "git", "push", "-q", str(bare), f"HEAD:{branch}")
    return repo, bare, branch


def test_retrain_that_beats_prod_registers_pushes_and_the_version_is_fetched_and_served(
    origin, s3, tmp_path, monkeypatch
):
    repo, bare, branch = origin
    before = _refs(bare)
    job = _retrain(repo, s3, bare, branch)
    assert job.returncode == 0 and "PASS  retrain" in job.stdout, job.stdout[-4000:]
    assert "retrain: shipping" in job.stdout
    assert "registered model v0.0.2 in ['staging']" in job.stdout
    after = _refs(bare)
    head = sh(repo, "git", "rev-parse", "HEAD").stdout.strip()
    assert after[f"refs/heads/{branch}"] == head != before[f"refs/heads/{branch}"]
    assert sh(repo, "git", "log", "-1", "--format=%s").stdout.startswith("Scheduled retrain")
    assert after["refs/tags/model@v0.0.2"] and after["refs/tags/model#staging#2"]
    assert registry.version_in("prod", str(repo)) == "v0.0.1"  # prod is a person's call
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    trained = next(o for o in lock["stages"]["train"]["outs"] if o["path"].endswith(".skops"))

    # fetch by version: a clone of origin checked out at model@v0.0.2, `dvc pull` from S3
    clone = tmp_path / "fetched"
    sh(tmp_path, "git", "clone", "-q", str(bare), str(clone))
    sh(clone, "git", "checkout", "-q", "model@v0.0.2")
    sh(clone, "dvc", "remote", "modify", "--local", "s3", "endpointurl", s3)
    sh(clone, "dvc", "pull", "-q", "-r", "s3", "train", "lookup", "meter", env=job_env(s3))
    model = clone / trained["path"]
    assert hashlib.md5(model.read_bytes()).hexdigest() == trained["md5"]  # noqa: S324 - DVC's

    # served: the image's build args from the registry, /version reporting them
    args = registry.build_args("HEAD", str(clone))
    assert args == {"REGISTRY_VERSION": "v0.0.2", "REGISTRY_STAGES": "staging"}
    monkeypatch.chdir(clone)
    monkeypatch.setenv("PWC_REGISTRY_VERSION", args["REGISTRY_VERSION"])
    monkeypatch.setenv("PWC_REGISTRY_STAGES", args["REGISTRY_STAGES"])
    from pwc.serve.app import Settings, create_app

    with TestClient(create_app(Settings(params=clone / "params.yaml"))) as client:
        version = client.get("/version").json()
    assert version["registry"] == {"version": "v0.0.2", "stages": ["staging"]}
    assert version["model_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()


def test_retrain_that_does_not_beat_prod_changes_nothing_and_says_why(origin, s3):
    repo, bare, branch = origin
    if registry.version_in("staging", str(repo)) != "v0.0.2":
        pytest.fail("needs the retrain of the test before (same module, in order)")
    _gto(repo, "assign", "model", "--version", "v0.0.2", "--stage", "prod")  # make promote
    sh(repo, "git", "push", "-q", str(bare), "model#prod#3")
    before = _refs(bare)
    head = sh(repo, "git", "rev-parse", "HEAD").stdout
    job = _retrain(repo, s3, bare, branch)  # the same inputs: the same model as prod
    assert job.returncode == 0 and "PASS  retrain" in job.stdout, job.stdout[-4000:]
    assert "does not beat production" in job.stderr  # the job's stderr: its reason
    assert "retrain: nothing committed, registered or pushed" in job.stdout
    assert _refs(bare) == before
    assert sh(repo, "git", "rev-parse", "HEAD").stdout == head  # no commit
    assert sh(repo, "git", "tag", "--points-at", "HEAD").stdout.split() == [
        "model#prod#3",
        "model#staging#2",
        "model@v0.0.2",
    ]  # no new version or stage
