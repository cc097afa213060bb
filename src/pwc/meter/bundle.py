"""The browser meter's bundle: an npm package folder with the ES module, its model as a
module of its own, TypeScript declarations, a command-line scorer and a demo page.

model.js holds the model file (pwc.meter.model) as base64 text, so the bundle is plain ES
modules that load in a page, in Node and in bundlers alike, with nothing to fetch.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

from pwc.meter.model import Meter

JS_DIR = Path(__file__).parent / "js"
STATIC = ("meter.js", "cli.js", "index.d.ts", "README.md", "demo.html")
MODEL_JS = "model.js"
# what a page loads before its first score: the scorer and its model
CORE = ("meter.js", MODEL_JS)
PACKAGE = "password-complexity-meter"
_MODEL_LINE = re.compile(r'^export default "([A-Za-z0-9+/=]*)";$', re.M)


def package_json(version: str) -> str:
    meta = {
        "name": PACKAGE,
        "version": "1.0.0",
        "description": "How guessable is a password, estimated in the page (no server)",
        "type": "module",
        "main": "./meter.js",
        "types": "./index.d.ts",
        "exports": {".": {"types": "./index.d.ts", "default": "./meter.js"}},
        "bin": {PACKAGE: "./cli.js"},
        "files": [*STATIC, MODEL_JS],
        "sideEffects": False,
        "engines": {"node": ">=20"},
        "license": "MIT",
        "passwordComplexity": {"model": version},
    }
    return json.dumps(meta, indent=2) + "\n"


def model_js(meter: Meter) -> str:
    data = base64.b64encode(meter.to_bytes()).decode("ascii")
    return f'export const version = "{meter.version}";\nexport default "{data}";\n'


def write(meter: Meter, out: Path) -> None:
    """Every file of the bundle into the (empty, temporary) directory `out`."""
    for name in STATIC:
        (out / name).write_bytes((JS_DIR / name).read_bytes())
    (out / MODEL_JS).write_text(model_js(meter), encoding="ascii")
    (out / "package.json").write_text(package_json(meter.version), encoding="utf-8")


def read(folder: str | Path) -> Meter:
    """The Python reference of the bundle in `folder` (its model.js)."""
    path = Path(folder) / MODEL_JS
    match = _MODEL_LINE.search(path.read_text(encoding="ascii"))
    if match is None:
        raise ValueError(f'{path}: no model (export default "...") in it')
    return Meter.from_bytes(base64.b64decode(match.group(1)))


def sizes(folder: str | Path) -> dict[str, int]:
    """Bytes of the core (what a page loads to score) as written and gzip -9."""
    raw = b"".join((Path(folder) / name).read_bytes() for name in CORE)
    gz = sum(len(gzip.compress((Path(folder) / n).read_bytes(), 9, mtime=0)) for n in CORE)
    return {"core_bytes": len(raw), "core_gzip_bytes": gz}
