"""Inference: log10 guess rank (and the Markov log10 P the served scorer extends it with)
for a batch of passwords, through the fast path (`fast_predict`), equal to sklearn's."""

from __future__ import annotations

import weakref

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from pwc.features.ngrams import HashedNgrams
from pwc.features.paths import few_path
from pwc.model.estimators import Calibrated, Stacked
from pwc.model.fast_predict import transform
from pwc.text import as_arrow
from pwc.threads import map_runs, usable


def model_inputs(model: Pipeline, passwords):
    """What the model's first step reads: Python strings for sklearn's text vectorizers (the
    baseline's), the Arrow array itself for any other (ours: no per-password objects). The
    model file names no learner (that would change every file's bytes), so this asks the
    step's type."""
    arr = as_arrow(passwords)
    if isinstance(model.steps[0][1], CountVectorizer | HashingVectorizer):
        return np.asarray(arr.to_pylist(), dtype=object)
    return arr


def predict(model: Pipeline, passwords, threads: int | None = None) -> np.ndarray:
    """Predicted log10 guess rank per password."""
    return predict_with_markov(model, passwords, threads)[0]


def _markov_column(model: Pipeline) -> tuple[int, float, float] | None:
    """(column, scale, mean) of the standardised Markov log10 P in the feature matrix: the
    first column of the first Markov family, found by name, its place by the widths of the
    families before it."""
    union = model.named_steps.get("features")
    dense = dict(union.transformer_list).get("hand") if isinstance(union, FeatureUnion) else None
    if not isinstance(dense, Pipeline) or "extract" not in dense.named_steps:
        return None  # a learner without our dense families (the baseline, a toy)
    probe = as_arrow(["a"])
    at = 0
    for name, family in dense.named_steps["extract"].transformer_list:
        if name.startswith("markov"):
            scaler = dense.named_steps["scale"]
            start = model[-1].estimator_.dense_from
            return start + at, float(scaler.scale_[at]), float(scaler.mean_[at])
        at += transform(family, probe).shape[1]
    return None


def _stacked_blocks(model: Pipeline) -> tuple | None:
    """(n-gram step, dense step, Calibrated) when the model is ours: n-grams + dense columns
    into a Stacked model. Then predict skips building the stacked sparse matrix."""
    regress = model.steps[-1][1]
    if len(model.steps) != 2 or not isinstance(regress, Calibrated):
        return None
    union = model.steps[0][1]
    if not isinstance(union, FeatureUnion) or not isinstance(regress.estimator_, Stacked):
        return None
    if len(union.transformer_list) != 2:
        return None
    (_, ngrams), (_, dense) = union.transformer_list
    return ngrams, dense, regress


_LAYOUT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _layout(model: Pipeline) -> tuple:
    """(_markov_column, _stacked_blocks) of a model, found once per model, not on every
    call (one password per request is the API's usual call)."""
    layout = _LAYOUT.get(model)
    if layout is None:
        layout = _LAYOUT[model] = (_markov_column(model), _stacked_blocks(model))
    return layout


# Rows each thread scores at least: a request's password or two stays on one thread.
THREAD_ROWS = 2_000


def _threads(rows: int, threads: int | None) -> int:
    """Threads for a batch: `threads`, by default `pwc.threads.usable()`, at most one per
    THREAD_ROWS rows."""
    return max(1, min(threads or usable(), rows // THREAD_ROWS))


def _uncalibrated(blocks: tuple, docs, n_threads: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(Stacked's prediction, the dense columns) of `docs` through ours' blocks."""
    ngrams, dense_step, regress = blocks
    dense = transform(dense_step, docs)
    if few_path(len(docs)) and isinstance(ngrams, HashedNgrams):
        return regress.estimator_.predict_few(ngrams.few_rows(docs.to_pylist()), dense), dense
    sparse = transform(ngrams, docs)  # ours alone: no copy needed
    return regress.estimator_.predict_blocks(sparse, dense, copy=False, n_threads=n_threads), dense


def predict_with_markov(
    model: Pipeline, passwords, threads: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """(predicted log10 guess rank, Markov log10 P(password) or None), features built once.
    `threads`: at most this many threads score a batch (None: see `_threads`)."""
    column, blocks = _layout(model)
    # ours reads the Arrow array (what model_inputs gives it, without asking each call)
    docs = as_arrow(passwords) if blocks is not None else model_inputs(model, passwords)
    if len(docs) == 0:
        return np.zeros(0), np.zeros(0)
    if blocks is not None:
        regress = blocks[2]
        # runs of rows at once, the trees on one OpenMP thread in each: a row's numbers
        # depend on its password alone (tested), so any count of threads gives the same
        n = _threads(len(docs), threads)
        trees = threads if n == 1 else 1
        parts = map_runs(lambda a, b: _uncalibrated(blocks, docs[a:b], trees), len(docs), n)
        raw, dense = (np.concatenate(p) for p in zip(*parts, strict=True)) if n > 1 else parts[0]
        pred = regress.calibrated(raw).astype(np.float64)
        if column is None:
            return pred, None
        index, scale, mean = column
        scaled = dense[:, index - regress.estimator_.dense_from]
        return pred, scaled.astype(np.float64) * scale + mean
    features = transform(model[:-1], docs)
    pred = model[-1].predict(features).astype(np.float64)
    if column is None:
        return pred, None
    index, scale, mean = column
    scaled = features[:, index]
    scaled = scaled.toarray().ravel() if hasattr(scaled, "toarray") else np.ravel(scaled)
    return pred, scaled.astype(np.float64) * scale + mean
