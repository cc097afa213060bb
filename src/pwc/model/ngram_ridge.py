"""Our learner, `ngram_ridge`: hashed byte n-grams (TF-IDF) + the dense feature families
(hand, Markov, PCFG, knowledge, neighbours) -> a linear model (LSQR Ridge), then boosted trees
over its score and the dense columns (`Stacked`), calibrated back to the natural mix.

`ngram_ridge` in the learner registry (pwc.model.learners), with its row sets: the count
models' rows (or every row, scored leave-one-out) and the trees', disjoint from the linear
model's.
"""

from __future__ import annotations

import logging
import time
from contextlib import nullcontext
from functools import partial

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from pwc.config import TrainParams
from pwc.features import (
    FAMILIES,
    HandFeatures,
    HashedNgrams,
    KnowledgeFeatures,
    MarkovScores,
    NeighbourScores,
    PcfgScores,
)
from pwc.features.leave_one_out import leaving_one_out
from pwc.model.chunks import fit_features, stack_in_chunks, transform_in_chunks
from pwc.model.estimators import Calibrated, Stacked, calibrate_on
from pwc.model.ridge import LsqrRidge
from pwc.text import as_arrow

log = logging.getLogger("pwc.model.train")  # the train stage's log lines, as before


def counts_needed(params: TrainParams) -> bool:
    """Whether a feature family counts rows (Markov, PCFG, neighbours)."""
    return bool(params.markov_order or params.pcfg_bits or params.neighbour_bits)


def check(params: TrainParams) -> None:
    """Its params' rules beyond each field's own (learners.of runs them)."""
    if params.counts_on == "all" and params.markov_samplings not in (["log_rank"], ["uniform"]):
        raise ValueError(
            "train.counts_on: all counts every train row once, so one Markov model with "
            f"train.markov_samplings [log_rank] or [uniform], not {params.markov_samplings}"
        )
    sizes = params.markov_bits
    if params.markov_order and isinstance(sizes, list) and len(sizes) != params.markov_order:
        raise ValueError(
            f"train.markov_bits lists {len(sizes)} sizes for "
            f"train.markov_order {params.markov_order}: one per order, or one number"
        )


def draws(params: TrainParams) -> tuple[str, ...]:
    """The row sets besides the linear model's: the count models' (a part of their own, or
    every row with counts_on: all) and the trees'."""
    return ("counts",) * counts_needed(params) + ("booster",) * bool(params.booster_iter)


def dense_families(params: TrainParams) -> list[tuple[str, object]]:
    """The dense feature families by name, in their column order."""
    dense: list[tuple[str, object]] = [("hand", HandFeatures())]
    if params.markov_order:
        # the first is the one the served scorer extends beyond the leak (log10 P)
        for sampling in params.markov_samplings:
            markov = MarkovScores(params.markov_order, params.markov_bits)
            dense.append((f"markov_{sampling}", markov))
    if params.pcfg_bits:
        dense.append(("pcfg", PcfgScores(params.pcfg_bits)))
    if params.knowledge:
        dense.append(("knowledge", KnowledgeFeatures()))
    if params.neighbour_bits:
        edits, subs = params.neighbour_edits, params.neighbour_substitutions
        dense.append(("neighbours", NeighbourScores(params.neighbour_bits, edits, subs)))
    return dense


def build(params: TrainParams, seed: int) -> Pipeline:
    ngrams = HashedNgrams(params.ngram_max, params.hash_bits)
    extract = FeatureUnion(dense_families(params))
    hand = Pipeline([("extract", extract), ("scale", StandardScaler())])
    linear = LsqrRidge(alpha=params.alpha, tol=params.ridge_tol)
    booster = None
    if params.booster_iter:
        booster = HistGradientBoostingRegressor(
            max_iter=params.booster_iter,
            learning_rate=params.booster_learning_rate,
            max_leaf_nodes=params.booster_leaves,
            early_stopping=False,  # no random validation split: the fit stays deterministic
            random_state=seed,
        )
    return Pipeline(
        [
            ("features", FeatureUnion([("ngrams", ngrams), ("hand", hand)])),
            ("regress", Calibrated(Stacked(linear, booster, dense_from=1 << params.hash_bits))),
        ]
    )


