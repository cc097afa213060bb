"""Features a chunk of rows at a time: the same matrices as one call (a row's features depend
on its password and the fitted state alone; tested), with a chunk's intermediate arrays in
memory instead of every row's, and the chunk split among the threads the process may use."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from pwc.threads import pool_map, usable

# Rows per features.transform call for the learners' rows: one call over all of them held
# every row's intermediate arrays at once (what it cost: benchmarks/RESULTS.md, "What each
# chunked step saved in the train stage"; the same for the chunked steps below).
TRANSFORM_ROWS = 250_000


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
