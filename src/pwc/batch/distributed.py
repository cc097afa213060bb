"""Batch scoring beyond one machine: Parquet partitions scored on a Dask cluster.

Each task reads one row group of one input file, scores it with the same `Scorer` as batch
predict, the API and the CLI, and writes one output part; the parts concatenated in order
equal `pwc.batch.predict.predict_file`'s output row for row (tested on a 2-worker LocalCluster).

    password-complexity predict-dask INPUT... --output DIR               # LocalCluster
    password-complexity predict-dask INPUT... --output DIR --scheduler tcp://host:8786

On a real cluster every worker must see the same paths (inputs, model, lookup, output
directory): a shared filesystem, or paths an fsspec URL names. Workers need this package
installed at the same version (the output records the model version of each row).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from pwc.batch.predict import open_parquet_input, output_table
from pwc.config import load_params
from pwc.io import atomic_path
from pwc.scorer import Scorer


@dataclass(frozen=True)
class Partition:
    path: str
    row_group: int
    index: int  # position in the output order


def partitions(inputs: list[Path]) -> list[Partition]:
    """One task per Parquet row group, in input order."""
    parts = []
    for path in inputs:
        meta = open_parquet_input(path)
        for group in range(meta.num_row_groups):
            parts.append(Partition(str(path), group, len(parts)))
    return parts


@functools.lru_cache(maxsize=2)
def _scorer(
    params_path: str, model_path: str | None, use_lookup: bool | None
) -> tuple[Scorer, int]:
    """(scorer, max password length), loaded once per worker process and reused."""
    params = load_params(params_path)
    model = Path(model_path) if model_path else None
    scorer = Scorer.from_params(params, model, use_lookup=use_lookup)
    return scorer, params.validate_.max_length


def score_partition(
    part: Partition,
    out_dir: str,
    params_path: str,
    model_path: str | None = None,
    use_lookup: bool | None = None,
) -> tuple[str, int]:
    """Score one row group into `out_dir/part-<index>.parquet` (atomic); (file, rows)."""
    scorer, max_length = _scorer(params_path, model_path, use_lookup)
    passwords = pq.ParquetFile(part.path).read_row_group(part.row_group, columns=["password"])
    column = passwords.column(0).combine_chunks()
    dst = Path(out_dir) / f"part-{part.index:06d}.parquet"
    with atomic_path(dst) as tmp:
        pq.write_table(output_table(scorer, column, max_length), tmp, compression="zstd")
    return str(dst), len(column)


def predict_dask(
    inputs: list[Path],
    out_dir: Path,
    params_path: Path = Path("params.yaml"),
    model_path: Path | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    use_lookup: bool | None = None,
) -> int:
    """Score every row group of `inputs` on a Dask cluster; returns the number of rows.

    `scheduler`: an address (tcp://...) of a running cluster; None starts a LocalCluster of
    `workers` single-threaded processes on this machine (127.0.0.1 only).
    """
    from dask.distributed import Client, LocalCluster  # optional at import time of pwc

    parts = partitions(inputs)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("part-*.parquet"):
        stale.unlink()  # a rerun with fewer partitions must not leave old parts behind
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    try:
        with Client(scheduler or cluster) as client:
            futures = client.map(
                score_partition,
                parts,
                out_dir=os.fspath(out_dir),
                params_path=os.fspath(params_path),
                model_path=os.fspath(model_path) if model_path else None,
                use_lookup=use_lookup,
                pure=False,
            )
            done = client.gather(futures)
    finally:
        if cluster is not None:
            cluster.close()
    return sum(rows for _, rows in done)
