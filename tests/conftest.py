"""Shared fixtures. Tests are grouped by what they protect (Made-With-ML's taxonomy):
code/ (units), data/ (facts about the real RockYou file), model/ (behaviour of a trained
model), pipeline/ (dvc.yaml wiring, reproducibility, reruns), serve/ (API, CLI, image)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pwc import model as model_lib
from pwc.config import DataParams, SplitParams, load_params
from pwc.data.sources import ingest
from pwc.data.split import split
from pwc.data.validate import validate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def params():
    return load_params(ROOT / "params.yaml")


@pytest.fixture(scope="session")
def small_run(params):
    """A model trained by the pipeline's own code on a seeded RockYou sample (CI has no DVC
    cache, so no full-data model): (fitted Pipeline, split tables)."""
    table = ingest(DataParams(sample=400_000, sha256=params.data.sha256), seed=params.seed)
    kept = validate(table, "rockyou", params.validate_.max_length).kept
    parts = split(kept, SplitParams(test_size=20_000, test_head_size=20_000), params.seed)
    train = parts["train"]
    cfg = params.train.model_copy(update={"rows": 150_000})
    return model_lib.train(train, cfg, params.seed), parts


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """CI (`.ci/run`) installs everything the suite needs, so there a skipped test is a
    failure: a check that silently never runs is worse than none."""
    if not os.environ.get("PWC_NO_SKIPS"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"PWC_NO_SKIPS: {len(skipped)} test(s) skipped: failing the run")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
