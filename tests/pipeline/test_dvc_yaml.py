"""dvc.yaml lists, for every stage, each module file the stage runs (else edits never rerun
it), and no other (else edits rerun it for nothing)."""

import re
import subprocess
import sys

import pytest
import yaml

from ..conftest import ROOT

# Package markers holding only a docstring (and a version string): no stage logic.
MARKERS = {"src/pwc/__init__.py", "src/pwc/data/__init__.py"}
PROBE = """
import importlib, sys, pathlib
importlib.import_module("pwc.stages.{stage}")
root = pathlib.Path.cwd()
for name, mod in sorted(sys.modules.items()):
    file = getattr(mod, "__file__", None) or ""
    if name == "pwc" or name.startswith("pwc."):
        print(pathlib.Path(file).resolve().relative_to(root))
"""


def stages():
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def _modules(deps: list[str]) -> set[str]:
    """A stage's deps with each folder under src/ read as every module below it (a package
    the stage runs whole is listed once: `src/pwc/features`)."""
    found = set()
    for dep in deps:
        folder = ROOT / dep
        if dep.startswith("src/") and folder.is_dir():
            found |= {p.relative_to(ROOT).as_posix() for p in folder.rglob("*.py")}
        else:
            found.add(dep)
    return found - MARKERS


def test_a_folder_dep_names_every_module_below_it():
    assert "src/pwc/features/neighbours/one.py" in _modules(["src/pwc/features"])
    assert _modules(["src/pwc/config.py", "data/x"]) == {"src/pwc/config.py", "data/x"}


def test_dvc_ignores_bytecode_in_folder_deps():
    """Python writes __pycache__ into src/ folders: inside a folder dep, its files would
    change the folder's hash with the interpreter (dvc.lock would move on another machine)."""
    ignored = (ROOT / ".dvcignore").read_text().split()
    assert "__pycache__/" in ignored


@pytest.mark.parametrize("stage", list(stages()))
def test_stage_deps_cover_every_imported_module(stage):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(stage=stage)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    imported = set(proc.stdout.split()) - MARKERS
    deps = _modules(stages()[stage]["deps"])
    assert f"src/pwc/stages/{stage}.py" in imported
    assert imported <= deps, f"add to dvc.yaml {stage}.deps: {sorted(imported - deps)}"
    # and nothing else: a listed module the stage never runs reruns it for nothing
    # (files a stage reads, not imports, such as the meter's JavaScript, are not modules)
    stale = {d for d in deps if d.startswith("src/") and d.endswith(".py")} - imported
    assert not stale, f"remove from dvc.yaml {stage}.deps: {sorted(stale)}"


def test_stage_commands_match_stage_modules():
    # PYTHONPATH=src: the checkout's own code. `pip install -e .` puts the main working
    # tree's src on the path too, and a queued experiment runs in a copy of the repository:
    # without it, every experiment would run the main tree's code, not its own.
    # (other environment settings may come first, e.g. train's malloc arenas)
    for name, stage in stages().items():
        assert re.fullmatch(
            rf"([A-Z_]+=\S+ )*PYTHONPATH=src python -m pwc\.stages\.{name}", stage["cmd"]
        )


def test_evaluate_writes_where_the_code_reads(params):
    """dvc.yaml's evaluate outputs are the files pwc.config.Paths names (dvclive's layout)."""
    stage = stages()["evaluate"]

    def resolved(entry) -> str:
        (path,) = entry
        return path.replace("${paths.evaluate_dir}", params.paths.evaluate_dir.as_posix())

    assert [resolved(m) for m in stage["metrics"]] == [params.paths.evaluate_metrics.as_posix()]
    assert [resolved(o) for o in stage["outs"]] == [
        (params.paths.evaluate_dir / "plots").as_posix()
    ]
