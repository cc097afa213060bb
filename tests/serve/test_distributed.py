"""Batch scoring on Dask: a 2-worker LocalCluster gives exactly the single-process results."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pwc.config import load_params
from pwc.distributed import predict_dask, read_parts
from pwc.predict import Scorer, predict_file


def test_local_cluster_matches_single_process(served, small_run, tmp_path):
    _, parts = small_run
    words = parts["test"]["password"].to_pylist()[:6000] + ["null", " ", "=1+1", "x" * 200]
    src = tmp_path / "in.parquet"
    # several row groups in each of two files: tasks run out of order on two workers
    pq.write_table(pa.table({"password": words[:3500]}), src, row_group_size=700)
    pq.write_table(pa.table({"password": words[3500:]}), tmp_path / "in2.parquet", 600)
    rows = predict_dask([src, tmp_path / "in2.parquet"], tmp_path / "parts", served, workers=2)
    assert rows == len(words)
    assert len(list((tmp_path / "parts").glob("part-*.parquet"))) == 5 + 5

    params = load_params(served)
    single = tmp_path / "single.parquet"
    pq.write_table(pa.table({"password": words}), tmp_path / "all.parquet")
    scorer = Scorer.from_params(params)
    predict_file(scorer, tmp_path / "all.parquet", single, 1000, params.validate_.max_length)
    got, want = read_parts(tmp_path / "parts"), pq.read_table(single)
    assert got.column_names == want.column_names
    assert got["password"].to_pylist() == words
    for name in ("score", "source", "model_version"):
        assert got[name].to_pylist() == want[name].to_pylist(), name
    assert got["source"][-1].as_py() == "too_long"  # the 200-character one, on both paths
    assert np.array_equal(
        got["guesses_log10"].to_numpy(zero_copy_only=False),
        want["guesses_log10"].to_numpy(zero_copy_only=False),
        equal_nan=True,
    )
