"""Shared fixtures. Tests are grouped by what they protect (Made-With-ML's taxonomy):
code/ (units), data/ (facts about the real RockYou file), model/ (behaviour of a trained
model), pipeline/ (dvc.yaml wiring, reproducibility, reruns)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pwc.config import load_params

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def params():
    return load_params(ROOT / "params.yaml")


def write_wordlist(path: Path, lines: list[bytes], newline: bytes = b"\n") -> Path:
    path.write_bytes(b"".join(line + newline for line in lines))
    return path
