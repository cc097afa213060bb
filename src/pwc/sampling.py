"""Seeded row sampling: uniform draws, draws uniform in log rank (toward the common head),
the training rows of each sampling scheme and the weights that undo the scheme's bias."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pwc import numerics


def uniform_sample(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted row indices, `size` distinct rows (all rows when size >= n)."""
    if size >= n:
        return np.arange(n)
    return np.sort(rng.choice(n, size=size, replace=False))


def log_rank_sample(ranks: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Distinct row indices drawn uniformly in log rank.

    Each draw is r = exp(u), u ~ Uniform(0, ln N) with N the largest rank; it takes the row with
    the nearest rank (lower rank on a tie). Draws repeat until `size` distinct rows are held.
    `ranks` must be sorted ascending. Returned in draw order of first appearance.
    """
    n = ranks.size
    size = min(size, n)
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    log_max = float(numerics.log(float(ranks[-1])))
    taken = np.zeros(n, dtype=bool)
    chosen: list[np.ndarray] = []
    held = 0
    while held < size:
        draws = numerics.exp(rng.uniform(0.0, log_max, size=max(2 * (size - held), 1024)))
        right = np.clip(np.searchsorted(ranks, draws), 1, n - 1)
        left = right - 1
        nearest = np.where(draws - ranks[left] <= ranks[right] - draws, left, right)
        _, first = np.unique(nearest, return_index=True)
        fresh = nearest[np.sort(first)]
        fresh = fresh[~taken[fresh]][: size - held]
        taken[fresh] = True
        chosen.append(fresh)
        held += fresh.size
    return np.concatenate(chosen)


def training_rows(ranks: np.ndarray, rows: int | None, sampling: str, seed: int) -> np.ndarray:
    """Indices of the training rows (into a table whose `ranks` are given, any order)."""
    n = ranks.size
    if rows is None or rows >= n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    order = np.argsort(ranks, kind="stable")
    if sampling == "uniform":
        return np.sort(uniform_sample(n, rows, rng))
    if sampling == "log_rank":
        return np.sort(order[log_rank_sample(ranks[order], rows, rng)])
    # mixed: half log-rank, the rest uniform over what is left
    head = order[log_rank_sample(ranks[order], rows // 2, rng)]
    in_head = np.zeros(n, dtype=bool)
    in_head[head] = True
    rest = np.flatnonzero(~in_head)
    tail = rest[uniform_sample(rest.size, rows - head.size, rng)]
    return np.sort(np.concatenate([head, tail]))


def inclusion_weights(ranks: np.ndarray, chosen: np.ndarray, bins: int = 256) -> np.ndarray:
    """1 / (chance a row of that rank was chosen), measured per log-rank bin, for `chosen` rows.

    Weighting the chosen rows by this gives back the natural mix of all rows, whatever the
    sampling scheme: uniform gives equal weights, log-rank gives weights growing with rank.
    """
    edges = numerics.exp(np.linspace(0.0, float(numerics.log(float(ranks.max()) + 1.0)), bins + 1))
    all_bins = np.clip(np.searchsorted(edges, ranks, side="right") - 1, 0, bins - 1)
    total = np.bincount(all_bins, minlength=bins)
    picked = np.bincount(all_bins[chosen], minlength=bins)
    share = picked / np.maximum(total, 1)
    return 1.0 / share[all_bins[chosen]]


def take_uniform(table: pa.Table, size: int, seed: int) -> pa.Table:
    """`size` rows of `table` drawn uniformly with `seed`, in table order (all when fewer)."""
    return table.take(uniform_sample(table.num_rows, size, np.random.default_rng(seed)))
