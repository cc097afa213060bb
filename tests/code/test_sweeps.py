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


RANDOM = {"seed": 7, "draws": 3, "params": {"train.alpha": {"log_uniform": [0.1, 100]}}}
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
        ({"grid": {}}, r"s\.yaml: .*give a grid, random draws, or both"),
        ({"random": RANDOM | {"params": {"train.alpha": {"uniform": [3, 1]}}}}, r"\[3\.0, 1\.0\]"),
        ({"random": RANDOM | {"params": {"train.alpha": {}}}}, r"exactly one of uniform"),
        ({"random": RANDOM | {"params": {"train.alpha": {"log_uniform": [0, 1]}}}}, "positive"),
        ({"random": RANDOM}, r"train\.alpha both in the grid and drawn at random"),
        (
            {"grid": {}, "random": RANDOM | {"params": {"train.alpha": {"uniform": [-2, -1]}}}},
            r"s\.yaml: grid key 'train\.alpha', value -1\.\d+: .*alpha",
        ),
        ({"random": RANDOM | {"params": {"train.alpah": {"choice": [1]}}}}, r"'train\.alpah' is"),
    ],
)
def test_a_bad_sweep_names_the_file_and_the_key(params, sweep_dir, change, message):
    _write(sweep_dir, "s", {**GOOD, **change})
    with pytest.raises(ConfigError, match=message):
        sweeps.load_sweep("s", params)


def test_random_draws_are_seeded_in_range_and_combined_with_the_grid(params, sweep_dir):
    draws = {
        "seed": 7,
        "draws": 4,
        "params": {
            "train.alpha": {"log_uniform": [0.1, 100]},
            "train.booster_leaves": {"int_uniform": [31, 255]},
            "train.sampling": {"choice": ["log_rank", "mixed"]},
        },
    }
    _write(sweep_dir, "s", {**GOOD, "grid": {"train.calibrate": [True, False]}, "random": draws})
    points = sweeps.points(sweeps.load_sweep("s", params))
    assert len(points) == 2 * 4 and points == sweeps.points(sweeps.load_sweep("s", params))
    assert [p["train.calibrate"] for p in points] == [True] * 4 + [False] * 4
    assert points[:4] == [p | {"train.calibrate": True} for p in points[4:]]  # same draws
    drawn = points[:4]
    assert all(0.1 <= p["train.alpha"] <= 100 for p in drawn)
    # drawn floats are kept to 4 significant digits: readable experiment names and params
    assert all(float(f"{p['train.alpha']:.4g}") == p["train.alpha"] for p in drawn)
    assert len({p["train.alpha"] for p in drawn}) == 4
    assert all(isinstance(p["train.booster_leaves"], int) for p in drawn)
    assert all(31 <= p["train.booster_leaves"] <= 255 for p in drawn)
    assert {p["train.sampling"] for p in drawn} <= {"log_rank", "mixed"}
    assert len({p["train.alpha"] for p in drawn}) == 4  # four different draws
    # another seed, other draws; no grid, just the draws
    _write(sweep_dir, "t", {**GOOD, "grid": {}, "random": draws | {"seed": 8}})
    other = sweeps.points(sweeps.load_sweep("t", params))
    assert len(other) == 4 and [p["train.alpha"] for p in other] != [
        p["train.alpha"] for p in drawn
    ]
    uniform = {"seed": 1, "draws": 5, "params": {"train.alpha": {"uniform": [1, 5]}}}
    _write(sweep_dir, "u", {**GOOD, "grid": {}, "random": uniform})
    assert all(1 <= p["train.alpha"] <= 5 for p in sweeps.points(sweeps.load_sweep("u", params)))


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


def test_the_ci_child_pipeline_has_a_job_per_point_then_collect(params, sweep_dir):
    import shutil

    from pwc.ops import ci_sweep

    for name in (".gitlab-ci.yml", "params.yaml"):
        shutil.copy(ROOT / name, sweep_dir.parent / name)
    _write(
        sweep_dir, "two", {**GOOD, "grid": {"train.alpha": [1, 3], "train.sampling": ["uniform"]}}
    )
    child = ci_sweep.generate("two")
    ci = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())
    jobs = {k: v for k, v in child.items() if not k.startswith(".") and isinstance(v, dict)}
    jobs.pop("variables")
    assert list(jobs) == ["two-0", "two-1", "collect"]
    assert [jobs[f"two-{i}"]["variables"]["PWC_SWEEP_POINT"] for i in (0, 1)] == ["0", "1"]
    point = child[".point"]
    assert point["allow_failure"] is True and jobs["collect"]["when"] == "always"
    # the remote set-up and the image are .gitlab-ci.yml's, not written twice
    assert point["script"][: len(ci[".dvc_s3"])] == ci[".dvc_s3"]
    assert child["image"] == ci["image"]
    assert point["script"][-1] == "python -m pwc.ops.ci_sweep point two $PWC_SWEEP_POINT"


