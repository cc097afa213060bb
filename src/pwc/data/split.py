"""Held-out membership by a stable hash, the two test sets, and training-row sampling.

See ../shared/GUIDE.md section 2 (README "Evaluation") for the definitions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from pwc import numerics
from pwc.config import SplitParams

# pandas' documented default SipHash key.
DEFAULT_HASH_KEY = "0123456789123456"
# Below this many passwords, hashing an object array skips pandas' Series set-up (~0.1 ms);
# above it, the Arrow-backed Series path is faster. Both give the same hashes (tested).
SMALL_BATCH = 4096


def siphash(passwords, key: str = DEFAULT_HASH_KEY) -> np.ndarray:
    """64-bit SipHash-2-4 of each password's UTF-8 bytes under a 16-byte `key` (pandas)."""
    if len(passwords) < SMALL_BATCH:
        if isinstance(passwords, pa.Array | pa.ChunkedArray):
            passwords = passwords.to_pylist()
        values = np.asarray(passwords, dtype=object)
        return pd.util.hash_array(values, hash_key=key, categorize=False)
    series = pd.Series(passwords, dtype=pd.ArrowDtype(pa.large_string()))
    return pd.util.hash_pandas_object(
        series, index=False, categorize=False, hash_key=key
    ).to_numpy()


def password_hash(passwords: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Stable 64-bit hash of each password's UTF-8 bytes.

    SipHash-2-4 with pandas' fixed documented key: the same bytes get the same hash on every
    machine and run, so a password keeps its split as the data grows.
    """
    return siphash(passwords)


def bucket_of(passwords, params: SplitParams) -> np.ndarray:
    """Each password's hash bucket: [0, heldout) test, the next validation_buckets
    validation, the rest train."""
    return password_hash(passwords) % np.uint64(params.buckets)


def heldout_mask(passwords, params: SplitParams) -> np.ndarray:
    """Rows of the test buckets."""
    return bucket_of(passwords, params) < params.heldout_buckets


def validation_mask(passwords, params: SplitParams) -> np.ndarray:
    """Rows of the validation buckets."""
    bucket = bucket_of(passwords, params)
    first = params.heldout_buckets
    return (bucket >= first) & (bucket < first + params.validation_buckets)


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


# Evaluation sets, each drawn from its own hash buckets: validation sets choose (sweeps, the
# gate, the retrain decision), test sets report. No figure is used for both.
VALIDATION_SETS = ("validation", "validation_head")
TEST_SETS = ("test", "test_head")
EVAL_SETS = VALIDATION_SETS + TEST_SETS


def _eval_sets(held: pa.Table, size: int, head_size: int, rng) -> tuple[pa.Table, pa.Table]:
    """(uniform draw, log-rank draw) from held-out rows sorted by rank."""
    uniform = held.take(uniform_sample(held.num_rows, size, rng))
    # On small data the head set is capped at half of the held-out rows (GUIDE section 2).
    head_size = min(head_size, held.num_rows // 2)
    head_idx = np.sort(log_rank_sample(held["rank"].to_numpy(), head_size, rng))
    return uniform, held.take(head_idx)


def split(table: pa.Table, params: SplitParams, seed: int) -> dict[str, pa.Table]:
    """train, validation + validation_head, test + test_head (uniform / uniform in log rank)
    from the validated rows, by hash bucket."""
    test_rows = heldout_mask(table["password"], params)
    validation_rows = validation_mask(table["password"], params)
    parts = {"train": table.filter(pa.array(~test_rows & ~validation_rows))}
    held = table.filter(pa.array(test_rows)).sort_by("rank")
    rng = np.random.default_rng(seed)  # the test sets' draws are those before validation existed
    parts["test"], parts["test_head"] = _eval_sets(
        held, params.test_size, params.test_head_size, rng
    )
    held = table.filter(pa.array(validation_rows)).sort_by("rank")
    rng = np.random.default_rng([seed, 1])
    parts["validation"], parts["validation_head"] = _eval_sets(
        held, params.validation_size, params.validation_head_size, rng
    )
    return parts


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
