"""The scheduled retrain ships a candidate only past the gate and above production."""

from pwc.retrain import decide


def metrics(value: float) -> dict:
    return {"test_head": {"model": {"spearman": value}}}


PASSED = {"passed": True, "checks": []}


def test_ships_only_a_better_model_that_passed_the_gate():
    assert decide(metrics(0.66), metrics(0.65), PASSED) is None
    assert decide(metrics(0.70), None, PASSED) is None  # no production model yet


def test_equal_or_worse_is_refused_with_the_figures():
    reason = decide(metrics(0.65), metrics(0.65), PASSED)
    assert "0.650000 does not beat production 0.650000" in reason
    assert "does not beat" in decide(metrics(0.651), metrics(0.65), PASSED, min_gain=0.01)


def test_gate_failure_names_the_failed_checks():
    gate = {"passed": False, "checks": [{"check": "test.spearman", "passed": False}]}
    assert decide(metrics(0.9), metrics(0.1), gate) == (
        "the gate rejected the candidate (failed: test.spearman)"
    )
