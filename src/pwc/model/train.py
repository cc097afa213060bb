"""Training: draw each learner's rows from the train split, fit the Pipeline on them."""

from __future__ import annotations

import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from pwc.config import TrainParams
from pwc.frequency import BlockCounts, row_weights
from pwc.hashing import password_hash
from pwc.leave_one_out import leaving_one_out
from pwc.model.estimators import build
from pwc.model.file import MODEL_FORMAT
from pwc.model.infer import model_inputs
from pwc.sampling import inclusion_weights, training_rows
from pwc.threads import pool_map, usable

log = logging.getLogger(__name__)

# Rows per features.transform call for the learners' rows: one call over all of them held
# every row's intermediate arrays at once (what it cost: benchmarks/RESULTS.md, "What each
# chunked step saved in the train stage"; the same for the chunked steps below).
TRANSFORM_ROWS = 250_000


@dataclass
class Rows:
    """Passwords with their target and optional weights (1 / chance of being drawn)."""

    passwords: pa.Array | pa.ChunkedArray
    target: np.ndarray
    weights: np.ndarray | None = None


def counts_needed(params: TrainParams) -> bool:
    """Whether a learner counts rows (Markov, PCFG, neighbours)."""
    return bool(params.markov_order or params.pcfg_bits or params.neighbour_bits)


def _timed(message: str, start: float, *args) -> None:
    log.info(message + " in %.1f s", *args, time.perf_counter() - start)


def fit(
    params: TrainParams,
    rows: Rows,
    seed: int,
    markov_rows=None,
    booster_rows: Rows | None = None,
) -> Pipeline:
    """Fit the features and the linear model on `rows`; count Markov n-grams on `markov_rows`
    ({sampling: Rows} for params.markov_samplings, weights weighing the counts) and fit the
    boosted trees on `booster_rows` (each disjoint from `rows`); calibrate on the last rows
    fitted when they carry weights."""
    model = build(params, seed)
    linear_only = params.model == "baseline"
    count_models = []
    if counts_needed(params) and not linear_only:
        if markov_rows is None:
            raise ValueError(
                "markov_order, pcfg_bits or neighbour_bits > 0 needs markov_rows to count on"
            )
        start = time.perf_counter()
        dense = model.named_steps["features"].transformer_list[1][1].named_steps["extract"]
        counted = dict(dense.transformer_list)
        first = markov_rows[params.markov_samplings[0]].passwords
        if params.neighbour_bits:  # first: its build's ~2 GB of keys before the other tables
            count_models.append(counted["neighbours"])
            count_models[-1].fit_counts(first, markov_rows[params.markov_samplings[0]].target)
        for sampling in params.markov_samplings if params.markov_order else ():
            drawn = markov_rows[sampling]
            count_models.append(counted[f"markov_{sampling}"])
            count_models[-1].fit_counts(drawn.passwords, drawn.weights)
        if params.pcfg_bits:  # the first sampling's rows, like the beyond-leak Markov model
            count_models.append(counted["pcfg"])
            count_models[-1].fit_counts(markov_rows[params.markov_samplings[0]].passwords)
        _timed("counts on %s x %s rows", start, len(markov_rows), f"{len(first):,}")

    def held_out():
        """The learners' rows were counted too (counts_on: all): score them left out."""
        return leaving_one_out(*count_models) if params.counts_on == "all" else nullcontext()

    y = np.asarray(rows.target, dtype=np.float64)
    start = time.perf_counter()
    inputs = model_inputs(model, rows.passwords)
    with held_out():
        if linear_only:  # the baseline: no count model, no intermediates to speak of
            features = model[:-1].fit_transform(inputs, y)
        else:  # fitted on every row, then a chunk at a time (the same matrix; memory)
            features = transform_in_chunks(fit_features(model[:-1], inputs, y), inputs)
    _timed("features: %s x %s", start, f"{features.shape[0]:,}", f"{features.shape[1]:,}")
    start = time.perf_counter()
    model[-1].fit(features, y)
    _timed("linear model fitted", start)
    vectorizer = model.named_steps.get("vectorize")
    if vectorizer is not None:
        # numpy ints become one file each in skops (minutes for 50k entries); plain ints are JSON
        vectorizer.vocabulary_ = {k: int(v) for k, v in vectorizer.vocabulary_.items()}
    model.pwc_format_ = MODEL_FORMAT
    last = rows
    if params.booster_iter and not linear_only:
        if booster_rows is None:
            raise ValueError("booster_iter > 0 needs booster_rows to fit the trees on")
        start = time.perf_counter()
        del features  # the linear model's rows: not needed any more, and 0.5 GB or more
        stacker = model[-1].estimator_
        with held_out():
            stacked = stack_in_chunks(
                model[:-1], stacker, model_inputs(model, booster_rows.passwords)
            )
        y = np.asarray(booster_rows.target, dtype=np.float64)
        stacker.fit_booster(stacked, y)
        _timed("boosted trees fitted on %s rows", start, f"{y.size:,}")
        last = booster_rows
    if last.weights is not None:
        start = time.perf_counter()
        booster = getattr(model[-1].estimator_, "booster_", None)
        raw = (
            booster.predict(stacked)
            if booster is not None
            else model[-1].estimator_.predict(features)
        )
        model[-1].calibrate(raw, y, sample_weight=last.weights)
        _timed("calibrated", start)
    return model


