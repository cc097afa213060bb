"""Sweeps defined once, in sweeps/<name>.yaml: a grid over params.yaml keys, the metric to rank
by and its direction. Every value is validated by the same typed params as params.yaml, so a
sweep fails before anything runs, with the sweep file and the key in the message.

    python -m pwc.ops.sweeps check NAME   # validate, print the points
    python -m pwc.ops.sweeps queue NAME   # one `dvc exp run --queue -S ...` per point
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pwc.config import Params, load_params, with_changes
from pwc.data.split import VALIDATION_SETS
from pwc.errors import ConfigError, PwcError
from pwc.ops.tools import dvc

SWEEPS_DIR = Path("sweeps")


class Sweep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rank_by: str = Field(
        description="dotted path in the evaluate metrics, e.g. validation.served.spearman"
    )
    direction: Literal["max", "min"]
    grid: dict[str, list] = Field(min_length=1)

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
    for key, values in sweep.grid.items():
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


def points(sweep: Sweep) -> list[dict]:
    """Every combination of the grid, in the file's key order."""
    keys = list(sweep.grid)
    return [
        dict(zip(keys, combo, strict=True)) for combo in itertools.product(*sweep.grid.values())
    ]


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
    sys.exit(main(sys.argv[1:]))
