"""Fit the browser meter on the train split: n-gram tables counted on every train row, trees
on a sample of them scored leave-one-out (each row's n-grams read as if it had not been
counted, as a held-out password reads them)."""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa

from pwc.meter import tables as tb
from pwc.meter.features import features
from pwc.meter.model import Meter
from pwc.meter.trees import Forest
from pwc.sampling import training_rows

log = logging.getLogger(__name__)


def left_out_values(passwords, counts, min_counts: list[int], bits: list[int]) -> list:
    """Per order, each position's table value with the row's own n-grams uncounted."""
    data, rows, scored = tb.padded(passwords, len(bits))
    at = np.flatnonzero(scored)
    r = rows[at]
    per_row = np.bincount(r, minlength=len(passwords))
    out = []
    for n, ((grams, context), m, b) in enumerate(zip(counts, min_counts, bits, strict=True), 1):
        h = tb.gram_hashes(data, at, n, b)
        g = grams[h] - tb.own_counts(r, h)
        if n == 1:
            c = context[h] - per_row[r]
        else:
            c = context[h] - tb.own_counts(r, tb.gram_hashes(data, at - 1, n - 1, b))
        out.append(tb.position_costs(g, np.maximum(c, 1), m))
    return out


def fit(train: pa.Table, cfg, seed: int, thresholds, max_length: int) -> Meter:
    """The meter from the train split (columns password, rank, target) and params.meter."""
    bits = list(cfg.bits)
    counts = tb.count(train["password"], bits)
    log.info("counted %s orders on %s rows", len(bits), f"{train.num_rows:,}")
    tables = tb.Tables.from_counts(counts, list(cfg.min_counts), list(cfg.backoff))
    picked = training_rows(train["rank"].to_numpy(), cfg.rows, cfg.sampling, seed)
    rows = train.take(picked)
    values = left_out_values(rows["password"], counts, list(cfg.min_counts), bits)
    del counts
    x = features(rows["password"], tables, values)
    y = rows["target"].to_numpy()
    forest = Forest.fit(x, y, cfg.trees, cfg.leaves, cfg.learning_rate, seed)
    log.info("fitted %s trees on %s rows", cfg.trees, f"{len(y):,}")
    return Meter(
        tables, forest, tuple(thresholds), cfg.beyond_from, cfg.beyond_markov_from, max_length
    )
