"""Model validation on the validation sets, of the scorer as served: thresholds from
params.yaml, and it must beat the constant baseline. Test sets are never read here."""

from __future__ import annotations

from pwc.config import GateParams


def _check(name: str, value: float | None, threshold: float, higher_is_better: bool = True) -> dict:
    if value is None:
        passed = False
    else:
        passed = value >= threshold if higher_is_better else value < threshold
    return {
        "check": name,
        "value": value,
        "threshold": threshold,
        "rule": ">=" if higher_is_better else "<",
        "passed": passed,
    }


def decide(results: dict, params: GateParams) -> dict:
    """Checks on evaluate's validation metrics; passed only if every check passes."""
    head, uniform = results["validation_head"], results["validation"]
    checks = [
        _check(
            "validation_head.served.spearman",
            head["served"]["spearman"],
            params.min_spearman_head,
        ),
        _check(
            "validation_head.served.auc_seen_twice",
            head["served"]["auc_seen_twice"],
            params.min_auc_head,
        ),
        _check("validation.served.spearman", uniform["served"]["spearman"], params.min_spearman),
    ]
    for name, res in (("validation", uniform), ("validation_head", head)):
        checks.append(
            _check(
                f"{name}.served.rmse vs constant",
                res["served"]["rmse"],
                res["constant"]["rmse"],
                False,
            )
        )
    return {"passed": all(c["passed"] for c in checks), "checks": checks}


def failures(decision: dict) -> str:
    return "; ".join(
        f"{c['check']} = {c['value']} (needs {c['rule']} {c['threshold']})"
        for c in decision["checks"]
        if not c["passed"]
    )