def test_the_ci_report_ranks_marks_the_best_and_lists_missing_points(params, sweep_dir):
    from pwc.ops import ci_sweep

    _write(sweep_dir, "s", {**GOOD, "direction": "min"})
    sweep = sweeps.load_sweep("s", params)
    rows = [
        {"experiment": f"s-{i}", "params": {"train.alpha": a}, "value": v, "test_head": 0.5,
         "gate": g, "seconds": {"pull": 2.0, "exp_run": 30.0, "exp_push": 1.5}}
        for i, a, v, g in ((1, 3, 0.2, True), (0, 1, 0.4, False))
    ]  # fmt: skip
    missing = [
        {"experiment": "s-2", "params": {"train.alpha": 9}, "seconds": {}, "status": "missing"},
        {"experiment": "s-3", "params": {"train.alpha": 27}, "seconds": {}, "status": "failed"},
    ]
    text = ci_sweep.markdown("s", sweep, rows, missing)
    lines = [line for line in text.splitlines() if "`s-" in line and line.startswith("|")]
    assert lines[0].startswith("| **best** | `s-1` | 3 | 0.200000 | 0.500000 | passed | 30.0 | 3.5")
    assert "| FAILED |" in lines[1] and lines[2].startswith("| missing | `s-2` | 9 |")
    assert lines[3].startswith("| failed | `s-3` | 27 |")
    assert "2 of 4 points finished" in text and "dvc exp apply s-1" in text


@pytest.mark.parametrize(
    ("direction", "best_first"), [("min", ["s-1", "s-0"]), ("max", ["s-0", "s-1"])]
)
def test_collect_ranks_by_the_sweeps_direction(
    params, sweep_dir, monkeypatch, direction, best_first
):
    """collect on canned `dvc exp show --json`: an error metric (rmse) ranks lowest first."""
    import json

    from pwc.ops import ci_sweep

    (sweep_dir.parent / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    _write(sweep_dir, "s", {**GOOD, "rank_by": "validation.served.rmse", "direction": direction})

    def rev(name, rmse):
        metrics = {
            params.paths.evaluate_metrics.as_posix(): {
                "data": {
                    "validation": {"served": {"rmse": rmse}},
                    "test_head": {"served": {"spearman": 0.5}},
                }
            },
            params.paths.gate.as_posix(): {"data": {"passed": True}},
        }
        return {"name": name, "revs": [{"rev": name * 7, "data": {"metrics": metrics}}]}

    show = [{"experiments": [rev("s-0", 0.4), rev("s-1", 0.2)]}]
    monkeypatch.setattr(ci_sweep, "git", lambda *args: "")
    monkeypatch.setattr(ci_sweep, "dvc", lambda *args: json.dumps(show))
    text, rows = ci_sweep.collect("s")
    assert [r["experiment"] for r in rows] == best_first
    assert f"dvc exp apply {best_first[0]}" in text


def test_a_point_that_fails_records_it_for_collect(params, sweep_dir, monkeypatch):
    """The gate refusing a point fails `dvc exp run`: the job fails, and its record says so
    (collect reports it `failed`; a killed job leaves none: `missing`)."""
    import json

    from pwc.errors import PwcError
    from pwc.ops import ci_sweep

    (sweep_dir.parent / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    _write(sweep_dir, "g", GOOD)
    calls = []

    def dvc(*args):
        calls.append(args[:2])
        if args[:2] == ("exp", "run"):
            raise PwcError("`dvc exp run` failed: gate: validation_head.served.spearman 0.1 < 0.55")
        return ""

    monkeypatch.setattr(ci_sweep, "dvc", dvc)
    with pytest.raises(PwcError, match="gate"):
        ci_sweep.run_point("g", 1)
    record = json.loads((sweep_dir.parent / "sweep-results" / "point-1.json").read_text())
    assert record["status"] == "failed" and record["experiment"] == "g-1"
    assert record["params"] == {"train.alpha": 3} and set(record["seconds"]) == {"pull", "exp_run"}
    assert ("exp", "push") not in calls  # nothing pushed for a failed point


def test_the_sweep_posts_to_the_pipelines_merge_request_else_the_one_named(monkeypatch):
    from pwc.ops import ci_sweep

    monkeypatch.delenv("CI_MERGE_REQUEST_IID", raising=False)
    monkeypatch.delenv("PWC_SWEEP_MR", raising=False)
    assert ci_sweep.merge_request_iid() is None  # nothing to post to: the report is printed
    monkeypatch.setenv("PWC_SWEEP_MR", "12")
    assert ci_sweep.merge_request_iid() == "12"
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", "7")
    assert ci_sweep.merge_request_iid() == "7"
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", "")  # GitLab passes unset variables as empty
    assert ci_sweep.merge_request_iid() == "12"
