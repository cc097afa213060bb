"""The learner registry (pwc.model.learners): a toy learner registered here, through the
public registry and nothing else, is accepted by params.yaml's validation, trained on rows
drawn for it, evaluated, saved, loaded with its types trusted, and served by the API; an
unknown learner is refused naming the known ones; each built-in checks its own params."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml
from fastapi.testclient import TestClient
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline

from pwc import model as model_lib
from pwc.config import load_params, with_changes
from pwc.errors import ConfigError, ModelError
from pwc.evaluation import evaluate
from pwc.model import learners

from ..conftest import ROOT


class LengthFeatures(TransformerMixin, BaseEstimator):
    """The toy's features: length and digit count, read from the Arrow array."""

    def fit(self, X, y=None):  # noqa: N803 - sklearn's signature
        return self

    def transform(self, X):  # noqa: N803
        arr = X.combine_chunks() if isinstance(X, pa.ChunkedArray) else X
        arr = arr if isinstance(arr, pa.Array) else pa.array(list(arr), pa.large_string())
        digits = pc.count_substring_regex(arr, r"\d")
        return np.column_stack([pc.utf8_length(arr), digits]).astype(np.float64)


def _build(params, seed):
    return Pipeline(
        [("features", LengthFeatures()), ("regress", model_lib.Calibrated(LinearRegression()))]
    )


def _fit(model, params, rows, seed):
    y = np.asarray(rows.linear.target, dtype=np.float64)
    model.fit(rows.linear.passwords, y)


TOY = learners.Learner(
    name="toy",
    build=_build,
    fit=_fit,
    trusted_types=(
        f"{__name__}.LengthFeatures",
        "pwc.model.Calibrated",
        "sklearn.linear_model._base.LinearRegression",
    ),
    params=frozenset({"rows", "sampling", "calibrate", "shares"}),
)


@pytest.fixture
def toy():
    learners.register(TOY)
    yield TOY
    learners.LEARNERS.pop("toy")


def _table(n: int) -> pa.Table:
    rng = np.random.default_rng(0)
    passwords = [f"{'abcdefgh'[: 1 + i % 8]}{i}" for i in range(n)]
    ranks = np.arange(1, n + 1)
    rng.shuffle(ranks)
    return pa.table(
        {"password": passwords, "rank": ranks, "target": np.log10(ranks).astype(np.float64)}
    )


def test_a_toy_learner_trains_evaluates_saves_loads_and_serves(toy, tmp_path):
    params = load_params(ROOT / "params.yaml")
    with pytest.raises(ConfigError, match=r"unknown learner 'toy2' \(known: .*toy"):
        learners.of(with_changes(params.train, model="toy2"))
    train_cfg = with_changes(params.train, model="toy", rows=300, calibrate=False)
    fitted = model_lib.train(_table(2_000), train_cfg, seed=1)
    assert fitted.pwc_format_ == model_lib.MODEL_FORMAT
    held_out = _table(500)
    pred = model_lib.predict(fitted, held_out["password"])
    figures = evaluate.metrics(held_out["target"].to_numpy(), pred, np.zeros(500, dtype=bool))
    assert figures["n"] == 500 and np.isfinite(figures["rmse"])

    path = tmp_path / "toy.skops"
    model_lib.save(fitted, path)
    loaded = model_lib.load(path)  # its own types trusted through the registry
    np.testing.assert_array_equal(model_lib.predict(loaded, held_out["password"]), pred)

    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["train"]["model"] = "toy"
    raw["lookup"]["enabled"] = False
    raw["paths"].update(model=str(path), meter=str(tmp_path / "no-meter"))
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    from pwc.serve.app import Settings, create_app

    with TestClient(create_app(Settings(params=tmp_path / "params.yaml"))) as client:
        got = client.post("/v1/score", json={"passwords": ["abc1", "abcdefgh99"]})
    assert got.status_code == 200, got.text
    answered = [r["guesses_log10"] for r in got.json()["results"]]
    assert all(np.isfinite(answered)) and answered[0] != answered[1]


def test_without_the_toy_its_files_are_refused_and_its_name_unknown(toy, tmp_path):
    params = load_params(ROOT / "params.yaml")
    cfg = with_changes(params.train, model="toy", rows=100, calibrate=False)
    path = tmp_path / "toy.skops"
    model_lib.save(model_lib.train(_table(400), cfg, seed=1), path)
    learners.LEARNERS.pop("toy")  # a release without the toy learner
    try:
        with pytest.raises(ModelError, match="untrusted types"):
            model_lib.load(path)
        with pytest.raises(ConfigError, match="unknown learner 'toy'"):
            model_lib.build(with_changes(params.train, model="toy"), 0)
    finally:
        learners.register(TOY)


def test_each_builtin_checks_its_own_params():
    params = load_params(ROOT / "params.yaml")
    assert set(learners.LEARNERS) >= {"ngram_ridge", "baseline"}
    with pytest.raises(ConfigError, match="train.markov_bits lists 2 sizes"):
        learners.of(with_changes(params.train, markov_order=3, markov_bits=[20, 20]))
    # the baseline reads no Markov param: the same values are no error for it
    bits = with_changes(params.train, model="baseline", markov_order=3, markov_bits=[20, 20])
    assert learners.of(bits).name == "baseline"
    for learner in learners.LEARNERS.values():
        assert learner.params <= set(type(params.train).model_fields), learner.name
