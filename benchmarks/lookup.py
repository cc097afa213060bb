"""Leak lookup figures: build time, file size, load time, lookup time per password in batch.

Uses the validated rows `make repro` wrote (all of RockYou by default).
    python benchmarks/lookup.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from pwc import lookup
from pwc.config import load_params

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    params = load_params(ROOT / "params.yaml")
    rows = pq.read_table(ROOT / params.paths.validated, columns=["password", "guess_rank"])
    start = time.perf_counter()
    table = lookup.build(rows["password"], rows["guess_rank"].to_numpy(), None, params.lookup.key)
    built = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lookup.bin"
        start = time.perf_counter()
        lookup.write(table, path)
        written = time.perf_counter() - start
        size = os.path.getsize(path)
        start = time.perf_counter()
        loaded = lookup.load(path, params.lookup.key)
        load_s = time.perf_counter() - start
        rng = np.random.default_rng(0)
        hits = rows["password"].take(rng.choice(rows.num_rows, 200_000, replace=False))
        misses = [f"not-in-the-leak-{i}-zq" for i in range(200_000)]
        for name, queries in (("present", hits), ("absent", misses)):
            loaded.find(queries)  # page the file in
            start = time.perf_counter()
            found, _, _ = loaded.find(queries)
            per = (time.perf_counter() - start) / len(queries) * 1e6
            print(
                f"lookup, 200,000 {name} passwords in one batch: {per:.2f} µs each, "
                f"found {found.mean():.1%}"
            )
    print(
        f"entries {table.entries:,}, tiers {table.guess_rank.size:,}, "
        f"dropped collisions {table.dropped_collisions}"
    )
    print(
        f"build {built:.1f} s + write {written:.1f} s; file {size / 1e6:.1f} MB; "
        f"load (mmap + digest check) {load_s:.2f} s"
    )
    print(f"false-positive bound: entries / 2^64 = {table.entries / 2**64:.1e} per absent query")


if __name__ == "__main__":
    main()
