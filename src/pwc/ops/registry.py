"""The model registry in Git: versions and stages of dvc.yaml's `artifacts` as GTO tags
(`model@v0.1.0` registers a version at a commit, `model#prod#3` assigns it a stage), written
by `make release` and `make promote STAGE=...`; the stages allowed are in `.gto`. The merge
request note names the version in prod; the image reports its own (build args
REGISTRY_VERSION / REGISTRY_STAGES, the server's PWC_REGISTRY_* settings, in /version).
"""

from __future__ import annotations

ARTIFACT = "model"


def _versions(repo: str, artifact: str) -> list[dict]:
    """GTO's versions of `artifact` ([] outside a Git checkout or without gto, as in the
    image)."""
    try:
        from dulwich.errors import NotGitRepository
        from gto import api
        from gto.exceptions import GTOException
        from scmrepo.exceptions import SCMError
    except ImportError:  # the image installs no gto: PWC_REGISTRY_* say it there
        return []
    try:
        return api.show(repo, artifact)
    except (GTOException, NotGitRepository, SCMError, OSError, ValueError):  # not a checkout
        return []


def version_in(stage: str, repo: str = ".", artifact: str = ARTIFACT) -> str | None:
    """The version of `artifact` assigned `stage` now (None: none)."""
    for v in _versions(repo, artifact):
        if any(s["stage"] == stage and s["is_active"] for s in v["stages"]):
            return v["version"]
    return None
