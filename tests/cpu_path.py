"""Run a command where the CPU-dependent routines compute otherwise, after checking that they do.

    python -m tests.cpu_path                       # print what the switch changes here
    python -m tests.cpu_path -- pytest tests/code  # run a command under it (exit: the command's)

The switch (`OTHER_CPU`): numpy's SIMD dispatch off above its baseline
(`NPY_DISABLE_CPU_FEATURES`), glibc's libm without its AVX2/FMA/AVX-512 variants
(`GLIBC_TUNABLES` hwcaps), one OpenMP and one BLAS thread. A test whose expected value came from
`np.log10`, `math.exp` or a SIMD reduction passes on the developer's CPU and fails on another;
under the switch it fails here too. Before running the command, probes in a child process under
each environment must show the change where the CPU has something to switch off: no numpy SIMD
target left; libm's `exp` other bits (where the CPU has FMA); numpy's `log10` other bits (where
numpy runs AVX-512 code, whose SIMD log10 it uses). A switch that changed nothing would prove
nothing, so then this exits 1 without running the command. test_cross_machine.py uses the same
pieces for the pipeline's outputs.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from numpy._core import _multiarray_umath as npcore

FLAGS: set[str] = set()
for _line in Path("/proc/cpuinfo").read_text().splitlines():
    if _line.startswith("flags"):
        FLAGS = set(_line.split(":", 1)[1].split())
        break


def running_targets() -> list[str]:
    """numpy's SIMD targets above its baseline that this process runs."""
    return [t for t in npcore.__cpu_dispatch__ if npcore.__cpu_features__.get(t)]


# Disabling every target leaves the baseline code, what an older x86-64 runs. A list given
# already (under the switch, or some targets off to stand in for another CPU) is kept, with
# what still runs.
SIMD = os.environ.get("NPY_DISABLE_CPU_FEATURES", "").split() + running_targets()
NO_SIMD = {"NPY_DISABLE_CPU_FEATURES": " ".join(SIMD)}
NO_FMA = {"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F"}


def threads(n: int) -> dict[str, str]:
    return {"OMP_NUM_THREADS": str(n), "OPENBLAS_NUM_THREADS": str(n)}


OTHER_CPU = {**NO_SIMD, **NO_FMA, **threads(1)}


def fingerprint(values) -> str:
    return hashlib.sha256(np.asarray(values, dtype=np.float64).tobytes()).hexdigest()[:16]


def probe() -> dict:
    """What the switch is meant to change, as this process computes it."""
    ranks = np.arange(1, 200_000, dtype=np.float64)  # the guess ranks of a sample's leak
    grid = np.linspace(0.001, 50.0, 20_001)
    return {
        "numpy_simd": running_targets(),
        "numpy_log10": fingerprint(np.log10(ranks)),
        "libm_exp": fingerprint([math.exp(v) for v in grid.tolist()]),
    }


def probe_in(env: dict[str, str]) -> dict:
    """probe() in a child process whose environment is this one's without the switch's
    variables (the machine's own choices), plus `env`."""
    own = {k: v for k, v in os.environ.items() if k not in OTHER_CPU}
    full = {**own, **env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    code = "import json, tests.cpu_path as c; print(json.dumps(c.probe()))"
    out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"cpu_path: the probe failed under {env}: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def avx512(targets: list[str]) -> bool:
    """Whether numpy runs AVX-512 code (its SIMD log10 is AVX-512 only; elsewhere libm's)."""
    return any("AVX512" in t or t == "X86_V4" for t in targets)


def changes(default: dict, other: dict) -> list[str]:
    """What differs under the switch; raises SystemExit for a switch that did not take."""
    missing = []
    if other["numpy_simd"]:
        missing.append(f"numpy still dispatches to {other['numpy_simd']}")
    if "fma" in FLAGS and other["libm_exp"] == default["libm_exp"]:
        missing.append("libm's exp gave the same bits without FMA")
    if avx512(default["numpy_simd"]) and other["numpy_log10"] == default["numpy_log10"]:
        missing.append("numpy's log10 gave the same bits without AVX-512")
    found = [name for name in ("numpy_log10", "libm_exp") if other[name] != default[name]]
    if not found:
        missing.append("nothing this CPU computes changed (no SIMD above baseline, no FMA?)")
    if missing:
        raise SystemExit("cpu_path: the switch did not take: " + "; ".join(missing))
    return [f"numpy SIMD off ({' '.join(default['numpy_simd'])})", *found]


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    default, other = probe_in({}), probe_in(OTHER_CPU)
    print(f"cpu_path: {'; '.join(changes(default, other))} changed; one thread", flush=True)
    if not command:
        return 0
    return subprocess.run(command, env={**os.environ, **OTHER_CPU}).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
