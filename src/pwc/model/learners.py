"""The learner registry: every model `train.model` can name, with everything the rest of the
code needs of it, in one table.

A `Learner` says how to build its unfitted Pipeline, which row sets `draw_rows` draws for it
beyond the linear learner's, how it fits on them, the types its model file may hold, the
train params it reads and the rules between them. `train.model` is looked up here (`of`:
the config imports nothing above it), and `build`, training (pwc.model.train) and the model
file's trusted types (pwc.model.file) read this table. Adding a learner is its own module
and its row in `LEARNERS`; a learner registered at run time (a test's toy) works the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pwc.errors import ConfigError
from pwc.model import baseline, ngram_ridge

# Types any model file may hold beyond skops' defaults (arrays and sparse matrices).
BASE_TYPES = ("numpy.dtype", "numpy.float32", "numpy.float64", "scipy.sparse._csr.csr_matrix")


@dataclass(frozen=True)
class Learner:
    """One model family. `build(train_params, seed)` -> an unfitted sklearn Pipeline;
    `fit(model, train_params, rows, seed)` fits it in place on a `LearnerRows`;
    `draws(train_params)` -> the row sets it needs besides "linear" ("counts": rows for
    count models, "booster": rows for trees fitted after the linear model); `check(
    train_params)` raises ValueError on a combination of its params it cannot train (`of`
    runs it); `params`: the train params it reads."""

    name: str
    build: Callable
    fit: Callable
    trusted_types: tuple[str, ...]
    params: frozenset[str]  # the train params it reads: the others do not change its model
    draws: Callable = lambda params: ()
    check: Callable = lambda params: None


def _row(module, name: str, **more) -> Learner:
    """A learner whose module holds build, fit, TRUSTED_TYPES and PARAMS."""
    parts = {"build": module.build, "fit": module.fit, "trusted_types": module.TRUSTED_TYPES}
    return Learner(name=name, params=module.PARAMS, **parts, **more)


LEARNERS: dict[str, Learner] = {
    "ngram_ridge": _row(
        ngram_ridge, "ngram_ridge", draws=ngram_ridge.draws, check=ngram_ridge.check
    ),
    "baseline": _row(baseline, "baseline"),
}


def register(learner: Learner) -> Learner:
    """Add (or replace) a learner under its name; returns it."""
    LEARNERS[learner.name] = learner
    return learner


def get(name: str) -> Learner:
    """The learner `train.model` names; a ConfigError naming the known ones otherwise."""
    try:
        return LEARNERS[name]
    except KeyError:
        known = ", ".join(sorted(LEARNERS))
        raise ConfigError(f"train.model: unknown learner {name!r} (known: {known})") from None


def of(params) -> Learner:
    """The learner a `train` params section names, with its params checked by its own rules:
    a ConfigError naming the field otherwise."""
    learner = get(params.model)
    try:
        learner.check(params)
    except ValueError as exc:
        raise ConfigError(f"params.yaml: {exc}") from None
    return learner


def trusted_types() -> list[str]:
    """Every type a model file of any registered learner may hold."""
    found = set(BASE_TYPES)
    for learner in LEARNERS.values():
        found.update(learner.trusted_types)
    return sorted(found)
