"""Seeded row sampling (pwc.sampling): uniform, uniform in log rank, training rows, weights."""

import numpy as np
import pyarrow as pa
import pytest

from pwc.sampling import (
    inclusion_weights,
    log_rank_sample,
    take_uniform,
    training_rows,
    uniform_sample,
)


def test_take_uniform_is_seeded_in_table_order_and_caps_at_all_rows():
    table = pa.table({"x": list(range(100))})
    a = take_uniform(table, 10, seed=1)
    assert a.equals(take_uniform(table, 10, seed=1))
    assert not a.equals(take_uniform(table, 10, seed=2))
    assert a["x"].to_pylist() == sorted(a["x"].to_pylist())
    assert take_uniform(table, 500, seed=1).equals(table)


def test_uniform_sample_is_what_numpy_draws():
    """The one helper replaced four copies of np.sort(rng.choice(...)): the same rows."""
    want = np.sort(np.random.default_rng(3).choice(1000, size=50, replace=False))
    assert np.array_equal(uniform_sample(1000, 50, np.random.default_rng(3)), want)
    assert np.array_equal(uniform_sample(5, 50, np.random.default_rng(3)), np.arange(5))


def test_log_rank_sample_favours_the_head():
    ranks = np.arange(1, 100_001)
    rng = np.random.default_rng(0)
    idx = log_rank_sample(ranks, 5_000, rng)
    assert len(np.unique(idx)) == 5_000
    # uniform in log rank: about a fifth of draws below rank 10 (= 100000^(1/5)) would be
    # impossible without repeats; at least the median is far below the uniform median.
    assert np.median(ranks[idx]) < 10_000


@pytest.mark.parametrize("sampling", ["uniform", "log_rank", "mixed"])
def test_training_rows(sampling):
    ranks = np.random.default_rng(0).permutation(np.arange(1, 50_001))
    idx = training_rows(ranks, 5_000, sampling, seed=4)
    assert len(np.unique(idx)) == idx.size == 5_000
    assert np.array_equal(idx, training_rows(ranks, 5_000, sampling, seed=4))
    assert np.array_equal(training_rows(ranks, None, sampling, seed=4), np.arange(50_000))


def test_inclusion_weights_undo_the_log_rank_bias():
    ranks = np.arange(1, 100_001)
    chosen = training_rows(ranks, 20_000, "log_rank", seed=0)
    weights = inclusion_weights(ranks, chosen)
    # the weighted share of rows past rank 50,000 is the natural one (a half), not the drawn one
    tail = ranks[chosen] > 50_000
    assert tail.mean() < 0.3
    assert weights[tail].sum() / weights.sum() == pytest.approx(0.5, abs=0.02)
