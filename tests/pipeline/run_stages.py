"""Run every pipeline stage in this one process (cwd: a project copy) and print JSON: the
sha256 of each output, and what this process's numerical environment really was.

Used by test_cross_machine.py, which starts it under many environments. Stage by stage as
`dvc repro` would (same modules, same params.yaml), without DVC's start-up per stage.
"""

import contextlib
import hashlib
import importlib
import json
import os
import sys
from pathlib import Path

from threadpoolctl import threadpool_info

from pwc.config import load_params
from pwc.errors import GateError
from tests.cpu_path import probe

STAGES = (
    "ingest",
    "validate",
    "lookup",
    "range_index",
    "split",
    "train",
    "meter",
    "evaluate",
    "compare",
    "gate",
    "predict",
)


def environment() -> dict:
    """Facts that the variables and taskset are meant to change (checked by the test); the
    numerical ones (numpy's SIMD targets, the bits of np.log10 and math.exp, what made outputs
    machine-dependent) as tests/cpu_path.py probes them."""
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    openmp = [i for i in threadpool_info() if i["user_api"] == "openmp"]
    return {
        "blas_kernel": sorted({i.get("architecture") for i in blas}),
        "blas_threads": sorted({i["num_threads"] for i in blas}),
        "openmp_threads": sorted({i["num_threads"] for i in openmp}),
        "cores": len(os.sched_getaffinity(0)),
        **probe(),
    }


def main() -> None:
    params = load_params()
    for name in STAGES:
        # gate.json is written before a GateError: predict runs on regardless, for its bytes
        with contextlib.suppress(GateError):
            importlib.import_module(f"pwc.stages.{name}").main(params)
    outputs = {}
    for top in ("data", "models", "metrics", "web"):
        for path in sorted(Path(top).rglob("*")):
            if path.is_file() and "raw" not in path.parts:
                outputs[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    json.dump({"outputs": outputs, "environment": environment()}, sys.stdout)


if __name__ == "__main__":
    main()
