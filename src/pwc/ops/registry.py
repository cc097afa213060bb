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


def served(commit: str, repo: str = ".", artifact: str = ARTIFACT) -> dict:
    """{"artifact", "version" (None: not registered at `commit`), "stages"}."""
    if version := os.environ.get("PWC_REGISTRY_VERSION"):
        stages = [s for s in os.environ.get("PWC_REGISTRY_STAGES", "").split(",") if s]
        return {"artifact": artifact, "version": version, "stages": stages}
    none = {"artifact": artifact, "version": None, "stages": []}
    try:
        from gto import api
        from gto.exceptions import GTOException

        versions = api.show(repo, artifact)
    except (ImportError, GTOException, OSError, ValueError):
        return none  # not a Git checkout, or no registry: nothing registered here
    for v in versions:
        if v["commit_hexsha"] == commit and v["is_active"]:
            stages = sorted(s["stage"] for s in v["stages"] if s["is_active"])
            return {"artifact": artifact, "version": v["version"], "stages": stages}
    return none
