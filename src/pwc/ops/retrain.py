"""Scheduled retrain: the candidate ships only if the gate passed and it beats production.

    python -m pwc.ops.retrain check REV [MIN_GAIN]   # exit 1 + reason, or 0
    python -m pwc.ops.retrain tag                    # model-<sha256[:12]> of the model file

Production = the evaluate metrics committed at REV (the default branch: the model serving
today; none there yet = a first model, which the gate alone decides); the candidate = the
evaluate metrics and gate decision `dvc repro` just wrote. Paths come from params.yaml.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pwc.config import load_params
from pwc.errors import PwcError
from pwc.io import sha256_file
from pwc.ops.experiments import PRIMARY, primary
from pwc.ops.tools import entry


def decide(
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


USAGE = "usage: python -m pwc.ops.retrain check REV [MIN_GAIN] | tag"


def main(argv: list[str]) -> int:
    params = load_params()
    paths = params.paths
    if argv == ["tag"]:
        print(f"model-{sha256_file(paths.model)[:12]}")
        return 0
    if len(argv) not in (2, 3) or argv[0] != "check":
        print(USAGE)
        return 2
    candidate = json.loads(paths.evaluate_metrics.read_text())
    gate = json.loads(paths.gate.read_text())
    try:
        production = production_metrics(argv[1], paths.evaluate_metrics)
    except PwcError as exc:
        print(f"retrain: {exc}", file=sys.stderr)
        return 2
    reason = decide(candidate, production, gate, float(argv[2]) if len(argv) == 3 else 0.0)
    if reason:
        print(f"retrain: not shipping: {reason}", file=sys.stderr)
        return 1
    print(f"retrain: shipping, {'.'.join(PRIMARY)} = {primary(candidate):.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(entry(main))
