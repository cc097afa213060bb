"""Sweep files (sweeps/*.yaml): validated by the same typed params as params.yaml before
anything runs; errors name the sweep file and the key."""

from __future__ import annotations

import pytest
import yaml

from pwc.errors import ConfigError
from pwc.ops import experiments, sweeps

from ..conftest import ROOT


@pytest.fixture
def sweep_dir(tmp_path, monkeypatch):
    (tmp_path / "sweeps").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path / "sweeps"


def _write(folder, name: str, doc: dict) -> None:
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


GOOD = {
    "rank_by": "validation.served.spearman",
    "direction": "max",
    "grid": {"train.alpha": [1, 3]},
}


def test_the_committed_sweeps_are_valid(params, monkeypatch):
    monkeypatch.chdir(ROOT)
    default = sweeps.load_sweep("default", params)
    assert len(sweeps.points(default)) == 6
    assert default.metric == experiments.PRIMARY  # the gate's figure, on validation
    for path in (ROOT / "sweeps").glob("*.yaml"):
        assert sweeps.points(sweeps.load_sweep(path.stem, params))


def test_points_are_every_combination_as_dvc_arguments(params, sweep_dir):
    grid = {"train.alpha": [1, 2.5], "train.sampling": ["mixed"], "train.calibrate": [False]}
    _write(sweep_dir, "s", {**GOOD, "grid": grid})
    points = sweeps.points(sweeps.load_sweep("s", params))
    assert [sweeps.set_args(p) for p in points] == [
        ["-S", "train.alpha=1", "-S", "train.sampling=mixed", "-S", "train.calibrate=false"],
        ["-S", "train.alpha=2.5", "-S", "train.sampling=mixed", "-S", "train.calibrate=false"],
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"grid": {"train.alpah": [1]}}, r"s\.yaml: grid key 'train\.alpah' is not a params"),
        ({"grid": {"nope.alpha": [1]}}, r"grid key 'nope\.alpha' is not a params"),
        ({"grid": {"train.sampling": ["sideways"]}}, r"'train\.sampling', value 'sideways'"),
        ({"grid": {"train.alpha": [-1]}}, r"'train\.alpha', value -1: .*alpha"),
        ({"grid": {"train.alpha": []}}, r"s\.yaml: grid: .*no values to try"),
        ({"rank_by": "test_head.served.spearman"}, r"rank_by: .*validation set"),
        ({"direction": "up"}, r"s\.yaml: direction"),
        ({"extra": 1}, r"s\.yaml: extra"),
    ],
)
def test_a_bad_sweep_names_the_file_and_the_key(params, sweep_dir, change, message):
    _write(sweep_dir, "s", {**GOOD, **change})
    with pytest.raises(ConfigError, match=message):
        sweeps.load_sweep("s", params)


def test_an_unknown_sweep_lists_the_known_ones(params, sweep_dir):
    _write(sweep_dir, "mine", GOOD)
    with pytest.raises(ConfigError, match=r"no such sweep \(known: mine\)"):
        sweeps.load_sweep("other", params)


def test_ranking_follows_the_sweeps_metric_and_direction():
    def rev(name, value):
        data = {"validation": {"served": {"rmse": value}}}
        return {"name": name, "revs": [{"rev": name, "data": {"metrics": {"m": {"data": data}}}}]}

    show = [{"experiments": [rev("a", 0.5), rev("b", 0.3)]}]
    key = ("validation", "served", "rmse")
    assert experiments.ranked(show, "m", key, "min")[0] == ("b", 0.3)
    assert experiments.ranked(show, "m", key, "max")[0] == ("a", 0.5)
