"""Leave-one-out scores for the count models (pwc.features.markov, pwc.features.pcfg).

The Markov model and the PCFG count every row of the train split once; the Ridge and the
boosted trees learn from rows among them. Scored with their own counts in the tables, those
rows would look likelier than any new password, and the learners would learn to trust the
count features too much. Inside `leaving_one_out`, the count models score each password as
if it had not been counted (its own contributions taken out of what it reads), which is
what a held-out password sees: every row can be counted and still be learned from.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np


@contextmanager
def leaving_one_out(*models):
    """Inside, the count models' `transform` scores each password as if it had not been
    counted (MarkovScores.symbol_scores' and PcfgScores.transform's leave_one_out): for features of
    training rows the models counted once each. The switch is never saved with a model."""
    for m in models:
        m._leave_one_out = True
    try:
        yield
    finally:
        for m in models:
            del m._leave_one_out


def per_row_multiplicity(row: np.ndarray, bucket: np.ndarray) -> np.ndarray:
    """For each element: how many elements of its row fall in its bucket (a password's own
    count of an n-gram bucket, e.g. 3 for `aa` in `aaaa`)."""
    key = (row.astype(np.int64) << np.int64(27)) | bucket  # buckets < 2^26
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    first = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    sizes = np.diff(np.append(first, key.size))
    out = np.empty(key.size, dtype=np.float32)
    out[order] = np.repeat(sizes, sizes)
    return out


def lost_per_group(row: np.ndarray, context: np.ndarray, gram: np.ndarray, gone: np.ndarray):
    """For each element: how many distinct `gram` buckets with `gone` set share its row and
    context (continuations the context loses when the row is taken out of the counts)."""
    group = (row.astype(np.int64) << np.int64(27)) | context
    lost = np.zeros(group.size, dtype=np.float32)
    if not gone.any():
        return lost
    g_group, g_gram = group[gone], gram[gone]
    order = np.lexsort((g_gram, g_group))
    g_group, g_gram = g_group[order], g_gram[order]
    new = np.concatenate(([True], (g_group[1:] != g_group[:-1]) | (g_gram[1:] != g_gram[:-1])))
    groups, per_group = np.unique(g_group[new], return_counts=True)
    at = np.minimum(np.searchsorted(groups, group), groups.size - 1)
    hit = groups[at] == group
    lost[hit] = per_group[at[hit]]
    return lost
