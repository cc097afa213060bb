"""The bundle in Node: bit-for-bit the Python reference, the CLI's JSON byte for byte, the
API's input rules, and an npm package a web team can install and type-check."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from pwc.answer.bound import CLASSES, passwords_bound_log10
from pwc.meter import bundle
from pwc.meter.model import brute_force_count
from tests.project import ROOT
from tests.web.conftest import EDGES, NODE_BIN, NODE_ENV, REFUSED, WEB, node, records_equal


def _node_scores(folder, passwords: list, kind: str = "core") -> list[dict]:
    flags = ["--extended"] if kind == "extended" else []
    proc = node("score_all.mjs", str(folder), *flags, stdin=json.dumps(passwords).encode())
    return json.loads(proc.stdout)


@pytest.mark.parametrize("kind", ["core", "extended"])
def test_node_answers_the_python_reference_bit_for_bit(meter_dir, heldout, kind):
    passwords = heldout + EDGES
    assert len(heldout) >= 10_000
    js = _node_scores(meter_dir, passwords, kind)
    py = bundle.read(meter_dir, kind).score(passwords)
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


def _python_cli(folder, stdin: bytes, *flags: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pwc.cli", "score", "--json", "--meter", str(folder), *flags]
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=120)


@pytest.mark.parametrize("kind", ["core", "extended"])
def test_the_node_cli_prints_what_the_python_cli_prints(meter_dir, heldout, kind):
    lines = [*heldout[:500], "", "caf\u00e9", "\U0001f600" * 3, "e\u0301", "x" * 128]
    stdin = ("\n".join(lines) + "\r\n" + "last-without-newline").encode()
    flags = ["--extended"] if kind == "extended" else []
    js = node(str(meter_dir / "cli.js"), *flags, stdin=stdin)
    py = _python_cli(meter_dir, stdin, *flags)
    assert py.returncode == 0, py.stderr
    assert js.stdout == py.stdout
    assert json.loads(js.stdout)["model_version"] == bundle.read(meter_dir, kind).version
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


def test_the_extended_model_is_another_model(meter_dir, heldout):
    core, extended = (bundle.read(meter_dir, kind) for kind in ("core", "extended"))
    assert core.version != extended.version
    assert sum(k.size for k in extended.tables.keys) > sum(k.size for k in core.tables.keys)
    differ = core.score(heldout)["guesses_log10"] != extended.score(heldout)["guesses_log10"]
    assert differ.mean() > 0.5


def test_the_cli_flags_are_checked(meter_dir):
    wrong = node(str(meter_dir / "cli.js"), "--extnded", stdin=b"a\n", check=False)
    assert wrong.returncode == 2 and b"usage" in wrong.stderr
    alone = subprocess.run(
        [sys.executable, "-m", "pwc.cli", "score", "--json", "--extended"],
        input=b"a\n",
        capture_output=True,
    )
    assert alone.returncode == 1 and b"use it with --meter" in alone.stderr


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
    (app / "advise.mjs").write_text(
        'import { advise } from "password-complexity-meter/advice";\n'
        'console.log(JSON.stringify(advise("alice1990", { userInputs: ["Alice"] })));\n'
    )
    advised = json.loads(node("advise.mjs", cwd=app).stdout)
    assert advised["feedback"]["warning"]["code"] == "warning.user_input"
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
        'import { advise } from "password-complexity-meter/advice";\n'
        'const a = advise("x", { userInputs: ["alice"], lang: "en" });\n'
        "const w: string | undefined = a.feedback.warning?.code;\n"
        "const k: string = a.crack_times_display.online_no_throttling_10_per_second;\n"
    )
    bad = 'import { score } from "password-complexity-meter";\nscore(42);\n'
    bad_advice = (
        'import { advise } from "password-complexity-meter/advice";\n'
        'advise("x", { userInputs: "alice" });\n'
    )
    tsc = WEB / "node_modules/typescript/bin/tsc"
    options = ["--strict", "--noEmit", "--module", "nodenext", "--moduleResolution", "nodenext"]
    cases = (("good.ts", good, True), ("bad.ts", bad, False), ("bad2.ts", bad_advice, False))
    for name, text, ok in cases:
        (app / name).write_text(text)
        proc = subprocess.run(
            [NODE_BIN / "node", tsc, *options, name], cwd=app, capture_output=True
        )
        assert (proc.returncode == 0) == ok, proc.stdout.decode()


def test_no_short_string_scores_above_brute_force_in_node_or_the_reference(meter_dir):
    """The 9,120 printable-ASCII strings of 1-2 characters: Node and the Python reference
    give the same records, and none above every string of its length and classes."""
    printable = [chr(c) for c in range(0x20, 0x7F)]
    short = printable + [a + b for a in printable for b in printable]
    js = _node_scores(meter_dir, short)
    py = bundle.read(meter_dir).score(short)
    assert records_equal(js, py) == []
    assert (py["guesses"] <= brute_force_count(short)).all()
    assert (py["guesses_log10"] <= passwords_bound_log10(short) + 1e-12).all()
    assert "brute_force" in set(py["source"].tolist())
    assert py["guesses_log10"][printable.index("7")] <= 1.0


def test_the_bundle_counts_classes_as_the_server_does():
    text = (ROOT / "src/pwc/meter/js/meter.js").read_text()
    sizes = {name: size for name, (_, size) in CLASSES.items()}
    listed = text.split("export const CLASS_SIZES = ", 1)[1].split(";", 1)[0]
    assert json.loads(re.sub(r"(\w+):", r'"\1":', listed)) == sizes
