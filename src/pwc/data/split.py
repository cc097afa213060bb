"""Held-out membership by a stable hash: the train split, the validation and test sets.

docs/evaluation.md has the definitions.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pwc.config import SplitParams
from pwc.counting.hashing import password_hash
from pwc.sampling import log_rank_sample, uniform_sample


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


# Evaluation sets, each drawn from its own hash buckets: validation sets choose (sweeps, the
# gate, the retrain decision), test sets report. No figure is used for both.
VALIDATION_SETS = ("validation", "validation_head")
TEST_SETS = ("test", "test_head")
EVAL_SETS = VALIDATION_SETS + TEST_SETS


def _eval_sets(held: pa.Table, size: int, head_size: int, rng) -> tuple[pa.Table, pa.Table]:
    """(uniform draw, log-rank draw) from held-out rows sorted by rank."""
    uniform = held.take(uniform_sample(held.num_rows, size, rng))
    # On small data the head set is capped at half of the held-out rows (docs/evaluation.md).
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


def end_to_end_queries(rows: pa.Table, params: SplitParams, size: int, seed: int) -> pa.Table:
    """The lookup end to end's queries: log-rank draws over the leak's rows (`rows`: the
    validated table with rank) outside the validation buckets (validation rows choose, so a
    reported figure leaves them out), at most half the rows on small samples (log-rank draws
    slow down sharply as they near every row). Row indices in rank order (a stable sort, as
    the table's sort_by), not a sorted copy of the leak's rows: the evaluate stage's peak."""
    rows = rows.filter(pa.array(~validation_mask(rows["password"], params)))
    order = np.argsort(rows["rank"].to_numpy(), kind="stable")
    rng = np.random.default_rng([seed, 7])
    drawn = log_rank_sample(rows["rank"].to_numpy()[order], min(size, rows.num_rows // 2), rng)
    return rows.take(order[np.sort(drawn)])
