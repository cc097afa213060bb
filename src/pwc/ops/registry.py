"""The model registry in Git: versions and stages of dvc.yaml's `artifacts` as GTO tags
(`model@v0.1.0` registers a version at a commit, `model#prod#3` assigns it a stage), written
by `make release` and `make promote STAGE=...` (and by the scheduled retrain when its
candidate beats prod: pwc.ops.retrain); the stages allowed are in `.gto`. The merge request
note names the version in prod; the image reports its own (build args REGISTRY_VERSION /
REGISTRY_STAGES, the server's PWC_REGISTRY_* settings, in /version).

    python -m pwc.ops.registry build-args [REV]   # REGISTRY_VERSION=..., REGISTRY_STAGES=...
"""

from __future__ import annotations

import sys

ARTIFACT = "model"


def _gto(call, *args, **kwargs):
    """gto.api.call(*args) or None outside a Git checkout or without gto (the image has none:
    PWC_REGISTRY_* say it there)."""
    try:
        from dulwich.errors import NotGitRepository
        from gto import api
        from gto.exceptions import GTOException
        from scmrepo.exceptions import SCMError
    except ImportError:
        return None
    try:
        return getattr(api, call)(*args, **kwargs)
    except (GTOException, NotGitRepository, SCMError, OSError, ValueError):  # not a checkout
        return None


def _current(stage: str, repo: str, artifact: str):
    """The version in `stage` now: GTO's rule, the latest assignment wins (`gto show` keeps a
    version's older stages marked active)."""
    found = _gto("find_versions_in_stage", repo, artifact, stage) or []
    return found[0] if found else None


def version_in(stage: str, repo: str = ".", artifact: str = ARTIFACT) -> str | None:
    """The version of `artifact` assigned `stage` now (None: none)."""
    current = _current(stage, repo, artifact)
    return current.version if current else None


def commit_in(stage: str, repo: str = ".", artifact: str = ARTIFACT) -> str | None:
    """The commit of the version of `artifact` in `stage` (None: none), whose dvc.lock names
    that version's files."""
    current = _current(stage, repo, artifact)
    return current.commit_hexsha if current else None


def version_at(commit: str, repo: str = ".", artifact: str = ARTIFACT) -> dict | None:
    """The registered version of `artifact` at `commit` (a full sha), with the stages it holds
    now: {"version": ..., "stages": [...]}, or None."""
    for v in _gto("show", repo, artifact) or []:
        if v["commit_hexsha"] == commit and v["is_active"]:
            known = _gto("get_stages", repo) or []  # the stages any tag uses
            stages = [s for s in known if version_in(s, repo, artifact) == v["version"]]
            return {"version": v["version"], "stages": stages}
    return None


def register(stage: str, repo: str = ".", artifact: str = ARTIFACT) -> dict:
    """HEAD's `artifact` as a registered version (the next patch, unless HEAD has one) in
    `stage`: the GTO tags are written here, pushing them is the caller's. Returns
    version_at(HEAD) after."""
    from gto import api
    from scmrepo.git import Git

    head = Git(repo).get_rev()
    current = version_at(head, repo, artifact)
    if current is None:
        version = api.register(repo, artifact, "HEAD").version
        current = {"version": version, "stages": []}
    if stage not in current["stages"]:
        api.assign(repo, artifact, stage, version=current["version"])
    return version_at(head, repo, artifact)  # type: ignore[return-value]


def build_args(rev: str = "HEAD", repo: str = ".") -> dict[str, str]:
    """The image's build args for the model at `rev`: its registry version and stages
    (empty when that commit's model is not registered)."""
    from scmrepo.git import Git

    found = version_at(Git(repo).resolve_rev(rev), repo) or {"version": "", "stages": []}
    return {"REGISTRY_VERSION": found["version"], "REGISTRY_STAGES": ",".join(found["stages"])}


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "build-args" or len(argv) > 2:
        print("usage: python -m pwc.ops.registry build-args [REV]", file=sys.stderr)
        return 2
    for key, value in build_args(*argv[1:]).items():
        print(f"{key}={value}")  # a dotenv file for the image job
    return 0


if __name__ == "__main__":
    from pwc.ops.tools import entry

    sys.exit(entry(main))
