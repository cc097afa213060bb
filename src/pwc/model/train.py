"""Training: draw each learner's rows from the train split, fit the Pipeline on them."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from sklearn.pipeline import Pipeline

from pwc.config import TrainParams
from pwc.counting.hashing import password_hash
from pwc.evaluation.frequency import BlockCounts, row_weights
from pwc.model import learners
from pwc.model.file import MODEL_FORMAT
from pwc.sampling import inclusion_weights, training_rows

log = logging.getLogger(__name__)


@dataclass
class Rows:
    """Passwords with their target and optional weights (1 / chance of being drawn)."""

    passwords: pa.Array | pa.ChunkedArray
    target: np.ndarray
    weights: np.ndarray | None = None


def build(params: TrainParams, seed: int) -> Pipeline:
    """The unfitted Pipeline of the learner `params.model` names."""
    return learners.of(params).build(params, seed)


def fit(
    params: TrainParams,
    rows: Rows,
    seed: int,
    count_rows=None,
    booster_rows: Rows | None = None,
) -> Pipeline:
    """Build the learner `params.model` names (pwc.model.learners) and fit it on `rows` (the
    linear learner's), the count models' `count_rows` ({sampling: Rows}: Markov, PCFG,
    neighbours) and the trees' `booster_rows` where it uses them; the file format stamped."""
    learner = learners.of(params)
    model = learner.build(params, seed)
    learner.fit(model, params, LearnerRows(rows, count_rows, booster_rows), seed)
    model.pwc_format_ = MODEL_FORMAT
    return model


def _draw(table: pa.Table, size: int | None, sampling: str, seed: int, weighted: bool) -> Rows:
    ranks = table["rank"].to_numpy()
    idx = training_rows(ranks, size, sampling, seed)
    picked = table.take(idx)
    weights = inclusion_weights(ranks, idx) if weighted else None
    return Rows(picked["password"], picked["target"].to_numpy(), weights)


def train_columns(params: TrainParams) -> list[str]:
    """The train split's columns `draw_rows` reads: the count estimate's only for `count`."""
    counted = ["block", "guess_rank", "times"] if "count" in params.markov_samplings else []
    return ["password", "rank", "target", *counted]


def _draw_markov(
    table: pa.Table, size: int, sampling: str, seed: int, counts: BlockCounts | None
) -> Rows:
    """The Markov counts' rows. `count`: rows drawn uniformly, each weighing its estimated
    count in the leak (pwc.evaluation.frequency; a source's own counts where it has them):
    the counts then describe passwords as people pick them, not the list of distinct ones."""
    if sampling != "count":
        return _draw(table, size, sampling, seed, False)
    picked = table.take(training_rows(table["rank"].to_numpy(), size, "uniform", seed))
    return Rows(picked["password"], picked["target"].to_numpy(), row_weights(picked, counts))


@dataclass
class LearnerRows:
    """The rows each learner of the model fits on, from disjoint shares of the train split."""

    linear: Rows
    counts: dict[str, Rows] | None = None  # {sampling: rows} the count models count
    booster: Rows | None = None


def draw_rows(table: pa.Table, params: TrainParams, seed: int) -> LearnerRows:
    """Draw every learner's rows from a train split (password, rank, target).

    The linear model and the boosted trees get disjoint parts of the split (a bit-mix of the
    password hash, in `params.shares`' proportions); the count models (Markov, PCFG) count
    every row (`counts_on: all`, the others' rows scored leave-one-out) or a part of their
    own. With `params.calibrate`, rows carry weights 1 / (chance of being drawn), for the
    calibration that maps predictions back to the natural mix (fitted on the last learner's
    rows).
    """
    needs = learners.of(params).draws(params)
    own_part = "counts" in needs and params.counts_on == "part"  # else they count every row
    parts = ["linear"] + ["markov"] * own_part + ["booster"] * ("booster" in needs)
    shares = params.shares
    weight = {"linear": shares.linear, "markov": shares.counts, "booster": shares.booster}
    ends = np.cumsum([weight[name] for name in parts])
    slot = (password_hash(table["password"]) >> np.uint64(32)) % np.uint64(ends[-1])
    learner_of = np.searchsorted(ends, slot, side="right")  # slot in [ends[i-1], ends[i])
    part = {name: table.filter(pa.array(learner_of == i)) for i, name in enumerate(parts)}
    drawn = LearnerRows(_draw(part["linear"], params.rows, params.sampling, seed, params.calibrate))
    if "counts" in needs and not own_part:  # each row once, unweighted: leave-one-out's terms
        everything = Rows(table["password"], table["target"].to_numpy())
        drawn.counts = {sampling: everything for sampling in params.markov_samplings}
    if "markov" in part:
        blocks = BlockCounts.from_table(table) if "count" in params.markov_samplings else None
        size = params.markov_rows
        drawn.counts = {
            sampling: _draw_markov(part["markov"], size, sampling, seed + 1 + i, blocks)
            for i, sampling in enumerate(params.markov_samplings)
        }
    if "booster" in part:
        size, sampling = params.booster_rows, params.booster_sampling
        drawn.booster = _draw(part["booster"], size, sampling, seed + 2, params.calibrate)
    return drawn


def train(table: pa.Table, params: TrainParams, seed: int) -> Pipeline:
    """Draw the training rows from a train split (`draw_rows`) and fit on them."""
    rows = draw_rows(table, params, seed)
    log.info(
        "training %s on %s %s-sampled rows",
        params.model,
        f"{rows.linear.target.size:,}",
        params.sampling,
    )
    return fit(params, rows.linear, seed, rows.counts, rows.booster)
