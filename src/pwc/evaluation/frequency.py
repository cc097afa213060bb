"""How often each password occurs in the leak, for frequency-weighted metrics.

A meter is judged by how well it orders the passwords people actually pick, so the
meter-accuracy literature (Golla & Dürmuth, CCS 2018) weights each password by its count.
RockYou's list has no counts, only their order; equal-count blocks give them back:
- the tail: counts are consecutive there, so the k-th block from the end has count k. Taken
  from the last block back to the first holding fewer than `FIT_MIN_SIZE` passwords (so each
  of its counts is surely present and its block boundary recovered);
- the head: fewer passwords than counts, so blocks skip counts. A Zipf law
  log10(count) = a + b log10(mid-rank), fitted on the tail's blocks, gives their counts, never
  below k (a block's count is at least its position from the end).
On RockYou the tail is the 348 rarest blocks, and the fit gives 367,132 for the first block
(123456 and 12345, counted 290,729 and 79,076 in the original leak) and 34,865 for the 11th.
A source with counts (the course CSV's `Times`) uses them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pwc import numerics

FIT_MIN_SIZE = 10


@dataclass(frozen=True)
class BlockCounts:
    """Estimated count of each equal-count block (indexed by block id)."""

    counts: np.ndarray

    @classmethod
    def estimate(cls, block: np.ndarray, guess_rank: np.ndarray) -> BlockCounts:
        """From every row's block id and its block's mid-rank (the whole leak's rows)."""
        block = np.asarray(block, dtype=np.int64)
        n_blocks = int(block.max()) + 1
        size = np.bincount(block, minlength=n_blocks)
        mid = np.ones(n_blocks)
        mid[block] = guess_rank
        from_end = (n_blocks - np.arange(n_blocks)).astype(np.float64)
        # the tail: from the last block up to the first (from the end) holding too few rows
        small = np.flatnonzero(size < FIT_MIN_SIZE)
        fit = np.arange(n_blocks) > (small[-1] if small.size else -1)
        if fit.sum() < 2:  # too few rows (a small sample) for a fit: the lower bound
            return cls(from_end)
        x, y = numerics.log10(mid[fit]), numerics.log10(from_end[fit])
        # least squares with numpy's pairwise sums, not BLAS: the same bits on any machine
        dx = x - np.mean(x)
        slope = float(np.sum(dx * (y - np.mean(y))) / np.sum(dx * dx))
        intercept = float(np.mean(y) - slope * np.mean(x))
        zipf = numerics.exp10(intercept + slope * numerics.log10(mid))
        return cls(np.where(fit, from_end, np.maximum(zipf, from_end)))

    @classmethod
    def from_table(cls, table: pa.Table) -> BlockCounts | None:
        """From a table with `block` and `guess_rank`; None for a source with counts."""
        if "times" in table.column_names and table["times"].null_count < table.num_rows:
            return None
        valid = pc.is_valid(table["block"])
        rows = table.filter(valid) if table["block"].null_count else table
        return cls.estimate(rows["block"].to_numpy(), rows["guess_rank"].to_numpy())

    def weights(self, block: np.ndarray) -> np.ndarray:
        return self.counts[np.asarray(block, dtype=np.int64)]


def row_weights(table: pa.Table, counts: BlockCounts | None) -> np.ndarray:
    """Each evaluated row's count: its `times` where the source has them, else its block's."""
    if counts is None:
        return table["times"].to_numpy(zero_copy_only=False).astype(np.float64)
    return counts.weights(table["block"].to_numpy())


def read_counts(validated: Path) -> BlockCounts | None:
    """The whole leak's block counts, from the validated rows (None: the source has counts)."""
    columns = ["block", "guess_rank", "times"]
    return BlockCounts.from_table(pq.read_table(validated, columns=columns))
