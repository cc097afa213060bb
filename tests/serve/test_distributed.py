"""Batch scoring on Dask gives exactly the single-process results: on a 2-worker LocalCluster
predict_dask starts itself, and on a scheduler and worker that already run (as on a real
cluster), started here as their own processes on 127.0.0.1."""

import json
import subprocess
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dask.distributed import Client

from pwc.batch.distributed import predict_dask
from pwc.batch.predict import predict_file
from pwc.config import load_params
from pwc.scorer import Scorer

from .conftest import BIN


def read_parts(out_dir) -> pa.Table:
    return pa.concat_tables(pq.read_table(f) for f in sorted(out_dir.glob("part-*.parquet")))


def single_process(served, words, tmp_path) -> pa.Table:
    params = load_params(served)
    pq.write_table(pa.table({"password": words}), tmp_path / "all.parquet")
    single = tmp_path / "single.parquet"
    scorer = Scorer.from_params(params)
    predict_file(scorer, tmp_path / "all.parquet", single, 1000, params.validate_.max_length)
    return pq.read_table(single)


def assert_same(got: pa.Table, want: pa.Table, words: list[str]) -> None:
    assert got.column_names == want.column_names
    assert got["password"].to_pylist() == words
    for name in ("score", "source", "model_version"):
        assert got[name].to_pylist() == want[name].to_pylist(), name
    assert np.array_equal(
        got["guesses_log10"].to_numpy(zero_copy_only=False),
        want["guesses_log10"].to_numpy(zero_copy_only=False),
        equal_nan=True,
    )


@pytest.fixture
def inputs(small_run, tmp_path):
    _, parts = small_run
    words = parts["test"]["password"].to_pylist()[:6000] + ["null", " ", "=1+1", "x" * 200]
    # several row groups in each of two files: tasks run out of order on two workers
    pq.write_table(pa.table({"password": words[:3500]}), tmp_path / "in.parquet", 700)
    pq.write_table(pa.table({"password": words[3500:]}), tmp_path / "in2.parquet", 600)
    return [tmp_path / "in.parquet", tmp_path / "in2.parquet"], words


def test_local_cluster_matches_single_process(served, inputs, tmp_path):
    files, words = inputs
    rows = predict_dask(files, tmp_path / "parts", served, workers=2)
    assert rows == len(words)
    assert len(list((tmp_path / "parts").glob("part-*.parquet"))) == 5 + 5
    got = read_parts(tmp_path / "parts")
    assert_same(got, single_process(served, words, tmp_path), words)
    assert got["source"][-1].as_py() == "too_long"  # the 200-character one, on both paths


def _task_prefixes(dask_scheduler) -> list[str]:
    return list(dask_scheduler.task_prefixes)


@pytest.fixture
def running_cluster(tmp_path):
    """`dask scheduler` and one `dask worker`, each its own process, as on a real cluster."""
    file = tmp_path / "scheduler.json"
    common = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    scheduler = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(file)],
        **common,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    worker = subprocess.Popen(
        [str(BIN / "dask"), "worker", "--scheduler-file", str(file), "--nthreads", "1",
         "--host", "127.0.0.1", "--no-dashboard"],
        **common,
    )  # fmt: skip
    try:
        yield json.loads(file.read_text())["address"]
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
            proc.wait(timeout=30)


def test_an_existing_scheduler_matches_single_process(served, inputs, running_cluster, tmp_path):
    files, words = inputs
    assert running_cluster.startswith("tcp://127.0.0.1:")
    rows = predict_dask(files, tmp_path / "parts", served, scheduler=running_cluster)
    assert rows == len(words)
    with Client(running_cluster) as client:  # the tasks ran there, not on a cluster of its own
        prefixes = client.run_on_scheduler(
            lambda dask_scheduler: list(dask_scheduler.task_prefixes)
        )
    assert "score_partition" in prefixes
    assert_same(read_parts(tmp_path / "parts"), single_process(served, words, tmp_path), words)
