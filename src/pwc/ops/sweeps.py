"""Sweeps defined once, in sweeps/<name>.yaml: a grid over params.yaml keys and/or seeded random
draws, the metric to rank by and its direction. Every value is validated by the same typed
params as params.yaml, so a sweep fails before anything runs, with the sweep file and the key
in the message. The points are every grid combination with every draw.

    python -m pwc.ops.sweeps check NAME   # validate, print the points
    python -m pwc.ops.sweeps queue NAME   # one `dvc exp run --queue -S ...` per point
"""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pwc.config import Params, load_params, with_changes
from pwc.data.split import VALIDATION_SETS
from pwc.errors import ConfigError, PwcError
from pwc.numerics import exp, log
from pwc.ops.tools import dvc, entry

SWEEPS_DIR = Path("sweeps")


class Distribution(BaseModel):
    """Where one key's random values come from: exactly one of these."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    uniform: tuple[float, float] | None = None
    log_uniform: tuple[float, float] | None = None
    int_uniform: tuple[int, int] | None = None
    choice: list | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> Distribution:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(type(self).model_fields)}")
        low, high = self.uniform or self.log_uniform or self.int_uniform or (0, 1)
        if not low < high:
            raise ValueError(f"the range [{low}, {high}] is empty")
        if self.log_uniform and low <= 0:
            raise ValueError("log_uniform needs a positive range")
        return self

    def value(self, u: float):
        """The value at u in [0, 1): plain IEEE arithmetic and pwc.numerics, so the same
        draw on every machine; floats kept to 4 significant digits, readable in -S."""
        if self.choice is not None:
            return self.choice[math.floor(u * len(self.choice))]
        if self.int_uniform is not None:
            low, high = self.int_uniform
            return low + math.floor(u * (high - low + 1))
        if self.uniform is not None:
            low, high = self.uniform
            x = low + u * (high - low)
        else:
            low, high = (float(v) for v in log(np.array(self.log_uniform)))
            x = float(exp(np.array([low + u * (high - low)]))[0])
        return float(f"{x:.4g}")


class RandomDraws(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(description="the same draws on every machine and every run")
    draws: int = Field(ge=1)
    params: dict[str, Distribution] = Field(min_length=1)


class Sweep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rank_by: str = Field(
        description="dotted path in the evaluate metrics, e.g. validation.served.spearman"
    )
    direction: Literal["max", "min"]
    grid: dict[str, list] = Field(default_factory=dict)
    random: RandomDraws | None = None

    @field_validator("rank_by")
    @classmethod
    def _on_validation(cls, value: str) -> str:
        if value.split(".")[0] not in VALIDATION_SETS:
            raise ValueError(f"must rank on a validation set ({', '.join(VALIDATION_SETS)})")
        return value

    @field_validator("grid")
    @classmethod
    def _values(cls, grid: dict[str, list]) -> dict[str, list]:
        empty = [key for key, values in grid.items() if not values]
        if empty:
            raise ValueError(f"no values to try for {', '.join(empty)}")
        return grid

    @model_validator(mode="after")
    def _something_to_try(self) -> Sweep:
        if not self.grid and self.random is None:
            raise ValueError("give a grid, random draws, or both")
        both = sorted(set(self.grid) & set(self.random.params if self.random else ()))
        if both:
            raise ValueError(f"{', '.join(both)} both in the grid and drawn at random")
        return self

    @property
    def metric(self) -> tuple[str, ...]:
        return tuple(self.rank_by.split("."))


def sweep_path(name: str) -> Path:
    return SWEEPS_DIR / f"{name}.yaml"


def load_sweep(name: str, params: Params) -> Sweep:
    """sweeps/<name>.yaml, checked: its shape, and every value as params.yaml would take it."""
    path = sweep_path(name)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = sorted(p.stem for p in SWEEPS_DIR.glob("*.yaml"))
        raise ConfigError(f"{path}: no such sweep (known: {', '.join(known) or 'none'})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        sweep = Sweep.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None
    for key, values in (sweep.grid | _drawn(sweep)).items():
        section_name, _, field = key.partition(".")
        attribute = "validate_" if section_name == "validate" else section_name
        section = getattr(params, attribute, None)
        if not field or section is None or field not in type(section).model_fields:
            raise ConfigError(f"{path}: grid key {key!r} is not a params.yaml key")
        for value in values:
            try:
                with_changes(section, **{field: value})
            except ConfigError as exc:
                raise ConfigError(f"{path}: grid key {key!r}, value {value!r}: {exc}") from None
    return sweep


def _draws(sweep: Sweep) -> list[dict]:
    """The random draws, one dict per draw (keys in the file's order); [{}] without any."""
    if sweep.random is None:
        return [{}]
    rng = np.random.default_rng(sweep.random.seed)
    keys = list(sweep.random.params)
    return [
        {key: sweep.random.params[key].value(float(u)) for key, u in zip(keys, row, strict=True)}
        for row in rng.random((sweep.random.draws, len(keys)))
    ]


def _drawn(sweep: Sweep) -> dict[str, list]:
    """Every value drawn for each key, to validate like the grid's."""
    draws = _draws(sweep)
    return {key: [d[key] for d in draws] for key in (sweep.random.params if sweep.random else ())}


def points(sweep: Sweep) -> list[dict]:
    """Every combination of the grid (in the file's key order) with every random draw."""
    keys = list(sweep.grid)
    combos = [dict(zip(keys, c, strict=True)) for c in itertools.product(*sweep.grid.values())]
    draws = _draws(sweep)
    return [combo | draw for combo in combos for draw in draws]


def set_args(point: dict) -> list[str]:
    """`-S key=value` arguments for `dvc exp run` (values as YAML, which DVC parses)."""
    args = []
    for key, value in point.items():
        text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
        args += ["-S", f"{key}={text}"]
    return args


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"check", "queue"}:
        print("usage: python -m pwc.ops.sweeps check|queue NAME", file=sys.stderr)
        return 2
    command, name = argv
    try:
        sweep = load_sweep(name, load_params())
        grid = points(sweep)
        for point in grid:
            if command == "queue":
                dvc("exp", "run", "--queue", *set_args(point))
            print(" ".join(set_args(point)))
    except PwcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    verb = "queued" if command == "queue" else "valid:"
    print(f"{verb} {len(grid)} points, ranked by {sweep.rank_by} ({sweep.direction})")
    return 0


if __name__ == "__main__":
    sys.exit(entry(main))
