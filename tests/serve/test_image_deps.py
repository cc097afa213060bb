"""The image installs requirements-serve.txt only: every third-party package the server's
code imports (following pwc's own imports from the app and the CLI) must be in it."""

import ast
import importlib.metadata as md
import re
import sys

from ..conftest import ROOT

ENTRY = ["pwc.serve.app", "pwc.cli", "pwc.batch.predict"]
# imported lazily inside commands the image never runs (batch scoring on a Dask cluster)
NOT_IN_IMAGE = {"pwc.batch.distributed"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _source(module: str):
    path = ROOT / "src" / (module.replace(".", "/") + ".py")
    return path if path.exists() else ROOT / "src" / module.replace(".", "/") / "__init__.py"


def third_party_imports() -> set[str]:
    seen, todo, found = set(), list(ENTRY), set()
    while todo:
        module = todo.pop()
        if module in seen or module in NOT_IN_IMAGE:
            continue
        seen.add(module)
        for node in ast.walk(ast.parse(_source(module).read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if name.startswith("pwc."):
                    if _source(name).exists():
                        todo.append(name)
                elif name.split(".")[0] not in {*sys.stdlib_module_names, "pwc"}:
                    found.add(name.split(".")[0])
    return found


def test_everything_the_server_imports_is_in_the_image_requirements():
    pinned = {
        _norm(line.split("==")[0])
        for line in (ROOT / "requirements-serve.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    dists = md.packages_distributions()
    needed = {_norm(d) for top in third_party_imports() for d in dists.get(top, [top])}
    assert {"fastapi", "scikit-learn", "psutil"} <= needed  # the walk reaches io.py and model.py
    assert needed <= pinned, f"add to requirements-serve.in: {sorted(needed - pinned)}"
