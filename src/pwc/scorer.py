"""The scorer users get: model output -> guesses and a 0-4 score, with exact answers for
leaked passwords; and the one score record (`Result`) the API returns, the CLI prints and
batch predict writes.

`Scorer` is the one object batch predict, the API, the CLI and evaluate score passwords with.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args, get_origin

import numpy as np
import pyarrow as pa
import pydantic_core
from pydantic import BaseModel, Field
from sklearn.pipeline import Pipeline

from pwc import lookup as lookup_lib
from pwc import model as model_lib
from pwc import numerics
from pwc.answer.bound import bound_log10, count, lengths_and_sizes, one_bound
from pwc.answer.records import Detail, ZxcvbnResult
from pwc.config import Params
from pwc.features.paths import few_path
from pwc.io import sha256_file
from pwc.text import as_arrow


class Result(BaseModel):
    """One password's score. Batch files add the password, the model version and a third
    source, "too_long" (not scored, null numbers)."""

    guesses_log10: float = Field(description="log10 of the estimated guesses, 0 to 308")
    guesses: float = Field(description="estimated guesses an attacker needs")
    score: int = Field(ge=0, le=4, description="0 (weakest) to 4, zxcvbn's scale")
    source: Literal["leak", "model", "brute_force", "user_input"] = Field(
        description="leak: the password is in the leak, its guess rank is exact; "
        "model: not in the leak (or lookup off), estimated by the model; brute_force: "
        "trying every string of its length and character classes takes fewer guesses "
        "(the answer is that count); user_input: built on a user input given with it "
        "(zxcvbn's count for that reading)"
    )


class FullResult(Result, Detail):
    """A result with `detail=true` (`score --detail`)."""


class ScoreResponse(BaseModel):
    """What the API answers and `password-complexity score --json` prints."""

    model_version: str
    results: list[Result | FullResult | ZxcvbnResult] = Field(
        description="one result per password, in request order: the record, the record "
        "with detail (detail=true), or zxcvbn's shape (format=zxcvbn)"
    )


RESULT_FIELDS = tuple(Result.model_fields)
# The largest answer: 10^308 guesses, below float64's largest value (1.8 * 10^308).
MAX_GUESSES_LOG10 = 308.0
MAX_GUESSES = numerics.exp10_float(MAX_GUESSES_LOG10)  # the same bound, in guesses
# Arrow column types of the record's Python types (a 0-4 score fits int8)
_ARROW_TYPES = {float: pa.float64(), int: pa.int8(), str: pa.string()}


def _arrow_type(annotation) -> pa.DataType:
    if get_origin(annotation) is Literal:
        annotation = type(get_args(annotation)[0])
    return _ARROW_TYPES[annotation]


# Batch predict's Parquet / CSV columns: the password, the record, the model version.
OUTPUT_SCHEMA = pa.schema(
    [
        ("password", pa.large_string()),
        *((name, _arrow_type(f.annotation)) for name, f in Result.model_fields.items()),
        ("model_version", pa.string()),
    ]
)


def result_rows(columns: dict[str, np.ndarray]) -> list[dict]:
    """A Scorer's columns as one dict per password (the fields of `Result`, in order)."""
    values = [columns[name].tolist() for name in RESULT_FIELDS]
    return [dict(zip(RESULT_FIELDS, row, strict=True)) for row in zip(*values, strict=True)]


def response_json(model_version: str, columns: dict[str, np.ndarray], indent: int | None = None):
    """A `ScoreResponse` as JSON bytes, straight from a Scorer's columns: the same bytes as
    `ScoreResponse(...).model_dump_json()` (pydantic's serializer, tested), without building
    and validating a model per password. The columns are the Scorer's own, of the record's
    types by construction. The API answers with it, `score --json` prints it."""
    body = {"model_version": model_version, "results": result_rows(columns)}
    return pydantic_core.to_json(body, indent=indent)


