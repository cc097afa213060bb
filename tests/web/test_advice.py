"""advice.js, the full answer in the page: the same answer as the Python reference
(`score --json --meter --detail --user-inputs`, pwc.answer over the bundle's model) on the
same passwords and user inputs, bad ones included; zxcvbn.js is the pinned package, built."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from pwc.answer import full
from pwc.answer.explain import MAX_USER_INPUT_LENGTH, MAX_USER_INPUTS
from pwc.meter import bundle
from tests.project import ROOT
from tests.web.conftest import EDGES, NODE_BIN, REFUSED, WEB, node

CASES = [json.loads(line) for line in (ROOT / "tests/golden/feedback_cases.jsonl").open()]
# strings the JavaScript matcher would read otherwise: object-prototype names, characters
# outside the BMP (two UTF-16 units: zxcvbn JS counts units), Greek capitals
ODD = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf1990"]
ODD += [
    "\U0001f600" * 20,
    "a\U0001f600b\U0001f600c",
    "password\U0001f600123",
    "\U0001f600\U0001f601\U0001f602\U0001f603",
]
ODD += ["qwerty\U0001f600asdf", "\ue000\U0001f600\ue001", "\u03a3\u0391\u03a3", "P\u0101ssword"]
ODD_INPUTS = ["constructor", "\U0001f600x", "M\u00fcller", "\ue003"]


def _advise(folder, requests: list[dict], kind: str = "core") -> list[dict]:
    flags = ["--extended"] if kind == "extended" else []
    proc = node("advise_all.mjs", str(folder), *flags, stdin=json.dumps(requests).encode())
    # every number as a float, as Python's JSON reads the reference's
    return json.loads(proc.stdout, parse_int=float)


def _reference(folder, requests: list[dict], kind: str = "core") -> list[dict]:
    """The Python reference's answers, one call per distinct set of user inputs."""
    scorer = bundle.scorer(folder, kind)
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(requests):
        groups.setdefault(tuple(r.get("userInputs", [])), []).append(i)
    out: list[dict] = [{} for _ in requests]
    for inputs, rows in groups.items():
        passwords = [requests[i]["password"] for i in rows]
        body, _ = full.response(scorer, passwords, list(inputs), detail=True)
        for i, answer in zip(rows, json.loads(body, parse_int=float)["results"], strict=True):
            out[i] = answer
    return out


def _differences(js: list[dict], py: list[dict]) -> list[int]:
    """Rows whose answers differ: every field exactly, but a span's guesses_log10, which
    zxcvbn takes as log(x) / log(10) and libm and V8 may round in the last bit."""
    bad = []
    for i, (a, b) in enumerate(zip(js, py, strict=True)):
        spans_a, spans_b = a.get("sequence", []), b.get("sequence", [])
        same = {k: v for k, v in a.items() if k != "sequence"} == {
            k: v for k, v in b.items() if k != "sequence"
        }
        same &= len(spans_a) == len(spans_b) and all(
            {**x, "guesses_log10": 0} == {**y, "guesses_log10": 0}
            and math.isclose(x["guesses_log10"], y["guesses_log10"], rel_tol=1e-12, abs_tol=1e-12)
            for x, y in zip(spans_a, spans_b, strict=True)
        )
        if not same:
            bad.append(i)
    return bad


def _requests(heldout: list[str]) -> list[dict]:
    labelled = [{"password": c["password"], "userInputs": c["user_inputs"]} for c in CASES]
    plain = [{"password": p} for p in heldout[:1500] + EDGES + ODD]
    people = ["alice", "alice.smith@example.com", "examplebank"]
    built = [{"password": p, "userInputs": people} for p in heldout[1500:2000]]
    built += [{"password": p, "userInputs": ODD_INPUTS} for p in [*ODD, "constructor1", "muller99"]]
    built += [{"password": p, "userInputs": ["smith"]} for p in ["$m1th", "htims", "smithsmith"]]
    return labelled + plain + built


@pytest.mark.parametrize("kind", ["core", "extended"])
def test_advice_answers_what_the_python_reference_answers(meter_dir, heldout, kind):
    requests = _requests(heldout)
    js = _advise(meter_dir, requests, kind)
    py = _reference(meter_dir, requests, kind)
    assert _differences(js, py) == []
    # the comparison covers what matters: every source, warnings and user inputs
    assert {r["source"] for r in py} == {"model", "brute_force", "user_input"}
    warnings = {r["feedback"]["warning"]["code"] for r in py if r["feedback"]["warning"]}
    assert len(warnings) >= 12
    kinds = {s["kind"] for r in py for s in r["sequence"]}
    assert kinds >= {"word", "name", "l33t", "user_input", "keyboard_walk", "repeat"}
    assert kinds >= {"sequence", "date", "other"}


def test_the_labelled_set_gets_its_codes_in_the_page(meter_dir):
    """The browser's feedback on the labelled set: each constructed password's expected code
    (the API's goal, #32) where the meter's record lets a warning show (score <= 2)."""
    cases = CASES
    js = _advise(
        meter_dir, [{"password": c["password"], "userInputs": c["user_inputs"]} for c in cases]
    )
    hits = 0
    for case, answer in zip(cases, js, strict=True):
        warning = answer["feedback"]["warning"]
        codes = {warning["code"]} if warning else set()
        codes |= {s["code"] for s in answer["feedback"]["suggestions"]}
        hits += bool(codes & set(case["expected"])) if case["expected"] else not warning
    assert hits / len(cases) >= 0.9


