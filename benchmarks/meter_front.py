"""The browser meter's size-quality front: the meter fitted at several table sizes (the
pruning counts and the hash-key width of params.yaml `meter`), each one's core bundle size
(gzip -9) and its quality on the validation sets, where sizes are chosen.

    python benchmarks/meter_front.py [--out benchmarks/meter_front.json]

Each point refits the meter on the train split (~2-3 min on 2 cores; needs `make repro`'s
split). The test sets are left out: they report the chosen bundle (evaluate, compare).
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from pwc import evaluate
from pwc.config import load_params, with_changes
from pwc.data.split import VALIDATION_SETS
from pwc.meter import bundle, fit

ROOT = Path(__file__).resolve().parents[1]
# (key_bits, min_counts per order), smallest bundle first
POINTS = [
    (20, [1, 30, 600, 1500, 2000, 2000]),
    (22, [1, 8, 150, 400, 600, 600]),
    (22, [1, 4, 50, 100, 150, 150]),
    (23, [1, 3, 30, 60, 80, 80]),
    (24, [1, 3, 24, 50, 60, 60]),
    (26, [1, 2, 8, 16, 20, 20]),
    (27, [1, 2, 7, 12, 14, 14]),
    (27, [1, 2, 6, 10, 12, 12]),
    (28, [1, 2, 3, 4, 4, 4]),
]


def measure(params, key_bits: int, min_counts: list[int], sets: dict) -> dict:
    # one model at this size (no extended one)
    cfg = with_changes(params.meter, key_bits=key_bits, min_counts=min_counts, extended=None)
    train = pq.read_table(params.paths.split("train"), columns=["password", "rank", "target"])
    start = time.perf_counter()
    meter = fit.fit(
        train, cfg, params.seed, params.strength.score_thresholds, params.validate_.max_length
    )["core"]
    seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        bundle.write({"core": meter}, Path(tmp))
        core = b"".join((Path(tmp) / n).read_bytes() for n in bundle.CORE)
    row = {
        "key_bits": key_bits,
        "min_counts": min_counts,
        "entries": sum(int(k.size) for k in meter.tables.keys),
        "gzip_bytes": len(gzip.compress(core, 9, mtime=0)),
        "fit_seconds": round(seconds, 1),
    }
    for name, rows in sets.items():
        y = rows["target"].to_numpy()
        pred = meter.score(rows["password"])["guesses_log10"]
        seen_once = rows["seen_once"].to_numpy(zero_copy_only=False)
        m = evaluate.metrics(y, pred, seen_once, float(y.max()), None)
        row[name] = {"spearman": m["spearman"], "auc_seen_twice": m["auc_seen_twice"]}
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/meter_front.json")
    args = ap.parse_args()
    params = load_params(ROOT / "params.yaml")
    sets = {name: pq.read_table(params.paths.split(name)) for name in VALIDATION_SETS}
    rows = []
    for key_bits, min_counts in POINTS:
        rows.append(measure(params, key_bits, min_counts, sets))
        print(json.dumps(rows[-1]), flush=True)
        args.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
