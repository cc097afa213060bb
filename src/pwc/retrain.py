"""Scheduled retrain: the candidate ships only if the gate passed and it beats production.

    python -m pwc.retrain check PRODUCTION_METRICS_JSON [MIN_GAIN]   # exit 1 + reason, or 0

Production = the metrics committed on the default branch (the model serving today); the
candidate = metrics/evaluate/metrics.json and metrics/gate.json just written by `dvc repro`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pwc.config import load_params
from pwc.experiments import PRIMARY, primary


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


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or argv[0] != "check":
        print("usage: python -m pwc.retrain check PRODUCTION_METRICS_JSON [MIN_GAIN]")
        return 2
    params = load_params()
    paths = params.paths
    candidate = json.loads((paths.evaluate_dir / "metrics.json").read_text())
    gate = json.loads(paths.gate.read_text())
    prod_path = Path(argv[1])
    production = json.loads(prod_path.read_text()) if prod_path.stat().st_size else None
    reason = decide(candidate, production, gate, float(argv[2]) if len(argv) == 3 else 0.0)
    if reason:
        print(f"retrain: not shipping: {reason}", file=sys.stderr)
        return 1
    print(f"retrain: shipping, {'.'.join(PRIMARY)} = {primary(candidate):.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
