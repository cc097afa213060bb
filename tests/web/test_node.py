"""The bundle in Node: bit-for-bit the Python reference, the CLI's JSON byte for byte, the
API's input rules, and an npm package a web team can install and type-check."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pwc.meter import bundle
from tests.web.conftest import EDGES, NODE_BIN, NODE_ENV, REFUSED, WEB, node, records_equal


def _node_scores(folder, passwords: list) -> list[dict]:
    proc = node("score_all.mjs", str(folder), stdin=json.dumps(passwords).encode())
    return json.loads(proc.stdout)


def test_node_answers_the_python_reference_bit_for_bit(meter_dir, heldout):
    passwords = heldout + EDGES
    assert len(heldout) >= 10_000
    js = _node_scores(meter_dir, passwords)
    py = bundle.read(meter_dir).score(passwords)
    assert records_equal(js, py) == []
    # not all one answer: the comparison covers the model's range
    assert len(set(py["guesses_log10"].tolist())) > 1000
    assert set(py["score"].tolist()) >= {1, 2, 3}


def test_the_api_rules_in_node_and_in_the_reference(meter_dir):
    js = _node_scores(meter_dir, [*REFUSED, "x" * 128])
    assert [r.get("error") for r in js] == ["RangeError"] * len(REFUSED) + [None]
    meter = bundle.read(meter_dir)
    for password in REFUSED:
        with pytest.raises(ValueError):
            meter.check([password])
    meter.check(["x" * 128, "\U0001f600" * 128])


@pytest.mark.parametrize("value", ["1", "null", "undefined", "{}", "['a']", "true", "1n"])
def test_a_non_string_is_a_type_error(meter_dir, value):
    script = (
        f"const m = await import({json.dumps((meter_dir / 'meter.js').as_uri())});"
        f"try {{ m.score({value}); console.log('scored'); }}"
        "catch (e) { console.log(e.constructor.name); }"
    )
    out = node("--input-type=module", "-e", script).stdout.decode().strip()
    assert out == "TypeError"


def _python_cli(folder, stdin: bytes) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pwc.cli", "score", "--json", "--meter", str(folder)]
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=120)


def test_the_node_cli_prints_what_the_python_cli_prints(meter_dir, heldout):
    lines = [*heldout[:500], "", "caf\u00e9", "\U0001f600" * 3, "e\u0301", "x" * 128]
    stdin = ("\n".join(lines) + "\r\n" + "last-without-newline").encode()
    js = node(str(meter_dir / "cli.js"), stdin=stdin)
    py = _python_cli(meter_dir, stdin)
    assert py.returncode == 0, py.stderr
    assert js.stdout == py.stdout
    assert json.loads(js.stdout)["model_version"] == bundle.read(meter_dir).version
    empty = node(str(meter_dir / "cli.js"), stdin=b"")
    assert empty.stdout == _python_cli(meter_dir, b"").stdout


@pytest.mark.parametrize(
    "stdin", [b"ok\n\xff\xfe\n", ("x" * 129 + "\n").encode(), b"a\n" + "\U0001f600".encode() * 129]
)
def test_the_node_cli_refuses_what_the_python_cli_refuses(meter_dir, stdin):
    js = node(str(meter_dir / "cli.js"), stdin=stdin, check=False)
    py = _python_cli(meter_dir, stdin)
    assert js.returncode == py.returncode == 1
    assert js.stdout == b""
    assert js.stderr == py.stderr
    assert b"x" * 20 not in js.stderr  # the password is never printed


def test_npm_installs_the_bundle_and_its_types_check(meter_dir, tmp_path):
    packed = subprocess.run(
        ["npm", "pack", str(meter_dir), "--pack-destination", str(tmp_path), "--json"],
        capture_output=True,
        check=True,
        cwd=tmp_path,
        env=NODE_ENV,
    )
    tarball = tmp_path / json.loads(packed.stdout)[0]["filename"]
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "app", "private": true, "type": "module"}')
    subprocess.run(
        ["npm", "install", "--offline", "--no-audit", "--no-fund", str(tarball)],
        cwd=app,
        check=True,
        capture_output=True,
        env=NODE_ENV,
    )
    (app / "use.mjs").write_text(
        'import { score, version } from "password-complexity-meter";\n'
        'console.log(JSON.stringify({ r: score("hunter2"), version }));\n'
    )
    out = json.loads(node("use.mjs", cwd=app).stdout)
    assert out["version"] == bundle.read(meter_dir).version
    assert (
        out["r"]["guesses_log10"] == bundle.read(meter_dir).score(["hunter2"])["guesses_log10"][0]
    )
    # the command-line scorer npm links from package.json's bin
    cli = subprocess.run(
        [app / "node_modules/.bin/password-complexity-meter"],
        input=b"hunter2\n",
        capture_output=True,
        check=True,
        env=NODE_ENV,
    )
    assert json.loads(cli.stdout)["results"][0]["guesses_log10"] == out["r"]["guesses_log10"]
    # the declarations: a strict TypeScript program using the API compiles, a misuse does not
    good = (
        'import { score } from "password-complexity-meter";\nconst s: number = score("x").score;\n'
    )
    bad = 'import { score } from "password-complexity-meter";\nscore(42);\n'
    tsc = WEB / "node_modules/typescript/bin/tsc"
    options = ["--strict", "--noEmit", "--module", "nodenext", "--moduleResolution", "nodenext"]
    for name, text, ok in (("good.ts", good, True), ("bad.ts", bad, False)):
        (app / name).write_text(text)
        proc = subprocess.run(
            [NODE_BIN / "node", tsc, *options, name], cwd=app, capture_output=True
        )
        assert (proc.returncode == 0) == ok, proc.stdout.decode()
