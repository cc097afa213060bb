"""`make verify`: rerun every stage and check each output against dvc.lock.

    python -m pwc.ops.verify            # exit 0: every output has the hash dvc.lock records
                                    # exit 1: the outputs that differ, each with a likely why

`dvc repro` skips stages whose inputs are unchanged, so a plain repro proves nothing about a
machine; `--force` reruns all of them. For each output whose hash differs, the reason is read
from the two lock files: the stage's code, params or input data differ from the recorded
ones (an expected change: commit the new dvc.lock), or nothing it depends on differs and the
machine itself produced other bytes (a reproducibility bug: docs/reproducibility.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from pwc.ops.tools import entry

LOCK = Path("dvc.lock")


def _entries(items: list[dict] | None) -> dict[str, str]:
    return {item["path"]: item.get("md5") for item in items or []}


def _params(stage: dict) -> dict:
    return {k: v for values in (stage.get("params") or {}).values() for k, v in values.items()}


def compare(before: dict, after: dict) -> list[str]:
    """One line per output whose hash differs between two dvc.lock documents, with why."""
    old, new = before.get("stages", {}), after.get("stages", {})
    produced = {path for stage in new.values() for path in _entries(stage.get("outs"))}
    changed_outs: set[str] = set()
    problems = []
    for name, stage in new.items():  # dvc.lock lists stages in pipeline order
        was = old.get(name)
        outs = _entries(stage.get("outs"))
        if was is None:
            problems += [f"{path}: stage {name} is not in the reference dvc.lock" for path in outs]
            changed_outs |= set(outs)
            continue
        old_outs = _entries(was.get("outs"))
        differing = [path for path, md5 in outs.items() if old_outs.get(path) != md5]
        if not differing:
            continue
        changed_outs |= set(differing)
        old_deps, deps = _entries(was.get("deps")), _entries(stage.get("deps"))
        dep_paths = sorted(set(old_deps) | set(deps))
        code = [p for p in dep_paths if p.startswith("src/") and old_deps.get(p) != deps.get(p)]
        upstream = [p for p in dep_paths if p in produced and p in changed_outs]
        data = [
            p
            for p in dep_paths
            if not p.startswith("src/") and p not in produced and old_deps.get(p) != deps.get(p)
        ]
        old_params, params = _params(was), _params(stage)
        keys = sorted(
            k for k in set(old_params) | set(params) if old_params.get(k) != params.get(k)
        )
        reasons = []
        if code:
            reasons.append(f"code changed ({', '.join(code)})")
        if keys:
            reasons.append(f"params changed ({', '.join(keys)})")
        if data:
            reasons.append(f"input data changed ({', '.join(data)})")
        if upstream:
            reasons.append(f"its input {', '.join(upstream)} differed (above)")
        if not reasons:
            reasons.append(
                "same code, params and inputs gave other bytes: this machine's environment "
                "changed the result (a reproducibility bug: docs/reproducibility.md)"
            )
        problems += [f"{path} (stage {name}): {'; '.join(reasons)}" for path in differing]
    return problems


def main(argv: list[str]) -> int:
    if argv:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        before = yaml.safe_load(LOCK.read_text())
    except FileNotFoundError:
        print("error: no dvc.lock to verify against (run `make repro` first)", file=sys.stderr)
        return 2
    print("rerunning every stage (dvc repro --force); outputs are checked against dvc.lock")
    run = subprocess.run([sys.executable, "-m", "dvc", "repro", "--force"])  # output streams
    if run.returncode != 0:
        print("error: `dvc repro --force` failed (above); nothing was verified", file=sys.stderr)
        return 2
    problems = compare(before, yaml.safe_load(LOCK.read_text()))
    if not problems:
        print(f"verified: every output of {len(before.get('stages', {}))} stages matches dvc.lock")
        return 0
    print(f"{len(problems)} output(s) differ from the dvc.lock this run started from:")
    for line in problems:
        print(f"  {line}")
    print("dvc.lock now records this run: `git diff HEAD -- dvc.lock` shows what moved.")
    return 1


if __name__ == "__main__":
    sys.exit(entry(main))
