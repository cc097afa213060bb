"""Writes tests/golden/feedback_cases.jsonl: the labelled set of constructed passwords the
feedback is checked against (issue #32's goal: the expected code for >= 95%). Seeded: the
same file on every run. Each line: the password, how it was built (`label`), the codes any
of which is expected, and the user inputs passed with it.

    python benchmarks/feedback_cases.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from zxcvbn import matching

OUT = Path(__file__).resolve().parents[1] / "tests/golden/feedback_cases.jsonl"
PER_LABEL = 25
_D = matching.RANKED_DICTIONARIES


def _ranked(name: str, low: int, high: int, min_len: int = 5) -> list[str]:
    words = sorted(_D[name].items(), key=lambda item: item[1])[low:high]
    return [w for w, _ in words if len(w) >= min_len and w.isalpha()]


def _l33t(word: str) -> str:
    return word.translate(str.maketrans({"a": "@", "e": "3", "o": "0", "i": "1", "s": "$"}))


ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "!@#$%^&*()", "QWERTYUIOP", "ASDFGHJKL"]


def _walk(rng: random.Random) -> str:
    """A straight run along a keyboard row (either way), 6 keys or more."""
    row = rng.choice(ROWS)
    n = rng.randint(6, len(row))
    start = rng.randint(0, len(row) - n)
    walk = row[start : start + n]
    return walk[::-1] if rng.random() < 0.5 else walk


def build(rng: random.Random) -> list[dict]:
    words = _ranked("english_wikipedia", 300, 4000, 6)
    names = _ranked("male_names", 20, 400, 5) + _ranked("female_names", 20, 400, 5)
    people = ["alice", "robert", "maria", "kowalski", "jennifer", "ngozi", "tanaka", "olivia"]
    sites = ["examplebank", "shopright", "mailhub", "cloudnote"]
    cases = {
        "word": [(w, ["warning.word"]) for w in rng.sample(words, PER_LABEL)],
        "name_alone": [(n, ["warning.name_alone"]) for n in rng.sample(names, PER_LABEL)],
        "names": [
            (f"{n}{rng.randint(10, 99)}", ["warning.names"]) for n in rng.sample(names, PER_LABEL)
        ],
        "l33t": [
            (_l33t(w), ["suggestion.l33t"])
            for w in rng.sample([w for w in words if _l33t(w) != w], PER_LABEL)
        ],
        "capitalized": [
            (w.capitalize(), ["suggestion.capitalization"]) for w in rng.sample(words, PER_LABEL)
        ],
        "all_uppercase": [
            (w.upper(), ["suggestion.all_uppercase"]) for w in rng.sample(words, PER_LABEL)
        ],
        "reversed": [(w[::-1], ["suggestion.reversed"]) for w in rng.sample(words, PER_LABEL)],
        "keyboard_walk": [
            (_walk(rng), ["warning.straight_row", "warning.keyboard_pattern"])
            for _ in range(PER_LABEL)
        ],
        "repeat": [
            (rng.choice("abcxyz!9") * rng.randint(6, 10), ["warning.repeat_character"])
            for _ in range(PER_LABEL // 2)
        ]
        + [
            (rng.choice(words[:500])[:3] * 3, ["warning.repeat_pattern"])
            for _ in range(PER_LABEL - PER_LABEL // 2)
        ],
        "sequence": [
            (
                "abcdefghijklmnopqrstuvwxyz"[s : s + n]
                if rng.random() < 0.5
                else "9876543210"[s % 4 : s % 4 + min(n, 6)],
                ["warning.sequence"],
            )
            for s, n in ((rng.randint(0, 15), rng.randint(6, 9)) for _ in range(PER_LABEL))
        ],
        "date": [
            (
                f"{rng.randint(1, 28):02d}{sep}{rng.randint(1, 12):02d}{sep}"
                f"{rng.randint(1950, 2005)}",
                ["warning.date"],
            )
            for sep in ("/", "-", ".", "")
            for _ in range(PER_LABEL // 4 + 1)
        ][:PER_LABEL],
        "recent_year": [
            (f"{rng.randint(1990, 2019)}{rng.choice('!?') * 2}", ["warning.recent_year"])
            for _ in range(PER_LABEL)
        ],
    }
    rows = [
        {"password": p, "label": label, "expected": codes, "user_inputs": []}
        for label, pairs in cases.items()
        for p, codes in pairs
    ]
    variants = [
        lambda u: f"{u}{rng.randint(1, 9999)}",
        lambda u: u[::-1],
        lambda u: _l33t(u),
        lambda u: u.capitalize() + "!",
        lambda u: u.upper() + "1",
    ]
    for i in range(PER_LABEL * 2):
        person, site = rng.choice(people), rng.choice(sites)
        inputs = [person, f"{person}@mail.example", site]
        made = f"{site}{rng.randint(1990, 2026)}" if i % 6 == 5 else rng.choice(variants)(person)
        rows.append(
            {
                "password": made,
                "label": "user_input",
                "expected": ["warning.user_input"],
                "user_inputs": inputs,
            }
        )
    return rows


if __name__ == "__main__":
    rows = build(random.Random(32))
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{len(rows)} passwords in {len({r['label'] for r in rows})} labels -> {OUT}")
