"""Fit the browser meter on the train split: n-gram tables counted on every train row, trees
on a sample of them scored leave-one-out (each row's n-grams read as if it had not been
counted, as a held-out password reads them). The core model and the optional extended one
(larger tables) share the counting and the tree rows."""

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


def left_out_values(
    passwords, counts: tb.Counts, tables: tb.Tables, min_counts: list[int], min_gains: list[int]
) -> list:
    """Per order, each position's table value with the row's own n-grams uncounted: kept when
    the count left reaches min_counts and the n-gram's gain, scaled to the count left (the
    row's share taken out), reaches min_gains."""
    data, rows, scored = tb.padded(passwords, len(min_counts))
    at = np.flatnonzero(scored)
    r = rows[at]
    out = []
    for n, (m, least) in enumerate(zip(min_counts, min_gains, strict=True), start=1):
        grams = tb.gram_keys(data, at, n, counts.key_bits)
        contexts = tb.gram_keys(data, at - 1, n - 1)
        whole = tb.lookup(*counts.grams[n - 1], grams)
        g = whole - own_counts(r, grams)
        c = tb.lookup(*counts.contexts[n - 1], contexts) - own_counts(r, contexts)
        value = np.zeros(at.size, dtype=np.uint8)
        keep = g >= m
        if least > 0:  # gain * g / whole >= least, without the division
            gain = tb.lookup(tables.keys[n - 1], tables.gains[n - 1], grams, missing=0.0)
            keep &= gain * g >= least * whole.astype(np.float64)
        value[keep] = tb.half_bits(np.maximum(c[keep], g[keep]), g[keep])
        out.append(value)
    return out


def own_counts(rows: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """How often each position's key occurs in its own row: what leaving the row out
    subtracts from a count."""
    joint = rows * np.int64(1 << 32) + keys.astype(np.int64)
    _, inverse, counts = np.unique(joint, return_inverse=True, return_counts=True)
    return counts[inverse]


def fit(train: pa.Table, cfg, seed: int, thresholds, max_length: int) -> dict[str, Meter]:
    """The meters from the train split (columns password, rank, target) and params.meter:
    "core", and with `cfg.extended` "extended" (larger tables, trees of their own), both from
    one count of the n-grams and the same tree rows."""
    sizes = {"core": cfg}
    if cfg.extended is not None:
        sizes["extended"] = cfg.extended
    order = len(cfg.min_counts)
    whole = tb.Counts.of(train["password"], order, 32)
    log.info("counted %s orders on %s rows", order, f"{train.num_rows:,}")
    picked = training_rows(train["rank"].to_numpy(), cfg.rows, cfg.sampling, seed)
    rows = train.take(picked)
    y = rows["target"].to_numpy()
    out = {}
    for name, size in sizes.items():
        mins, gains = list(size.min_counts), list(size.min_gains)
        counts = whole.truncated(size.key_bits)
        tables = tb.build(train["password"], counts, mins, list(cfg.backoff), gains)
        log.info("%s: kept %s n-grams per order", name, [int(k.size) for k in tables.keys])
        values = left_out_values(rows["password"], counts, tables, mins, gains)
        x = features(rows["password"], tables, values)
        del counts
        forest = Forest.fit(x, y, cfg.trees, cfg.leaves, cfg.learning_rate, seed)
        log.info("%s: fitted %s trees on %s rows", name, cfg.trees, f"{len(y):,}")
        out[name] = Meter(
            tables, forest, tuple(thresholds), cfg.beyond_from, cfg.beyond_markov_from, max_length
        )
    return out
