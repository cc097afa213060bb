"""The package's shape: small modules, no import cycles, the ML core independent of the
tools around it, and a README layout that names every module (the map a new engineer
reads to find the one file to touch)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ..conftest import ROOT

SRC = ROOT / "src"
MODULES = sorted(p for p in (SRC / "pwc").rglob("*.py"))
# Layers around the core: nothing in the core may import them.
OUTER = ("pwc.ops", "pwc.serve", "pwc.stages", "pwc.cli", "pwc.batch.distributed")


def _name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """pwc modules imported by a file (at any depth: lazy imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pwc")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pwc"):
            names = {f"{node.module}.{a.name}" for a in node.names}
            known = {_name(p) for p in MODULES}
            found |= {n for n in names if n in known} or {node.module}
    return found


GRAPH = {_name(p): _imports(p) - {_name(p)} for p in MODULES}


def test_no_module_over_300_lines():
    long = {_name(p): n for p in MODULES if (n := len(p.read_text().splitlines())) > 300}
    assert not long, long


def test_no_function_over_60_lines():
    long = {}
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if function and (n := node.end_lineno - node.lineno + 1) > 60:
                long[f"{_name(path)}.{node.name}"] = n
    assert not long, long


def test_the_top_level_holds_at_most_12_modules_beside_its_packages():
    """A flat top level hides where a change goes: families of modules live in packages
    (features, counting, model, evaluation, batch, ...)."""
    top = sorted(p.name for p in (SRC / "pwc").glob("*.py"))
    assert len(top) <= 12, top


def test_no_import_cycles():
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(GRAPH.get(node, ())):
            if state.get(dep) == 1:
                raise AssertionError(" -> ".join([*trail, node, dep]))
            if dep not in state:
                visit(dep, [*trail, node])
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [])


def test_the_core_does_not_import_the_layers_around_it():
    core = [m for m in GRAPH if not m.startswith(OUTER) and m != "pwc"]
    upward = {m: sorted(d for d in GRAPH[m] if d.startswith(OUTER)) for m in core}
    assert not {m: d for m, d in upward.items() if d}


def _layout_paths() -> set[str]:
    """Files named in the README's layout block, `{a,b}` groups expanded."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Layout", 1)[1].split("```")[1]
    paths = set()
    for token in re.findall(r"\S+", block):
        match = re.fullmatch(r"(.*)\{([^}]*)\}(.*)", token)
        variants = [match[1] + v + match[3] for v in match[2].split(",")] if match else [token]
        paths |= {v.rstrip("/") for v in variants}
    return paths


def test_the_readme_layout_names_every_module_and_folder():
    named = _layout_paths()
    missing = []
    for path in MODULES:
        rel = path.relative_to(ROOT).as_posix()
        if path.name == "__init__.py" and path.parent.name != "stages":
            continue
        folder = path.parent.relative_to(ROOT).as_posix()
        if rel not in named and not (path.parent.name == "stages" and folder in named):
            missing.append(rel)
    assert not missing, f"add to the README's layout: {missing}"
    tests = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").iterdir() if p.is_dir()}
    tests -= {"tests/__pycache__"}
    assert tests <= named, f"add to the README's layout: {sorted(tests - named)}"


def test_the_heavy_first_order_names_existing_test_files():
    from tests.conftest import HEAVY_FIRST

    missing = [name for name in HEAVY_FIRST if not (ROOT / "tests" / name).is_file()]
    assert not missing, f"renamed or removed: update tests/conftest.py HEAVY_FIRST: {missing}"
    assert len(set(HEAVY_FIRST)) == len(HEAVY_FIRST)
