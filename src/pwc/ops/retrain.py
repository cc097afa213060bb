"""Scheduled retrain: the candidate ships only if the gate passed and it beats production.

    python -m pwc.ops.retrain check [REV [MIN_GAIN]]   # exit 1 + reason, or 0
    python -m pwc.ops.retrain register STAGE          # HEAD's model: a version, in STAGE

Production = the evaluate metrics committed at REV; without REV, at the commit of the model
version in the registry's `prod` stage (pwc.ops.registry; none yet = a first model, which the
gate alone decides). The candidate = the evaluate metrics and gate decision `dvc repro` just
wrote. `register` writes the GTO tags of a new version (unless HEAD has one) and its stage;
the CI job pushes them. Paths come from params.yaml.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pwc.config import load_params
from pwc.errors import PwcError
from pwc.ops import registry
from pwc.ops.experiments import PRIMARY, primary
from pwc.ops.tools import entry


def refusal(
    candidate: dict, production: dict | None, gate: dict, min_gain: float = 0.0
) -> str | None:
    """None when the candidate may ship, else the reason it may not."""
    if not gate.get("passed"):
        failed = [c["check"] for c in gate.get("checks", []) if not c.get("passed")]
        return f"the gate rejected the candidate (failed: {', '.join(failed) or 'unknown'})"
    if production is None:
        return None  # first model: the gate is the bar
    try:
        old = primary(production)
    except (KeyError, TypeError, ValueError):
        # production's metrics predate this figure (e.g. before the validation split): there
        # is nothing comparable to beat, so the gate is the bar, as for a first model
        return None
    new = primary(candidate)
    name = ".".join(PRIMARY)
    if new <= old + min_gain:
        return f"{name} {new:.6f} does not beat production {old:.6f} (by more than {min_gain:g})"
    return None


def production_metrics(rev: str, path: Path) -> dict | None:
    """The metrics file committed at `rev`, or None when that revision has none (yet)."""
    proc = subprocess.run(["git", "show", f"{rev}:{path.as_posix()}"], capture_output=True)
    if proc.returncode != 0:
        known = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"])
        if known.returncode != 0:
            raise PwcError(f"git revision {rev!r} not found")
        return None
    return json.loads(proc.stdout)


USAGE = "usage: python -m pwc.ops.retrain check [REV [MIN_GAIN]] | register STAGE"


def main(argv: list[str]) -> int:
    params = load_params()
    paths = params.paths
    if len(argv) == 2 and argv[0] == "register":
        found = registry.register(argv[1])
        print(f"retrain: registered {registry.ARTIFACT} {found['version']} in {found['stages']}")
        return 0
    if not 1 <= len(argv) <= 3 or argv[0] != "check":
        print(USAGE)
        return 2
    candidate = json.loads(paths.evaluate_metrics.read_text())
    gate = json.loads(paths.gate.read_text())
    rev = argv[1] if len(argv) > 1 else registry.commit_in("prod")
    try:
        production = None if rev is None else production_metrics(rev, paths.evaluate_metrics)
    except PwcError as exc:
        print(f"retrain: {exc}", file=sys.stderr)
        return 2
    if rev is None:
        print("retrain: no model in prod yet: the gate alone decides")
    reason = refusal(candidate, production, gate, float(argv[2]) if len(argv) == 3 else 0.0)
    if reason:
        print(f"retrain: not shipping: {reason}", file=sys.stderr)
        return 1
    print(f"retrain: shipping, {'.'.join(PRIMARY)} = {primary(candidate):.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(entry(main))
