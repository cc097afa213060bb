"""The browser meter's size-quality front: the meter fitted at several table sizes (the
pruning bounds and the hash-key width of params.yaml `meter`), each one's core bundle size
(gzip -9) and its quality on the validation sets, where sizes are chosen.

    python benchmarks/meter_front.py [--out benchmarks/meter_front.json] [--only I ...]

Each point refits the meter on the train split (~2-3 min on 2 cores; needs `make repro`'s
split). The test sets are left out: they report the chosen bundle (evaluate, compare).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from pwc.config import load_params, with_changes
from pwc.data.split import VALIDATION_SETS
from pwc.evaluation import evaluate
from pwc.meter import bundle, fit

ROOT = Path(__file__).resolve().parents[1]
# (key_bits, min_counts, min_gains per order), smallest bundle first
POINTS = [
    (21, [1, 2, 2, 2, 2, 2], [0, 300, 1000, 1000, 1000, 1000]),
    (23, [1, 2, 2, 2, 2, 2], [0, 100, 300, 300, 300, 300]),
    (23, [1, 2, 2, 2, 2, 2], [0, 60, 150, 150, 150, 150]),
    (24, [1, 2, 2, 2, 2, 2], [0, 50, 100, 100, 100, 100]),
    (25, [1, 2, 2, 2, 2, 2], [0, 30, 50, 50, 50, 50]),
    (27, [1, 2, 2, 2, 2, 2], [0, 10, 20, 20, 20, 20]),
    (28, [1, 2, 2, 2, 2, 2], [0, 6, 10, 10, 10, 10]),
]


def measure(params, point: tuple, sets: dict) -> dict:
    # one model at this size (no extended one)
    key_bits, min_counts, min_gains = point
    cfg = with_changes(
        params.meter,
        key_bits=key_bits,
        min_counts=min_counts,
        min_gains=min_gains,
        extended=None,
    )
    train = pq.read_table(params.paths.split("train"), columns=["password", "rank", "target"])
    start = time.perf_counter()
    meter = fit.fit(
        train, cfg, params.seed, params.strength.score_thresholds, params.validate_.max_length
    )["core"]
    seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        bundle.write({"core": meter}, Path(tmp))
        core_gzip = bundle.sizes(tmp)["core_gzip_bytes"]  # as the meter stage reports it
    row = {
        "key_bits": key_bits,
        "min_counts": min_counts,
        "min_gains": min_gains,
        "entries": sum(int(k.size) for k in meter.tables.keys),
        "gzip_bytes": core_gzip,
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
    ap.add_argument("--only", type=int, nargs="*", help="these points (indices) alone")
    args = ap.parse_args()
    params = load_params(ROOT / "params.yaml")
    sets = {name: pq.read_table(params.paths.split(name)) for name in VALIDATION_SETS}
    rows = []
    for i, point in enumerate(POINTS):
        if args.only is not None and i not in args.only:
            continue
        rows.append(measure(params, point, sets))
        print(json.dumps(rows[-1]), flush=True)
        args.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
