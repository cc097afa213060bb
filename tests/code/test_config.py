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
    path = _write(tmp_path, root, **{"train.model": "magic"})
    with pytest.raises(ConfigError, match=r"train\.model"):
        load_params(path)


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
        ({"split.heldout_buckets": 60, "split.validation_buckets": 40}, "must be smaller than"),
        ({"lookup.key": "short"}, r"lookup\.key must be exactly 16 bytes"),
        ({"strength.score_thresholds": [3.0, 6.0, 6.0, 10.0]}, "strictly increasing"),
        ({"data.sample": 0}, r"data\.sample"),
        ({"strength.beyond_leak_width": 0.0}, r"strength\.beyond_leak_width"),
        ({"train.sampling": "sideways"}, r"train\.sampling"),
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
