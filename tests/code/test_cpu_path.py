"""tests/cpu_path.py, the switch CI's second run of the fast suites runs under: it changes what
a machine-dependent oracle computes, and it refuses to run when it changed nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from pwc import numerics
from tests import cpu_path

from ..conftest import ROOT

CODE = """
import json, numpy as np
from pwc import numerics
ranks = np.arange(1, 200_000, dtype=np.float64)
print(json.dumps(int((np.log10(ranks) != numerics.log10(ranks)).sum())))
"""


def test_under_the_switch_np_log10_is_not_the_products_log10():
    """The oracle that made CI red on an AVX2-only CPU (np.log10 beside the server's
    pwc.numerics.log10, guess ranks below 200,000) disagrees under the switch on any x86-64
    CPU: there numpy calls glibc's log10. So the second run fails on that line here too."""
    env = {**os.environ, **cpu_path.OTHER_CPU, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) > 1000
    ranks = np.arange(1, 200_000, dtype=np.float64)
    assert numerics.log10(ranks).tobytes() == numerics.log10(ranks[::-1])[::-1].tobytes()


def _facts(simd=(), log10="a", exp="b") -> dict:
    return {"numpy_simd": list(simd), "numpy_log10": log10, "libm_exp": exp}


def test_a_switch_that_changed_nothing_stops_the_run(monkeypatch):
    monkeypatch.setattr(cpu_path, "FLAGS", {"fma", "avx512f", "avx512dq"})
    default = _facts(["X86_V3", "X86_V4"])
    assert cpu_path.changes(default, _facts(log10="c", exp="d")) == [
        "numpy SIMD off (X86_V3 X86_V4)",
        "numpy_log10",
        "libm_exp",
    ]
    with pytest.raises(SystemExit, match="numpy still dispatches to"):
        cpu_path.changes(default, _facts(["X86_V3"], log10="c", exp="d"))
    with pytest.raises(SystemExit, match="libm's exp gave the same bits"):
        cpu_path.changes(default, _facts(log10="c"))
    with pytest.raises(SystemExit, match="numpy's log10 gave the same bits"):
        cpu_path.changes(default, _facts(exp="d"))
    assert cpu_path.changes(_facts(["X86_V3"]), _facts(exp="d")) == [  # AVX2: libm's log10
        "numpy SIMD off (X86_V3)",
        "libm_exp",
    ]
    monkeypatch.setattr(cpu_path, "FLAGS", set())
    with pytest.raises(SystemExit, match="nothing this CPU computes changed"):
        cpu_path.changes(_facts(["X86_V3"]), _facts())


def test_the_command_runs_under_the_switch_and_its_exit_code_is_kept():
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    code = "import os, sys; sys.exit(0 if os.environ['OMP_NUM_THREADS'] == '1' else 7)"
    ok = subprocess.run(
        [sys.executable, "-m", "tests.cpu_path", "--", sys.executable, "-c", code],
        env={**env, "OMP_NUM_THREADS": "4"},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("cpu_path: numpy SIMD off"), ok.stderr
    failing = subprocess.run(
        [sys.executable, "-m", "tests.cpu_path", "--", sys.executable, "-c", "exit(5)"],
        env=env,
        capture_output=True,
        cwd=ROOT,
    )
    assert failing.returncode == 5
