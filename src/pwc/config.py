"""Typed, validated view of params.yaml, the one place paths and parameters live. No field has
a default (a value here could only disagree with the file); a variant (tests, sweeps) is a
loaded section changed by `with_changes`, which validates like the file does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pwc.errors import ConfigError

PARAMS_FILE = "params.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


S = TypeVar("S", bound=_Section)
TableBits = Annotated[int, Field(ge=10, le=26)]


class Paths(_Section):
    raw_dir: Path
    ingested: Path
    validated: Path
    quarantine: Path
    validate_report: Path
    split_dir: Path
    model: Path
    lookup: Path
    lookup_report: Path
    evaluate_dir: Path
    gate: Path
    compare: Path
    predictions_dir: Path
    meter: Path
    meter_report: Path
    range_dir: Path
    range_report: Path

    def split(self, name: str) -> Path:
        return self.split_dir / f"{name}.parquet"

    # dvclive's layout inside the evaluate stage's directory (dvc.yaml names the same files)
    @property
    def evaluate_metrics(self) -> Path:
        return self.evaluate_dir / "metrics.json"

    def range_index(self, mode: str) -> Path:
        return self.range_dir / f"{mode}.idx"


class DataParams(_Section):
    source: Literal["rockyou", "wordlist", "csv"]
    path: Path | None
    sha256: str | None
    sample: int | None = Field(gt=0)

    @model_validator(mode="after")
    def _path_for_files(self) -> DataParams:
        if self.source != "rockyou" and self.path is None:
            raise ValueError(f"data.path is required when data.source is {self.source!r}")
        return self


class ValidateParams(_Section):
    max_length: int = Field(gt=0)


class SplitParams(_Section):
    buckets: int = Field(gt=1)
    heldout_buckets: int = Field(gt=0)  # test: buckets [0, heldout)
    validation_buckets: int = Field(gt=0)  # validation: the next ones
    test_size: int = Field(gt=0)
    test_head_size: int = Field(gt=0)
    validation_size: int = Field(gt=0)
    validation_head_size: int = Field(gt=0)

    @model_validator(mode="after")
    def _fraction(self) -> SplitParams:
        if self.heldout_buckets + self.validation_buckets >= self.buckets:
            raise ValueError("split: heldout_buckets + validation_buckets must be < buckets")
        return self


class LearnerShares(_Section):
    """How the train split is shared out among the learners that need rows of their own:
    disjoint parts (by a hash of the password) in these proportions."""

    linear: int = Field(ge=1)
    counts: int = Field(ge=1)  # the Markov model and the PCFG
    booster: int = Field(ge=1)


class TrainParams(_Section):
    """The served model (pwc.model); params.yaml says what each value does."""

    # a learner of pwc.model.learners, which checks the params it reads when it is looked up
    # (the config imports nothing above it)
    model: str
    rows: int | None = Field(gt=0)
    sampling: Literal["uniform", "log_rank", "mixed"]
    calibrate: bool
    ngram_max: int = Field(ge=1, le=6)
    hash_bits: int = Field(ge=10, le=24)
    vocabulary_size: int = Field(gt=0)
    markov_order: int = Field(ge=0, le=8)
    markov_bits: TableBits | list[TableBits]
    markov_rows: int = Field(gt=0)
    counts_on: Literal["part", "all"]
    shares: LearnerShares
    markov_samplings: list[Literal["uniform", "log_rank", "mixed", "count"]] = Field(min_length=1)
    pcfg_bits: int = Field(ge=0, le=26)
    knowledge: bool
    neighbour_bits: int = Field(ge=0, le=26)
    neighbour_edits: bool
    neighbour_substitutions: bool
    booster_iter: int = Field(ge=0)
    booster_rows: int = Field(gt=0)
    booster_sampling: Literal["uniform", "log_rank", "mixed"]
    booster_leaves: int = Field(ge=2)
    booster_learning_rate: float = Field(gt=0)
    alpha: float = Field(gt=0)
    ridge_tol: float = Field(gt=0, lt=1)
    sgd_alpha: float = Field(gt=0)
    sgd_max_iter: int = Field(gt=0)


class EvaluateParams(_Section):
    bin_width: float = Field(gt=0)
    end_to_end_queries: int = Field(gt=0)


class CompareParams(_Section):
    rows: int = Field(gt=0)
    slice_rows: int = Field(gt=0)


class GateParams(_Section):
    # on the validation sets, of the served scorer (pwc.evaluation.gate): a threshold out of
    # its metric's range could never fail (or never pass)
    min_spearman_head: float = Field(ge=-1, le=1)
    min_auc_head: float = Field(ge=0, le=1)
    min_spearman: float = Field(ge=-1, le=1)


class LookupParams(_Section):
    enabled: bool
    key: str

    @model_validator(mode="after")
    def _key_size(self) -> LookupParams:
        if len(self.key.encode("utf-8")) != 16:
            raise ValueError("lookup.key must be exactly 16 bytes (a SipHash-2-4 key)")
        return self


class PredictParams(_Section):
    input: Path
    batch_size: int = Field(gt=0)


class StrengthParams(_Section):
    score_thresholds: tuple[float, float, float, float]
    # Beyond the leak: pwc.scorer.beyond_leak says how (params.yaml too).
    beyond_leak_from: float
    beyond_leak_width: float = Field(gt=0)
    beyond_leak_markov_from: float

    @model_validator(mode="after")
    def _increasing(self) -> StrengthParams:
        t = self.score_thresholds
        if any(a >= b for a, b in zip(t, t[1:], strict=False)):
            raise ValueError("strength.score_thresholds must be strictly increasing")
        return self


class MeterTables(_Section):
    key_bits: int = Field(ge=16, le=32)
    min_counts: list[Annotated[int, Field(ge=1)]] = Field(min_length=1, max_length=8)
    min_gains: list[Annotated[int, Field(ge=0)]]  # half bits over the train split, per order


class MeterParams(MeterTables):
    """The browser meter (pwc.meter); params.yaml says what each value does."""

    extended: MeterTables | None  # larger tables, a model pages may load after the first
    backoff: list[Annotated[int, Field(ge=0, le=64)]]  # half bits, per order
    rows: int = Field(gt=0)
    sampling: Literal["uniform", "log_rank", "mixed"]
    trees: int = Field(gt=0)
    leaves: int = Field(ge=2)
    learning_rate: float = Field(gt=0)
    beyond_from: float
    beyond_markov_from: float

    @model_validator(mode="after")
    def _one_per_order(self) -> MeterParams:
        per_order = [(t.min_counts, t.min_gains) for t in (self, self.extended) if t]
        if len({len(self.backoff), *(len(v) for pair in per_order for v in pair)}) > 1:
            raise ValueError("meter: backoff, min_counts, min_gains: one per order, extended's too")
        return self


class RangeParams(_Section):  # the range index (pwc.breach); params.yaml says what each does
    modes: list[Literal["sha1", "ntlm"]] = Field(min_length=1)
    corpus: dict[Literal["sha1", "ntlm"], Path | None]
    engine: Literal["local", "dask"]
    memory_mb: int = Field(gt=0)
    threads: int = Field(gt=0)


class Params(_Section):
    seed: int
    paths: Paths
    data: DataParams
    validate_: ValidateParams = Field(alias="validate")
    split: SplitParams
    train: TrainParams
    evaluate: EvaluateParams
    compare: CompareParams
    gate: GateParams
    lookup: LookupParams
    predict: PredictParams
    strength: StrengthParams
    meter: MeterParams
    range: RangeParams


def with_changes(section: S, **changes) -> S:
    """A copy of a loaded params section with some fields changed, validated like the file."""
    try:
        return type(section).model_validate({**section.model_dump(by_alias=True), **changes})
    except ValidationError as exc:
        raise ConfigError(_problems(exc)) from None


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


def load_params(path: str | Path = PARAMS_FILE) -> Params:
    """Read and validate params.yaml; errors name the file and the field."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found (run from the project root)") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_problems(exc)}") from None


def value_at(params: Params, dotted: str):
    """The value at a dotted key of params.yaml (e.g. paths.raw_dir), after validation."""
    value = params
    for part in dotted.split("."):
        name = "validate_" if part == "validate" else part
        if not hasattr(value, name):
            raise ConfigError(f"params.yaml has no key {dotted!r}")
        value = getattr(value, name)
    return value


if __name__ == "__main__":
    # `python -m pwc.config paths.raw_dir`: a value for shell scripts (paths only here)
    import sys

    try:
        print(value_at(load_params(), sys.argv[1]))
    except (ConfigError, IndexError) as exc:
        sys.exit(f"error: {exc or 'usage: python -m pwc.config KEY (e.g. paths.raw_dir)'}")
