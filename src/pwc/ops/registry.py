"""The model registry in Git: versions and stages of dvc.yaml's `artifacts` as GTO tags
(`model@v0.1.0` registers a version at a commit, `model#prod#3` assigns it a stage), written
by `make release` and `make promote STAGE=...`; the stages allowed are in `.gto`.

The API's /version reports the registry version of the commit it serves and that version's
stages: from the tags in a Git checkout, or in the image (no Git there) from the build's
PWC_REGISTRY_VERSION and PWC_REGISTRY_STAGES (comma-separated).
"""

from __future__ import annotations

import os

ARTIFACT = "model"


def _versions(repo: str, artifact: str) -> list[dict]:
    """GTO's versions of `artifact` ([] outside a Git checkout or without gto, as in the
    image)."""
    try:
        from gto import api
        from gto.exceptions import GTOException
    except ImportError:  # the image installs no gto: PWC_REGISTRY_* say it there
        return []
    try:
        return api.show(repo, artifact)
    except (GTOException, OSError, ValueError):  # not a Git checkout, say
        return []


def version_in(stage: str, repo: str = ".", artifact: str = ARTIFACT) -> str | None:
    """The version of `artifact` assigned `stage` now (None: none)."""
    for v in _versions(repo, artifact):
        if any(s["stage"] == stage and s["is_active"] for s in v["stages"]):
            return v["version"]
    return None


def served(commit: str, repo: str = ".", artifact: str = ARTIFACT) -> dict:
    """{"artifact", "version" (None: not registered at `commit`), "stages"}."""
    if version := os.environ.get("PWC_REGISTRY_VERSION"):
        stages = [s for s in os.environ.get("PWC_REGISTRY_STAGES", "").split(",") if s]
        return {"artifact": artifact, "version": version, "stages": stages}
    for v in _versions(repo, artifact):
        if v["commit_hexsha"] == commit and v["is_active"]:
            stages = sorted(s["stage"] for s in v["stages"] if s["is_active"])
            return {"artifact": artifact, "version": v["version"], "stages": stages}
    return {"artifact": artifact, "version": None, "stages": []}
