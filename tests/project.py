"""The project's params.yaml for tests: the values every test starts from (config has no
defaults), and variants of a section validated like the file."""

from pathlib import Path

from pwc.config import load_params, with_changes

ROOT = Path(__file__).resolve().parents[1]
PARAMS = load_params(ROOT / "params.yaml")


def section(name: str, **changes):
    """params.yaml's section `name` (e.g. "train"), with `changes` applied and validated."""
    return with_changes(getattr(PARAMS, name if name != "validate" else "validate_"), **changes)
