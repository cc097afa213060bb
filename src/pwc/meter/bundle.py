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
STATIC += ("advice.js", "advice.d.ts", "zxcvbn.js")
MODEL_JS = "model.js"
# advice.js's data, from the Python modules that answer the API's detail (one source)
ADVICE_DATA_JS = "advice-data.js"
# the larger model a page may import after its first score (meter.js: loadExtended)
EXTENDED_JS = "model-extended.js"
MODELS = {"core": MODEL_JS, "extended": EXTENDED_JS}
# what a page loads before its first score: the scorer and its model
CORE = ("meter.js", MODEL_JS)
# what advice.js loads beyond the core
ADVICE = ("advice.js", "zxcvbn.js", ADVICE_DATA_JS)
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
        "exports": {
            ".": {"types": "./index.d.ts", "default": "./meter.js"},
            "./advice": {"types": "./advice.d.ts", "default": "./advice.js"},
        },
        "bin": {PACKAGE: "./cli.js"},
        "files": [*STATIC, MODEL_JS, EXTENDED_JS, ADVICE_DATA_JS],
        "sideEffects": False,
        "engines": {"node": ">=20"},
        "license": "MIT",
        "passwordComplexity": {"model": version},
    }
    return json.dumps(meta, indent=2) + "\n"


def model_js(meter: Meter) -> str:
    data = base64.b64encode(meter.to_bytes()).decode("ascii")
    return f'export const version = "{meter.version}";\nexport default "{data}";\n'


def write(meters: dict[str, Meter], out: Path, advice_data: str) -> None:
    """Every file of the bundle into the (empty, temporary) directory `out`: the core model,
    and the extended one when `meters` has it (else model-extended.js repeats the core, so
    loadExtended always finds a model); `advice_data` is advice-data.js
    (pwc.meter.advice.data_js: evaluate and compare read bundles without importing it)."""
    for name in STATIC:
        (out / name).write_bytes((JS_DIR / name).read_bytes())
    for kind, file in MODELS.items():
        meter = meters.get(kind, meters["core"])
        (out / file).write_text(model_js(meter), encoding="ascii")
    (out / ADVICE_DATA_JS).write_text(advice_data, encoding="ascii")
    (out / "package.json").write_text(package_json(meters["core"].version), encoding="utf-8")


def read(folder: str | Path, kind: str = "core") -> Meter:
    """The Python reference of a model of the bundle in `folder`: "core" (model.js, what
    `score` answers from the start) or "extended" (model-extended.js, after loadExtended)."""
    path = Path(folder) / MODELS[kind]
    match = _MODEL_LINE.search(path.read_text(encoding="ascii"))
    if match is None:
        raise ValueError(f'{path}: no model (export default "...") in it')
    return Meter.from_bytes(base64.b64decode(match.group(1)))


class MeterScorer:
    """A bundle's model as the CLI's and the full answer's scorer (`score --meter`): what
    meter.js and advice.js answer, user inputs capped in the meter's steps."""

    caps_user_inputs = True

    def __init__(self, meter: Meter):
        self.meter = meter
        self.version = meter.version
        self.thresholds = meter.thresholds

    def __call__(self, passwords, user_input_guesses=None) -> dict:
        return self.meter.score(passwords, user_input_guesses)


def scorer(folder: str | Path, kind: str = "core") -> MeterScorer:
    """The scorer of a model of the bundle in `folder` (see `read`)."""
    return MeterScorer(read(folder, kind))


def _gzip(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 9, mtime=0))


def sizes(folder: str | Path) -> dict[str, int]:
    """Bytes of the core (what a page loads to score), of the extended model and of the
    advice (feedback, user inputs: advice.js and what it imports beyond the core), as written
    and gzip -9."""
    folder = Path(folder)
    return {
        "advice_bytes": sum((folder / n).stat().st_size for n in ADVICE),
        "advice_gzip_bytes": sum(_gzip(folder / n) for n in ADVICE),
        "core_bytes": sum((folder / n).stat().st_size for n in CORE),
        "core_gzip_bytes": sum(_gzip(folder / n) for n in CORE),
        "extended_bytes": (folder / EXTENDED_JS).stat().st_size,
        "extended_gzip_bytes": _gzip(folder / EXTENDED_JS),
    }