def dense_step(model: Pipeline) -> Pipeline:
    """The dense columns' Pipeline (families, then the scaler), by name."""
    return dict(model.named_steps["features"].transformer_list)["hand"]


def _timed(message: str, start: float, *args) -> None:
    log.info(message + " in %.1f s", *args, time.perf_counter() - start)


def _count(model: Pipeline, params: TrainParams, count_rows) -> list:
    """Count the count models on their rows; returns them (for leave-one-out)."""
    if count_rows is None:
        raise ValueError("markov_order, pcfg_bits or neighbour_bits > 0 needs rows to count on")
    start = time.perf_counter()
    counted = dict(dense_step(model).named_steps["extract"].transformer_list)
    first = count_rows[params.markov_samplings[0]]
    models = []
    if params.neighbour_bits:  # first: its build's keys (the largest) before the other tables
        models.append(counted["neighbours"])
        models[-1].fit_counts(first.passwords, first.target)
    for sampling in params.markov_samplings if params.markov_order else ():
        drawn = count_rows[sampling]
        models.append(counted[f"markov_{sampling}"])
        models[-1].fit_counts(drawn.passwords, drawn.weights)
    if params.pcfg_bits:  # the first sampling's rows, like the beyond-leak Markov model
        models.append(counted["pcfg"])
        models[-1].fit_counts(first.passwords)
    _timed("counts on %s x %s rows", start, len(count_rows), f"{len(first.passwords):,}")
    return models


def fit(model: Pipeline, params: TrainParams, rows, seed: int) -> None:
    """Count the count models; fit the features and the linear model on the linear rows, the
    trees on the booster rows (each disjoint from the linear rows); calibrate on the last
    rows fitted when they carry weights."""
    count_models = _count(model, params, rows.counts) if counts_needed(params) else []

    def held_out():
        """The learners' rows were counted too (counts_on: all): score them left out."""
        return leaving_one_out(*count_models) if params.counts_on == "all" else nullcontext()

    linear = rows.linear
    y = np.asarray(linear.target, dtype=np.float64)
    start = time.perf_counter()
    inputs = as_arrow(linear.passwords)  # the features read the Arrow array itself
    with held_out():  # fitted on every row, then a chunk at a time (the same matrix; memory)
        features = transform_in_chunks(fit_features(model[:-1], inputs, y), inputs)
    _timed("features: %s x %s", start, f"{features.shape[0]:,}", f"{features.shape[1]:,}")
    start = time.perf_counter()
    model[-1].fit(features, y)
    _timed("linear model fitted", start)
    stacker = model[-1].estimator_
    if not params.booster_iter:
        calibrate_on(model[-1], partial(stacker.predict, features), y, linear.weights)
        return
    if rows.booster is None:
        raise ValueError("booster_iter > 0 needs booster_rows to fit the trees on")
    start = time.perf_counter()
    del features  # the linear model's rows: not needed any more, and large
    with held_out():
        stacked = stack_in_chunks(model[:-1], stacker, as_arrow(rows.booster.passwords))
    y = np.asarray(rows.booster.target, dtype=np.float64)
    stacker.fit_booster(stacked, y)
    _timed("boosted trees fitted on %s rows", start, f"{y.size:,}")
    calibrate_on(model[-1], lambda: stacker.booster_.predict(stacked), y, rows.booster.weights)


# What the registry (pwc.model.learners) says of it
TRUSTED_TYPES = tuple(f"pwc.features.{cls.__name__}" for cls in FAMILIES.values()) + (
    "pwc.model.Calibrated",
    "pwc.model.Stacked",
    "pwc.model.LsqrRidge",
    # the boosted trees' fitted nodes (plain arrays; skops' own loader for it)
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)
PARAMS = frozenset(TrainParams.model_fields) - {
    "model",
    "vocabulary_size",
    "sgd_alpha",
    "sgd_max_iter",
}