def strength(guesses_log10: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """0-4 like zxcvbn: the number of thresholds at or below guesses_log10."""
    return np.searchsorted(np.asarray(thresholds), guesses_log10, side="right").astype(np.int8)


def beyond_leak(
    pred: np.ndarray,
    log10_prob: np.ndarray | None,
    start: float,
    width: float,
    markov_from: float,
) -> np.ndarray:
    """Extend model answers past the leak's last rank (params.yaml `strength`).

    The model learned log10 rank inside a 14.3M-row leak, so its answers stop near 10^6.9
    (the mid-rank of the passwords seen once). Where the answer is near that top (logistic
    weight around `start`) AND the Markov model finds the password less likely than leaked
    passwords ever are (log10(1 / P) above `markov_from`), the excess is added: random
    16-character strings get far beyond the leak, while answers inside the leak's range keep
    their order (what it gives: docs/strength.md).
    """
    if log10_prob is None:
        return pred
    if isinstance(pred, float):  # one password's answer: the same operations on floats
        weight = numerics.logistic_float((pred - start) / width)
        return pred + weight * max(-log10_prob - markov_from, 0.0)
    weight = numerics.logistic((pred - start) / width)
    return pred + weight * np.maximum(-log10_prob - markov_from, 0.0)


@dataclass(frozen=True)
class Scorer:
    """A loaded model (and optionally the leak lookup) with versions and score thresholds.

    Passwords found in the lookup get their exact guess rank (source "leak"); the model
    estimates the rest (source "model").
    """

    model: Pipeline
    model_sha256: str
    thresholds: tuple[float, ...]
    lookup: lookup_lib.LookupTable | None = None
    lookup_sha256: str | None = None
    # (start, width, markov_from) of `beyond_leak`; None: model answers only
    beyond_leak: tuple[float, float, float] | None = None

    @property
    def version(self) -> str:
        """The model's version: the first 12 hex digits of its file's sha256."""
        return self.model_sha256[:12]

    @classmethod
    def from_params(
        cls,
        params: Params,
        model_path: Path | None = None,
        use_lookup: bool | None = None,
    ) -> Scorer:
        model_path = model_path or params.paths.model
        model = model_lib.load(model_path)  # refuses files that would execute code
        table, table_sha256 = None, None
        if params.lookup.enabled if use_lookup is None else use_lookup:
            table = lookup_lib.load(params.paths.lookup, params.lookup.key)
            table_sha256 = sha256_file(params.paths.lookup)
        return cls.build(params, model, sha256_file(model_path), table, table_sha256)

    @classmethod
    def build(
        cls,
        params: Params,
        model: Pipeline,
        model_sha256: str,
        lookup: lookup_lib.LookupTable | None = None,
        lookup_sha256: str | None = None,
    ) -> Scorer:
        """A scorer from loaded parts, with params.yaml's strength settings (evaluate uses it
        with a lookup of the training split only)."""
        s = params.strength
        beyond = (s.beyond_leak_from, s.beyond_leak_width, s.beyond_leak_markov_from)
        thresholds = tuple(s.score_thresholds)
        return cls(model, model_sha256, thresholds, lookup, lookup_sha256, beyond)

    def __call__(self, passwords) -> dict[str, np.ndarray]:
        arr = as_arrow(passwords)
        if few_path(len(arr)):
            return self._few(arr)
        log10 = np.zeros(len(arr))
        found = np.zeros(len(arr), dtype=bool)
        if self.lookup is not None and len(arr):
            found, rank, _ = self.lookup.find(arr)
            if found.any():
                log10[found] = numerics.log10(rank[found])
        if not found.all():
            rest = arr.filter(pa.array(~found)) if found.any() else arr
            pred, log10_prob = model_lib.predict_with_markov(self.model, rest)
            if self.beyond_leak is not None:
                pred = beyond_leak(pred, log10_prob, *self.beyond_leak)
            log10[~found] = pred
        # at least one guess, and at most what a float holds: past 10^308 guesses would be
        # infinite (JSON null), and no attacker tells such numbers apart
        log10 = np.clip(log10, 0.0, MAX_GUESSES_LOG10)
        # never more than trying every string of its length and classes (pwc.answer.bound)
        length, size = lengths_and_sizes(arr)
        bound = bound_log10(length, size)
        forced = log10 > bound
        log10 = np.where(forced, bound, log10)
        guesses = numerics.exp10(log10)
        if forced.any():  # the count itself: "a" is 26 guesses, not 10^log10(26)
            guesses[forced] = np.minimum(count(length[forced], size[forced]), MAX_GUESSES)
        ranked = found & ~forced
        if ranked.any():  # a leaked password's guesses: its guess rank itself, not 10^log10
            guesses[ranked] = np.clip(rank[ranked], 1.0, MAX_GUESSES)
        # the fields of `Result`, as columns
        return {
            "guesses_log10": log10,
            "guesses": guesses,
            "score": strength(log10, self.thresholds),
            "source": np.where(forced, "brute_force", np.where(found, "leak", "model")),
        }

    def _few(self, arr: pa.Array) -> dict[str, np.ndarray]:
        """`__call__` for a password or two in Python floats, where numpy's per-call costs on
        1-element arrays were much of the API's usual request (benchmarks/RESULTS.md,
        "Figures behind the code's choices"): the same operations in the same order, so the
        same bits (tested against the batch path)."""
        ranks = [self._rank_of(arr.slice(i, 1)) for i in range(len(arr))]
        unknown = [i for i, rank in enumerate(ranks) if rank is None]
        predicted = {}
        if unknown:
            rest = arr if len(unknown) == len(arr) else arr.take(unknown)
            pred, log10_prob = model_lib.predict_with_markov(self.model, rest)
            for j, i in enumerate(unknown):
                predicted[i] = float(pred[j])
                if self.beyond_leak is not None and log10_prob is not None:
                    prob = float(log10_prob[j])
                    predicted[i] = beyond_leak(predicted[i], prob, *self.beyond_leak)
        columns: dict[str, list] = {"guesses_log10": [], "guesses": [], "score": [], "source": []}
        bounds, counts = zip(*(one_bound(p) for p in arr.to_pylist()), strict=True)
        for i, rank in enumerate(ranks):
            log10 = predicted[i] if rank is None else numerics.log10_floats([rank])[0]
            log10 = min(max(log10, 0.0), MAX_GUESSES_LOG10)  # np.clip's answers, NaN included
            source = "model" if rank is None else "leak"
            if log10 > bounds[i]:  # the count itself, as the batch path
                log10, rank, source = bounds[i], min(counts[i], MAX_GUESSES), "brute_force"
            guesses = (
                numerics.exp10_float(log10) if rank is None else min(max(rank, 1.0), MAX_GUESSES)
            )
            columns["guesses_log10"].append(log10)
            columns["guesses"].append(guesses)
            columns["score"].append(bisect.bisect_right(self.thresholds, log10))
            columns["source"].append(source)
        return {
            "guesses_log10": np.array(columns["guesses_log10"], dtype=np.float64),
            "guesses": np.array(columns["guesses"], dtype=np.float64),
            "score": np.array(columns["score"], dtype=np.int8),
            "source": np.array(columns["source"]),
        }

    def _rank_of(self, one: pa.Array) -> float | None:
        """The leak's guess rank of a one-row array, None when absent or without a lookup."""
        return self.lookup.find_one(one) if self.lookup is not None else None