def test_advice_refuses_what_the_api_refuses(meter_dir):
    long_input = "x" * (MAX_USER_INPUT_LENGTH + 1)
    bad_inputs = [["a"] * (MAX_USER_INPUTS + 1), [long_input], ["ok", 7], ["\ud800"], "alice"]
    requests = [{"password": p} for p in REFUSED]
    requests += [{"password": "hunter2", "userInputs": u} for u in bad_inputs]
    requests += [{"password": "hunter2", "lang": "xx"}, {"password": 42}]
    js = _advise(meter_dir, requests)
    errors = [r.get("error") for r in js]
    assert errors == ["RangeError"] * (len(REFUSED) + 2) + ["TypeError", "RangeError"] + [
        "TypeError",
        "RangeError",
        "TypeError",
    ]
    # the same user inputs are refused by the API's check, with the same message
    for inputs, answer in zip(bad_inputs[:3], js[len(REFUSED) :], strict=False):
        with pytest.raises(ValueError) as err:
            full.check_user_inputs(inputs)
        assert str(err.value) == answer["message"]
    assert all("hunter2" not in r.get("message", "") for r in js)  # never echoed
    at_bounds = [{"password": "x", "userInputs": ["y" * MAX_USER_INPUT_LENGTH] * MAX_USER_INPUTS}]
    assert "error" not in _advise(meter_dir, at_bounds)[0]


def test_a_date_is_read_the_same_whatever_the_clock_says(meter_dir):
    """zxcvbn JS dates years from the clock: advice.js pins the Python package's year."""
    requests = [{"password": p} for p in ["1987", "19871102", "julia2016", "02.11.1987"]]
    now = _advise(meter_dir, requests)
    script = (
        "const Real = Date; globalThis.Date = class extends Real {"
        " getFullYear() { return 2061; } };"
        f"const a = await import({json.dumps((meter_dir / 'advice.js').as_uri())});"
        f"console.log(JSON.stringify({json.dumps(requests)}.map((r) => a.advise(r.password))));"
    )
    later = json.loads(node("--input-type=module", "-e", script).stdout, parse_int=float)
    assert later == now
    assert _differences(now, _reference(meter_dir, requests)) == []


def test_zxcvbn_js_is_the_pinned_package_built(tmp_path):
    """src/pwc/meter/js/zxcvbn.js is what build_zxcvbn.mjs makes of tests/web's pinned
    zxcvbn (`make vendor`): nobody edited it, and the pin and the file agree."""
    out = tmp_path / "zxcvbn.js"
    subprocess.run([NODE_BIN / "node", WEB / "build_zxcvbn.mjs", out], cwd=WEB, check=True)
    assert out.read_bytes() == (ROOT / "src/pwc/meter/js/zxcvbn.js").read_bytes()
    pinned = json.loads((WEB / "package.json").read_text())["devDependencies"]["zxcvbn"]
    assert f"// zxcvbn {pinned} " in out.read_text()


def test_the_reference_caps_at_the_user_input_count_in_the_meters_steps(meter_dir):
    meter = bundle.read(meter_dir)
    passwords = ["alice1990", "correcthorsebattery", "x"]
    free = meter.score(passwords)
    counts = [1000.0, math.inf, 1000.0]  # "x" is capped by brute force (100) first
    capped = meter.score(passwords, counts)
    assert capped["source"].tolist() == ["user_input", free["source"][1], "brute_force"]
    assert (
        capped["guesses"][0] <= 1000.0 < meter.guesses(round(capped["guesses_log10"][0] * 4096) + 1)
    )
    assert capped["guesses_log10"][1] == free["guesses_log10"][1]
    assert capped["guesses"][2] == free["guesses"][2]


def test_the_python_cli_answers_with_the_meter_what_advice_answers(meter_dir, tmp_path):
    (tmp_path / "inputs.txt").write_text("Alice\nexamplebank\n")
    passwords = ["alice1990", "Examplebank2024!", "correcthorse", "7"]
    cmd = [sys.executable, "-m", "pwc.cli", "score", "--json", "--meter", str(meter_dir)]
    cmd += ["--detail", "--user-inputs", str(tmp_path / "inputs.txt")]
    proc = subprocess.run(cmd, input="\n".join(passwords).encode(), capture_output=True)
    assert proc.returncode == 0, proc.stderr
    py = json.loads(proc.stdout, parse_int=float)["results"]
    js = _advise(
        meter_dir, [{"password": p, "userInputs": ["Alice", "examplebank"]} for p in passwords]
    )
    assert _differences(js, py) == []
    assert [r["source"] for r in py][:2] == ["user_input", "user_input"]


def test_the_meter_report_counts_what_advice_loads(meter_dir):
    sizes = bundle.sizes(meter_dir)
    files = [meter_dir / n for n in ("advice.js", "zxcvbn.js", "advice-data.js")]
    assert sizes["advice_bytes"] == sum(f.stat().st_size for f in files)
    assert 0 < sizes["advice_gzip_bytes"] < sizes["advice_bytes"]
    # advice.js imports nothing else (the core's meter.js aside)
    imports = {
        line.split('"')[1]
        for f in files
        for line in f.read_text().splitlines()
        if line.startswith("import ")
    }
    assert imports == {"./meter.js", "./zxcvbn.js", "./advice-data.js"}
