"""A golden file of served answers: 1,000 fixed passwords (leaked ones the lookup answers,
held-out ones the model answers, edge cases) with the record `POST /v1/score` returns for
each, from the sample model the tests train (byte-reproducible on any machine). Any change in
what users get shows in a merge request's diff of tests/golden/served.jsonl; `make golden`
rewrites it after a change meant to move the answers (the diff is then the review)."""

from __future__ import annotations

import json
import os

from fastapi.testclient import TestClient

from pwc.serve.app import Settings, create_app
from tests.project import ROOT
from tests.web.conftest import EDGES

GOLDEN = ROOT / "tests" / "golden" / "served.jsonl"
WRITE = os.environ.get("PWC_GOLDEN_WRITE") == "1"  # `make golden`
TOTAL = 1000  # the edge cases, then leaked and held-out rows in halves
MORE_EDGES = [
    "123456",
    "a" * 40,
    "Tr0ub4dor&3",
    "correcthorsebatterystaple",
    " leading space",
    "trailing space ",
    "null",
    "NaN",
    "NA",
    "qwerty123",
    "1q2w3e4r",
    "19871231",
    "zzzzzzzz",
    "пароль",
    "密码123",
]


def golden_passwords(parts) -> list[tuple[str, str]]:
    """(kind, password): the edge cases, then the first distinct rows of the sample's train
    split (in the lookup) and of its test split (held out), in file order: TOTAL in all."""
    edges = list(dict.fromkeys(e for e in [*EDGES, *MORE_EDGES] if e and len(e) <= 128))
    rows = [("edge", e) for e in edges]
    held_out = (TOTAL - len(rows)) // 2
    for kind, name, size in (
        ("leaked", "train", TOTAL - len(rows) - held_out),
        ("held_out", "test", held_out),
    ):
        seen = [p for p in dict.fromkeys(parts[name]["password"].to_pylist()) if p not in edges]
        rows += [(kind, p) for p in seen[:size]]
    return rows


def served_records(served, passwords: list[str]) -> list[dict]:
    with TestClient(create_app(Settings(params=served))) as client:
        out = []
        for start in range(0, len(passwords), 500):
            got = client.post("/v1/score", json={"passwords": passwords[start : start + 500]})
            assert got.status_code == 200, got.text
            out += got.json()["results"]
    return out


def test_served_answers_match_the_golden_file(served, small_run):
    chosen = golden_passwords(small_run[1])
    records = served_records(served, [p for _, p in chosen])
    lines = [
        json.dumps({"kind": kind, "password": pw, "served": record}, ensure_ascii=False)
        for (kind, pw), record in zip(chosen, records, strict=True)
    ]
    text = "\n".join(lines) + "\n"
    if WRITE:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    count = len(lines)  # (not the lines themselves in a failure's message)
    assert count == TOTAL
    kinds = {kind for kind, _ in chosen}
    assert kinds == {"edge", "leaked", "held_out"}
    assert {r["source"] for r in records} >= {"leak", "model"}
    problem = difference(GOLDEN.read_text(encoding="utf-8").splitlines(), lines)
    assert problem is None, f"{problem}: review, then `make golden`"


def difference(committed: list[str], lines: list[str]) -> str | None:
    """What differs between the golden file's lines and the served ones (line numbers and
    counts only: a failure's message holds no password), or None."""
    changed = [i for i, (a, b) in enumerate(zip(committed, lines, strict=False)) if a != b]
    if len(committed) != len(lines):
        return f"{len(lines)} answers served, {len(committed)} in tests/golden/served.jsonl"
    if changed:
        first = changed[0] + 1
        return f"{len(changed)} served answers differ from the golden file (first: line {first})"
    return None


def test_a_moved_answer_or_a_missing_line_fails_the_golden_check():
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    assert difference(lines, list(lines)) is None
    moved = json.loads(lines[7])
    moved["served"]["guesses_log10"] += 1e-12  # the smallest change a user could get
    changed = [*lines[:7], json.dumps(moved, ensure_ascii=False), *lines[8:]]
    assert (
        difference(lines, changed) == "1 served answers differ from the golden file (first: line 8)"
    )
    assert difference(lines, lines[:-1]).startswith("999 answers served, 1000 in")
