from pathlib import Path

import pytest
import yaml

from pwc.config import load_params
from pwc.errors import ConfigError


def test_project_params_load(params):
    # Given the committed params.yaml, when loaded, then typed sections come back.
    assert params.data.source == "rockyou"
    assert params.paths.split("test") == Path("data/split/test.parquet")
    assert params.split.heldout_buckets < params.split.buckets


def _write(tmp_path, root, **changes):
    raw = yaml.safe_load((root / "params.yaml").read_text())
    for dotted, value in changes.items():
        section, key = dotted.split(".")
        raw[section][key] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_unknown_model_names_the_field(tmp_path, root):
    from pwc.model import learners  # the registry looks the name up (pwc.model.learners)

    path = _write(tmp_path, root, **{"train.model": "magic"})
    with pytest.raises(ConfigError, match=r"train\.model: unknown learner 'magic'"):
        learners.of(load_params(path).train)


def test_file_source_needs_a_path(tmp_path, root):
    path = _write(tmp_path, root, **{"data.source": "csv"})
    with pytest.raises(ConfigError, match="data.path is required"):
        load_params(path)


def test_unknown_key_is_rejected(tmp_path, root):
    path = _write(tmp_path, root, **{"split.bukets": 3})
    with pytest.raises(ConfigError, match="bukets"):
        load_params(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_params(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"split.heldout_buckets": 60, "split.validation_buckets": 40}, "must be < buckets"),
        ({"lookup.key": "short"}, r"lookup\.key must be exactly 16 bytes"),
        ({"strength.score_thresholds": [3.0, 6.0, 6.0, 10.0]}, "strictly increasing"),
        ({"data.sample": 0}, r"data\.sample"),
        ({"strength.beyond_leak_width": 0.0}, r"strength\.beyond_leak_width"),
        ({"train.sampling": "sideways"}, r"train\.sampling"),
        ({"meter.backoff": [0, 0]}, "one per order"),
        ({"meter.min_gains": [0, 0]}, "one per order"),
        ({"meter.extended": {"key_bits": 26, "min_counts": [1], "min_gains": [0]}}, "one per"),
        ({"gate.min_auc_head": 1.5}, r"gate\.min_auc_head"),  # a gate that could never pass
        ({"gate.min_spearman": -2}, r"gate\.min_spearman"),  # nor fail
    ],
)
def test_each_validator_names_the_file_and_the_field(tmp_path, root, changes, message):
    path = _write(tmp_path, root, **changes)
    with pytest.raises(ConfigError, match=message) as caught:
        load_params(path)
    assert str(path) in str(caught.value)


def test_invalid_yaml_is_named(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("seed: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_params(path)


def test_no_field_has_a_default():
    """params.yaml is the only source of values: a default here could disagree with it."""
    from pydantic import BaseModel

    from pwc.config import Params

    def walk(model: type[BaseModel], where: str):
        for name, field in model.model_fields.items():
            assert field.is_required(), f"{where}.{name} has a default"
            kind = field.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                walk(kind, f"{where}.{name}")

    walk(Params, "params")


def test_a_missing_key_names_it(tmp_path, root):
    raw = yaml.safe_load((root / "params.yaml").read_text())
    del raw["train"]["booster_leaves"]
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"train\.booster_leaves: Field required"):
        load_params(path)


def test_with_changes_validates_like_the_file(params):
    from pwc.config import with_changes

    changed = with_changes(params.train, hash_bits=12, markov_order=0)
    assert (changed.hash_bits, changed.markov_order, changed.alpha) == (12, 0, params.train.alpha)
    with pytest.raises(ConfigError, match="hash_bits"):
        with_changes(params.train, hash_bits=99)
    with pytest.raises(ConfigError, match="nope"):
        with_changes(params.train, nope=1)


def test_train_combinations_that_cannot_work_are_refused(params):
    """One Markov table size per order (or one for all), each within bounds; counting every
    train row (leave one out) with one unweighted Markov model only: the field bounds here,
    the rules between fields by the learner that reads them (pwc.model.learners.of)."""
    from pwc.config import with_changes
    from pwc.model import learners

    train = with_changes(params.train, markov_order=3, counts_on="part", markov_bits=18)
    assert learners.of(with_changes(train, markov_bits=[10, 12, 20])).name == "ngram_ridge"
    with pytest.raises(ConfigError, match="lists 2 sizes for train.markov_order 3"):
        learners.of(with_changes(train, markov_bits=[10, 12]))
    with pytest.raises(ConfigError, match="markov_bits"):
        with_changes(train, markov_bits=[10, 12, 27])
    learners.of(with_changes(train, counts_on="all", markov_samplings=["uniform"]))
    for samplings in (["count"], ["log_rank", "uniform"]):
        with pytest.raises(ConfigError, match="counts every train row once"):
            learners.of(with_changes(train, counts_on="all", markov_samplings=samplings))
    with pytest.raises(ConfigError, match="train.model: unknown learner 'nope'"):
        learners.of(with_changes(train, model="nope"))


def test_paths_are_written_only_in_params_yaml(root, params):
    """Code, the Makefile, CI and the Dockerfile read paths through pwc.config (Python) or
    `python -m pwc.config paths.x` (shell), and dvc.yaml interpolates ${paths.x}: a path
    written out there would be a second place to change."""
    import re

    values = {str(v) for v in params.paths.model_dump().values()} | {str(params.predict.input)}
    files = sorted((root / "src").rglob("*.py"))
    files += [root / n for n in ("Makefile", ".gitlab-ci.yml", "Dockerfile", "dvc.yaml")]
    found = []
    for file in files:
        text = file.read_text()
        for value in values:
            # the path itself, not a longer name containing it (src/pwc/data/split.py)
            for match in re.finditer(rf"(?<![\w/.-]){re.escape(value)}(?![\w.-])", text):
                line = text[: match.start()].count("\n") + 1
                found.append(f"{file.relative_to(root)}:{line}: {value}")
    assert not found, found


def test_a_value_for_shell_scripts(root):
    import subprocess
    import sys

    run = [sys.executable, "-m", "pwc.config"]
    got = subprocess.run([*run, "paths.raw_dir"], cwd=root, capture_output=True, text=True)
    assert got.returncode == 0 and got.stdout.strip() == "data/raw"
    bad = subprocess.run([*run, "paths.nope"], cwd=root, capture_output=True, text=True)
    assert bad.returncode == 1 and "no key 'paths.nope'" in bad.stderr
