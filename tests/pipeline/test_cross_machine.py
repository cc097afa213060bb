"""Same code + data + params => the same bytes on any machine.

Every stage runs on a small sample in subprocesses under many numerical environments: each
OpenBLAS kernel this CPU can run, thread counts, one core, numpy's SIMD dispatch switched
off, glibc's libm without its FMA/AVX2 variants. Every output must be byte-identical, and
each environment must really differ where it claims to (else this test would prove nothing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from pwc.data.sources import read_rockyou
from tests.cpu_path import FLAGS, NO_FMA, NO_SIMD, avx512, threads

from ..conftest import ROOT

# OpenBLAS kernels (x86-64: what the guarantee covers): OPENBLAS_CORETYPE value -> (the
# name OpenBLAS then reports, the CPU flags the kernel needs). Zen runs the Haswell kernel.
KERNELS = {
    "Prescott": ("Katmai", set()),
    "Nehalem": ("Nehalem", {"sse4_2"}),
    "Sandybridge": ("Sandybridge", {"avx"}),
    "Haswell": ("Haswell", {"avx2", "fma"}),
    "SkylakeX": ("SkylakeX", {"avx512f", "avx512bw", "avx512vl"}),
}
SUPPORTED = [k for k, (_, needs) in KERNELS.items() if needs <= FLAGS]


def environments() -> dict[str, tuple[dict, int | None]]:
    """name -> (environment variables, CPU to pin to with taskset or None)."""
    envs: dict[str, tuple[dict, int | None]] = {"default": ({}, None)}
    for i, kernel in enumerate(SUPPORTED):
        count = (1, 2, 8)[i % 3]
        envs[f"{kernel}, {count} threads"] = ({"OPENBLAS_CORETYPE": kernel, **threads(count)}, None)
    envs["one core (taskset)"] = ({}, 0)
    envs["numpy without SIMD dispatch"] = ({**NO_SIMD, **threads(8)}, None)
    envs["libm without FMA"] = (NO_FMA, None)
    envs["oldest: Prescott, 1 core, no SIMD, no FMA"] = (
        {"OPENBLAS_CORETYPE": "Prescott", **NO_SIMD, **NO_FMA},
        1,
    )
    return envs


SAMPLE = {
    "data": {"source": "wordlist", "path": "data/raw/sample.txt", "sample": None, "sha256": None},
    "split": {"test_size": 3_000, "test_head_size": 3_000},
    # the default model's code paths (mixed draws, calibration, Markov, trees), small
    "train": {
        "rows": 30_000,
        "hash_bits": 16,
        "markov_bits": [12, 13, 14, 15, 16, 16],  # one size per order, as the default
        "pcfg_bits": 16,
        "neighbour_bits": 16,  # the neighbour table, its builds and lookups too
        "markov_rows": 30_000,
        "booster_rows": 30_000,
        "booster_iter": 15,
    },
    # zxcvbn, pure Python, was most of each environment's time (docs/tests.md, "Suite time")
    "compare": {"rows": 800, "slice_rows": 200},
    # the browser meter: every table order and the trees, at sample size
    "meter": {
        "min_counts": [1, 2, 2, 2, 2, 2],
        "min_gains": [0, 2, 4, 4, 4, 4],
        "extended": {"key_bits": 28, "min_counts": [1, 1, 2, 2, 2, 2], "min_gains": [0] + [1] * 5},
        "rows": 30_000,
        "trees": 15,
    },
    "predict": {"batch_size": 1_000},
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A params.yaml and a 120k-line slice of RockYou (every 119th line: still frequency
    ordered, with blocks) as a wordlist, so ingest is quick in every environment."""
    base = tmp_path_factory.mktemp("cross_machine") / "base"
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    for section, values in SAMPLE.items():
        raw[section].update(values)
    (base / "data/raw").mkdir(parents=True)
    (base / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    text, _ = read_rockyou(raw["data"]["sha256"] or None)
    lines = text.split(b"\n")[::119]
    (base / "data/raw/sample.txt").write_bytes(b"\n".join(lines) + b"\n")
    return base


def run(project: Path, name: str, env: dict, cpu: int | None) -> dict:
    work = project.parent / name.replace(" ", "_").replace(",", "").replace(":", "")
    shutil.copytree(project, work)
    full_env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", **env}
    for var in ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        if var not in env:
            full_env.pop(var, None)  # "default": what this machine picks by itself
    command = [sys.executable, str(Path(__file__).with_name("run_stages.py"))]
    if cpu is not None:
        command = ["taskset", "-c", str(cpu % os.cpu_count()), *command]
    proc = subprocess.run(
        command, cwd=work, env=full_env, capture_output=True, text=True, timeout=400
    )
    assert proc.returncode == 0, f"{name}: {proc.stderr[-3000:]}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def results(project) -> dict[str, dict]:
    envs = environments()
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, project, name, *spec) for name, spec in envs.items()}
        return {name: future.result() for name, future in futures.items()}


def test_at_least_eight_environments_and_each_is_what_it_claims(results):
    assert len(results) >= 8
    default = results["default"]["environment"]
    for name, (env, cpu) in environments().items():
        facts = results[name]["environment"]
        if "OPENBLAS_CORETYPE" in env:
            assert facts["blas_kernel"] == [KERNELS[env["OPENBLAS_CORETYPE"]][0]], (name, facts)
        if "OPENBLAS_NUM_THREADS" in env and cpu is None:
            wanted = min(int(env["OPENBLAS_NUM_THREADS"]), os.cpu_count())  # OpenBLAS caps it
            assert facts["blas_threads"] == [wanted], (name, facts)
            assert facts["openmp_threads"] == [int(env["OMP_NUM_THREADS"])], (name, facts)
        if cpu is not None:
            assert facts["cores"] == 1, (name, facts)
        if "NPY_DISABLE_CPU_FEATURES" in env:
            assert facts["numpy_simd"] == [], (name, facts)
            if avx512(default["numpy_simd"]):  # numpy's AVX-512 log10 differs from libm's
                assert facts["numpy_log10"] != default["numpy_log10"], name
        if "GLIBC_TUNABLES" in env and "fma" in FLAGS:
            assert facts["libm_exp"] != default["libm_exp"], name  # libm's other variant ran


def test_every_output_is_byte_identical_in_every_environment(results):
    reference = results["default"]["outputs"]
    shipped = {"models/model.skops", "web/meter/model.js", "web/meter/model-extended.js"}
    assert shipped | {"metrics/evaluate/metrics.json", "metrics/compare.json"} <= set(reference)
    assert len(reference) >= 15
    for name, result in results.items():
        differing = sorted(
            path for path in reference if result["outputs"].get(path) != reference[path]
        )
        assert set(result["outputs"]) == set(reference), name
        assert not differing, f"{name}: {differing}"
