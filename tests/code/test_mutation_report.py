"""`make mutate`'s verdict (tests/mutation_report.py): survival per module, and a failing exit
past the goal."""

from __future__ import annotations

import subprocess

from tests import mutation_report

RESULTS = """
    pwc.evaluation.gate.x__check__mutmut_1: killed
    pwc.evaluation.gate.x__check__mutmut_2: survived
    pwc.evaluation.gate.x_decide__mutmut_1: timeout
    pwc.evaluation.gate.x_decide__mutmut_2: killed
    pwc.serve.limits.xǁInFlightLimitǁ_shed__mutmut_1: no tests
    pwc.serve.limits.xǁInFlightLimitǁ_shed__mutmut_2: killed
"""


def test_results_are_counted_per_module_and_no_test_counts_as_alive():
    modules = mutation_report.per_module(RESULTS)
    assert set(modules) == {"pwc.evaluation.gate", "pwc.serve.limits"}
    assert dict(modules["pwc.evaluation.gate"]) == {"killed": 2, "survived": 1, "timeout": 1}
    assert mutation_report.survival(modules["pwc.evaluation.gate"]) == 0.25
    assert mutation_report.survival(modules["pwc.serve.limits"]) == 0.5
    assert "| `pwc.evaluation.gate` | 4 | 2 | 1 | 1 | 0 | 25.0% |" in mutation_report.table(modules)


def test_the_verdict_fails_past_the_goal_and_without_results(monkeypatch, capsys):
    def results(text):
        return lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=text)

    monkeypatch.setattr(mutation_report.subprocess, "run", results(RESULTS))
    assert mutation_report.main() == 1
    assert "survival above 10%: pwc.evaluation.gate, pwc.serve.limits" in capsys.readouterr().err
    killed = "\n".join(f"  pwc.evaluation.gate.x_f__mutmut_{i}: killed" for i in range(9))
    monkeypatch.setattr(
        mutation_report.subprocess,
        "run",
        results(killed + "\n  pwc.evaluation.gate.x_g__mutmut_1: survived"),
    )
    assert mutation_report.main() == 0  # 1 of 10: at the goal
    monkeypatch.setattr(mutation_report.subprocess, "run", results(""))
    assert mutation_report.main() == 2
    monkeypatch.setattr(
        mutation_report.subprocess,
        "run",
        results(killed + "\n  pwc.evaluation.gate.x_h__mutmut_1: not checked"),
    )
    assert mutation_report.main() == 2  # a run cut short proves nothing yet
