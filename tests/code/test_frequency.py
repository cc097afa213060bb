"""Frequency-weighted metrics: block counts estimated from the leak's order, weighted Spearman,
and slices by true guess rank."""

import numpy as np
import pyarrow as pa
import pytest
from scipy.stats import spearmanr

from pwc.evaluation import compare, evaluate, frequency


def _zipf_leak(top: float = 3e5, s: float = 0.87) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A leak whose r-th most common password occurs floor(top * r^-s) times: (block id and
    block mid-rank per row, each block's true count)."""
    ranks = np.arange(1, int(top ** (1 / s)) + 1, dtype=np.float64)
    counts = np.floor(top * ranks**-s)
    true_counts, block = np.unique(-counts, return_inverse=True)  # blocks from the most common
    sizes = np.bincount(block)
    ends = np.cumsum(sizes)
    mid = (ends - sizes + 1 + ends) / 2.0
    return block, mid[block], -true_counts


def test_tail_counts_are_exact_and_the_head_follows_the_zipf_fit():
    block, mid, true_counts = _zipf_leak()
    est = frequency.BlockCounts.estimate(block, mid).counts
    small = np.flatnonzero(np.bincount(block) < frequency.FIT_MIN_SIZE)
    fit = np.arange(true_counts.size) > small[-1]  # the tail, back to the first small block
    assert fit.any() and not fit.all()
    assert np.array_equal(est[fit], true_counts[fit])  # the k-th block from the end: count k
    from_end = np.arange(true_counts.size, 0, -1)
    assert (est >= from_end).all() and (np.diff(est) <= 0).all()  # a count, falling with rank
    # the head: within 25% of the truth, where the lower bound alone is 100x off at the top
    ratio = est[~fit] / true_counts[~fit]
    assert ratio.min() > 0.75 and ratio.max() < 1.25, (ratio.min(), ratio.max())
    assert true_counts[0] / from_end[0] > 100


def test_counts_from_the_source_are_used_as_they_are():
    table = pa.table(
        {"block": [0, 1, 1], "guess_rank": [1.0, 2.5, 2.5], "times": [9, 4, 4]},
    )
    assert frequency.BlockCounts.from_table(table) is None
    assert frequency.row_weights(table, None).tolist() == [9.0, 4.0, 4.0]
    no_times = table.set_column(2, "times", pa.nulls(3, pa.int64()))
    counts = frequency.BlockCounts.from_table(no_times)
    assert frequency.row_weights(no_times, counts).tolist() == [2.0, 1.0, 1.0]  # too few to fit


def test_weighted_spearman_equals_spearman_on_rows_repeated_by_their_weight():
    rng = np.random.default_rng(3)
    y = np.round(rng.normal(size=300), 1)  # ties on both sides
    pred = np.round(y + rng.normal(size=300), 1)
    w = rng.integers(1, 6, size=300)
    repeated = spearmanr(np.repeat(y, w), np.repeat(pred, w)).statistic
    assert evaluate.spearman_weighted(y, pred, w) == pytest.approx(repeated, abs=2e-6)
    assert evaluate.spearman_weighted(y, pred, np.ones(300)) == evaluate.spearman(y, pred)


def test_weights_decide_which_errors_count():
    y = np.arange(10, dtype=np.float64)
    pred = y.copy()
    pred[[0, 1]] = pred[[1, 0]]  # the two most common swapped
    pred[[8, 9]] = pred[[9, 8]]  # and the two rarest
    head_heavy = np.array([1000.0, 1000.0] + [1.0] * 8)
    tail_heavy = head_heavy[::-1]
    plain = evaluate.spearman(y, pred)
    assert evaluate.spearman_weighted(y, pred, head_heavy) < plain - 0.2
    assert evaluate.spearman_weighted(y, pred, tail_heavy) < plain - 0.2
    fixed_head = pred.copy()
    fixed_head[[0, 1]] = [0.0, 1.0]
    assert evaluate.spearman_weighted(y, fixed_head, head_heavy) > 0.99
    assert evaluate.metrics(y, pred, y > 5, weights=head_heavy)["spearman_weighted"] < plain


def test_rank_slices_cover_every_row_once_and_compare_scores_each_peer_there():
    target = np.array([0.5, 3.0, 3.01, 5.0, 6.5, 6.51, 7.0, 2.0])
    masks = evaluate.rank_masks(target)
    assert list(masks) == [name for name, *_ in evaluate.RANK_BUCKETS]
    assert (sum(m.astype(int) for m in masks.values()) == 1).all()
    assert [int(m.sum()) for m in masks.values()] == [3, 2, 1, 2]
    table = pa.table(
        {
            "password": [f"p{i}" for i in range(target.size)],
            "target": target,
            "seen_once": target > 6.5,
        }
    )
    peers = {"exact": lambda pw: target.copy(), "flat": lambda pw: np.full(len(pw), 4.0)}
    out = compare.compare_set(table, peers, cap=7.0, weights=np.arange(1.0, 9.0))
    exact, flat = out["models"]["exact"], out["models"]["flat"]
    assert exact["rank_slices"]["rank_to_1e3"] == {
        "n": 3,
        "rmse": 0.0,
        "bias": 0.0,
        "spearman": 1.0,
    }
    assert flat["rank_slices"]["rank_1e6_5_up"]["bias"] == pytest.approx(4.0 - 6.755)
    assert exact["spearman_weighted"] == 1.0 and flat["spearman_weighted"] == 0.0


def test_each_rank_slice_gets_its_own_draw_from_the_whole_set():
    target = np.concatenate(
        [np.full(3, 2.0), np.full(50, 4.0), np.full(500, 6.0), np.full(900, 6.9)]
    )
    table = pa.table(
        {
            "password": [f"p{i}" for i in range(target.size)],
            "target": target,
            "seen_once": target > 6.5,
        }
    )
    picked = compare.rank_slice_rows(table, 40, seed=1)
    counts = np.unique(picked["target"].to_numpy(), return_counts=True)[1].tolist()
    assert counts == [3, 40, 40, 40]  # every row of a small slice, `size` of the others
    assert picked.equals(compare.rank_slice_rows(table, 40, seed=1))
    assert not picked.equals(compare.rank_slice_rows(table, 40, seed=2))
    peers = {"exact": lambda pw: np.array([float(p[1:]) for p in pw])}
    out = compare.compare_set(table.slice(0, 10), peers, cap=7.0, slice_rows=picked)
    assert out["rows"] == 10 and out["slice_rows"] == 123
    assert out["models"]["exact"]["rank_slices"]["rank_1e3_1e5"]["n"] == 40
