"""Speed, size and training time of the peers in the comparison table (not a DVC stage:
timings differ run to run, and DVC outputs must be byte-identical).

Writes benchmarks/compare_speed.json, which `python -m pwc.ops.report --docs` puts in the
docs table (docs/models.md) next to the compare stage's quality metrics.
    python benchmarks/compare_speed.py      (~3 min on 2 cores)
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq

from pwc import model
from pwc.config import load_params
from pwc.evaluation import compare

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks/compare_speed.json"


def throughput(predict, passwords: list[str], batch: int = 10_000) -> float:
    start = time.perf_counter()
    for i in range(0, len(passwords), batch):
        predict(passwords[i : i + batch])
    return len(passwords) / (time.perf_counter() - start)


def main() -> None:
    params = load_params(ROOT / "params.yaml")
    train = pq.read_table(
        ROOT / params.paths.split("train"), columns=["password", "rank", "target"]
    )
    test = pq.read_table(ROOT / params.paths.split("test"))["password"].to_pylist()
    out = {}
    for name, kind in (("baseline", "baseline"), ("ours", params.train.model)):
        cfg = params.train.model_copy(update={"model": kind})
        start = time.perf_counter()
        fitted = model.train(train, cfg, params.seed)
        seconds = time.perf_counter() - start
        out[name] = {
            "train_seconds": round(seconds, 1),
            "model_bytes": len(model.to_bytes(fitted)),
            "passwords_per_second": round(
                throughput(lambda pw, m=fitted: model.predict(m, pw), test)
            ),
        }
        print(name, out[name])
    out["zxcvbn"] = {
        "train_seconds": None,
        "model_bytes": None,
        "passwords_per_second": round(throughput(compare.zxcvbn_log10, test[:5000], 1000)),
    }
    out["constant"] = {"train_seconds": None, "model_bytes": None, "passwords_per_second": None}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    out["_measured"] = {"commit": commit.stdout.strip(), "date": time.strftime("%Y-%m-%d")}
    OUT.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
