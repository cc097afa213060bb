"""The model registry in Git: `make release` and `make promote` write GTO tags, a stage not
in .gto is refused, the version in a stage is read back, and /version reports the image's
registry version and stages (PWC_REGISTRY_VERSION / PWC_REGISTRY_STAGES)."""

import shutil
import subprocess

import pytest
from fastapi.testclient import TestClient

from pwc.ops import registry
from pwc.serve.app import Settings, create_app
from tests.project import ROOT

BIN = ROOT / ".venv" / "bin"
STAMP = ROOT / ".venv" / ".installed"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]


def make(repo, *args, check=True):
    # the project's venv, not made again for the scratch repository (-o: treat as made)
    cmd = ["make", "-s", "-o", str(STAMP), f"STAMP={STAMP}", f"BIN={BIN}", *args]
    return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, check=check, timeout=120)


@pytest.fixture
def repo(tmp_path):
    for name in (
        "Makefile",
        ".gto",
        "dvc.yaml",
        "params.yaml",
        "requirements.txt",
        "pyproject.toml",
    ):
        shutil.copy2(ROOT / name, tmp_path / name)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*GIT, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*GIT, "commit", "-qm", "first"], cwd=tmp_path, check=True)
    return tmp_path


def test_release_and_promote_write_gto_tags(repo, monkeypatch):
    monkeypatch.delenv("PWC_REGISTRY_VERSION", raising=False)
    assert registry.version_in("prod", str(repo)) is None
    make(repo, "release")
    make(repo, "promote", "STAGE=staging")
    make(repo, "promote", "STAGE=prod")
    tags = subprocess.run(["git", "tag"], cwd=repo, capture_output=True, text=True).stdout.split()
    assert sorted(tags) == ["model#prod#2", "model#staging#1", "model@v0.0.1"]
    assert registry.version_in("prod", str(repo)) == "v0.0.1"
    assert registry.version_in("dev", str(repo)) is None
    make(repo, "release", "ARTIFACT=lookup", "VERSION=v1.0.0")
    assert (
        "lookup@v1.0.0"
        in subprocess.run(["git", "tag"], cwd=repo, capture_output=True, text=True).stdout
    )
    (repo / "next.txt").write_text("a later commit, a later model\n")
    subprocess.run([*GIT, "add", "."], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "next"], cwd=repo, check=True)
    make(repo, "release")
    make(repo, "promote", "STAGE=prod")  # the newer version takes prod over
    assert registry.version_in("prod", str(repo)) == "v0.0.2"
    assert registry.version_in("prod", str(repo / "no-such-dir")) is None  # not a checkout


def test_a_stage_outside_gto_is_refused(repo):
    make(repo, "release")
    refused = make(repo, "promote", "STAGE=qa", check=False)
    assert refused.returncode != 0 and "Allowed stages are" in refused.stderr
    missing = make(repo, "promote", check=False)
    assert missing.returncode != 0 and "STAGE= is required" in missing.stderr
    assert (
        "model#qa"
        not in subprocess.run(["git", "tag"], cwd=repo, capture_output=True, text=True).stdout
    )


def test_version_reports_the_images_registry_version(served, monkeypatch):
    monkeypatch.setenv("PWC_REGISTRY_VERSION", "v1.4.0")
    monkeypatch.setenv("PWC_REGISTRY_STAGES", "staging,prod")
    with TestClient(create_app(Settings(params=served))) as client:
        got = client.get("/version").json()["registry"]
    assert got == {"version": "v1.4.0", "stages": ["staging", "prod"]}
    monkeypatch.delenv("PWC_REGISTRY_VERSION")
    monkeypatch.delenv("PWC_REGISTRY_STAGES")
    with TestClient(create_app(Settings(params=served))) as client:
        got = client.get("/version").json()["registry"]
    assert got == {"version": None, "stages": []}