def _chunked(work, inputs, rows: int) -> list:
    """[work(chunk) for each chunk of inputs] (one, empty, for no input), `rows` inputs at a
    time split among the threads the process may use (the same memory as one chunk of
    `rows`): a row's features depend on its password and the fitted state alone, so the
    chunks give the same on any count (tested)."""
    threads = usable()
    size = -(-rows // threads)
    starts = range(0, max(len(inputs), 1), size)
    return pool_map(lambda start: work(inputs[start : start + size]), starts, threads)


def fit_features(features: Pipeline, inputs, y, rows: int = TRANSFORM_ROWS) -> Pipeline:
    """`features.fit(inputs, y)` for ours (n-grams + dense columns into a scaler), the same
    fitted state, with the scaler's dense columns computed `rows` inputs at a time: one call
    held every row's intermediate arrays at once."""
    for _, step in features.named_steps["features"].transformer_list:
        if not (isinstance(step, Pipeline) and "scale" in step.named_steps):
            step.fit(inputs, y)
            continue
        extract = step.named_steps["extract"].fit(inputs, y)  # the count models only check
        parts = _chunked(extract.transform, inputs, rows) if len(inputs) else []
        step.named_steps["scale"].fit(np.concatenate(parts) if parts else extract.transform(inputs))
    return features


def transform_in_chunks(features, inputs, rows: int = TRANSFORM_ROWS):
    """`features.transform(inputs)` (a CSR matrix), `rows` inputs at a time, stacked: the same
    matrix (a row's features depend on its password and the fitted state alone; tested) with
    a chunk's intermediate arrays in memory instead of every row's."""
    parts = _chunked(features.transform, inputs, rows)
    # CSR fields joined one at a time, each chunk's arrays let go once copied: sp.vstack held
    # every chunk and the whole result at once
    shape = (sum(p.shape[0] for p in parts), parts[0].shape[1])
    ends = np.cumsum([p.nnz for p in parts])
    shifted = [p.indptr[1:] + (end - p.nnz) for p, end in zip(parts, ends, strict=True)]
    indptr = np.concatenate([[0], *shifted])  # csr_matrix picks the index type one call had
    fields = [[p.data for p in parts], [p.indices for p in parts]]
    del parts
    data = np.concatenate(fields.pop(0))
    indices = np.concatenate(fields.pop(0))
    return sp.csr_matrix((data, indices, indptr), shape=shape)


def stack_in_chunks(features, stacker, inputs, rows: int = TRANSFORM_ROWS) -> np.ndarray:
    """`stacker.stack(features.transform(inputs))`, `rows` inputs at a time into one array:
    the same rows (tested), without every row's CSR matrix, its dense slice and that as an
    array alive at once. In float64, the trees' dtype (the same values): given float32, the
    trees' fit copied it."""
    out, at = None, 0
    for first in range(0, max(len(inputs), 1), rows):
        chunk = inputs[first : first + rows]
        for part in _chunked(lambda c: stacker.stack(features.transform(c)), chunk, rows):
            if out is None:
                out = np.empty((len(inputs), part.shape[1]), dtype=np.float64)
            out[at : at + part.shape[0]] = part
            at += part.shape[0]
    return out


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
    count in the leak (pwc.frequency; a source's own counts where it has them): the counts
    then describe passwords as people pick them, not the list of distinct ones."""
    if sampling != "count":
        return _draw(table, size, sampling, seed, False)
    picked = table.take(training_rows(table["rank"].to_numpy(), size, "uniform", seed))
    return Rows(picked["password"], picked["target"].to_numpy(), row_weights(picked, counts))


@dataclass
class LearnerRows:
    """The rows each learner of the model fits on, from disjoint shares of the train split."""

    linear: Rows
    markov: dict[str, Rows] | None = None  # {sampling: rows} for the Markov counts
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
    learners = ["linear"]
    counts = params.model != "baseline" and counts_needed(params)
    if params.model != "baseline":
        own_part = counts and params.counts_on == "part"  # else they count every row
        learners += ["markov"] * bool(own_part) + ["booster"] * bool(params.booster_iter)
    shares = params.shares
    weight = {"linear": shares.linear, "markov": shares.counts, "booster": shares.booster}
    ends = np.cumsum([weight[name] for name in learners])
    slot = (password_hash(table["password"]) >> np.uint64(32)) % np.uint64(ends[-1])
    learner_of = np.searchsorted(ends, slot, side="right")  # slot in [ends[i-1], ends[i])
    part = {name: table.filter(pa.array(learner_of == i)) for i, name in enumerate(learners)}
    drawn = LearnerRows(_draw(part["linear"], params.rows, params.sampling, seed, params.calibrate))
    if counts and params.counts_on == "all":  # each row once, unweighted: leave-one-out's terms
        everything = Rows(table["password"], table["target"].to_numpy())
        drawn.markov = {sampling: everything for sampling in params.markov_samplings}
    if "markov" in part:
        blocks = BlockCounts.from_table(table) if "count" in params.markov_samplings else None
        size = params.markov_rows
        drawn.markov = {
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
    return fit(params, rows.linear, seed, rows.markov, rows.booster)
