"""Model validation: thresholds from params.yaml, and the model must beat the constant baseline."""

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
    """Checks on evaluate's metrics; passed only if every check passes."""
    head, test = results["test_head"], results["test"]
    checks = [
        _check("test_head.spearman", head["model"]["spearman"], params.min_spearman_test_head),
        _check(
            "test_head.auc_seen_twice", head["model"]["auc_seen_twice"], params.min_auc_test_head
        ),
        _check("test.spearman", test["model"]["spearman"], params.min_spearman_test),
    ]
    for name, res in (("test", test), ("test_head", head)):
        checks.append(
            _check(f"{name}.rmse vs constant", res["model"]["rmse"], res["constant"]["rmse"], False)
        )
    return {"passed": all(c["passed"] for c in checks), "checks": checks}


def failures(decision: dict) -> str:
    return "; ".join(
        f"{c['check']} = {c['value']} (needs {c['rule']} {c['threshold']})"
        for c in decision["checks"]
        if not c["passed"]
    )
