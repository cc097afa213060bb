"""The full answer (pwc.answer): feedback codes on a labelled set, user inputs, crack times,
spans, message files, and zxcvbn's result shape compared with the zxcvbn package's own."""

from __future__ import annotations

import json
import random
import time

import numpy as np
import pytest
from zxcvbn import zxcvbn

from pwc import lookup as lookup_lib
from pwc.answer import crack_times, explain, full, messages
from pwc.scorer import Scorer
from tests.project import ROOT

CASES = [json.loads(line) for line in (ROOT / "tests/golden/feedback_cases.jsonl").open()]
T = (3.0, 6.0, 8.0, 10.0)


@pytest.fixture
def weak(monkeypatch):
    """A scorer whose model says 10^6 (score 2) for everything: feedback is due."""

    def predict_with_markov(model, passwords):
        return np.full(len(passwords), 6.0), None

    monkeypatch.setattr("pwc.scorer.model_lib.predict_with_markov", predict_with_markov)
    return Scorer(None, "v" * 64, T)


def _codes(result: dict) -> set[str]:
    fb = result["feedback"]
    return {s["code"] for s in fb["suggestions"]} | (
        {fb["warning"]["code"]} if fb["warning"] else set()
    )


def test_the_labelled_set_is_at_least_300_passwords_and_20_per_label():
    labels = [c["label"] for c in CASES]
    assert len(CASES) >= 300
    assert min(labels.count(label) for label in set(labels)) >= 20


def test_the_expected_code_comes_for_95_percent_of_each_label(weak):
    hits: dict[str, list[bool]] = {}
    for case in CASES:
        body, _ = full.response(weak, [case["password"]], case["user_inputs"], detail=True)
        (result,) = json.loads(body)["results"]
        hits.setdefault(case["label"], []).append(bool(_codes(result) & set(case["expected"])))
    rates = {label: sum(h) / len(h) for label, h in hits.items()}
    assert all(rate >= 0.95 for rate in rates.values()), rates


def test_no_warning_for_random_16_character_strings(weak):
    rng = random.Random(16)
    alphabet = [chr(c) for c in range(0x21, 0x7F)]
    words = ["".join(rng.choices(alphabet, k=16)) for _ in range(300)]
    body, _ = full.response(weak, words, detail=True)
    warned = sum(r["feedback"]["warning"] is not None for r in json.loads(body)["results"])
    assert warned <= 0.05 * len(words)


def test_a_strong_answer_gets_no_feedback(monkeypatch):
    monkeypatch.setattr(
        "pwc.scorer.model_lib.predict_with_markov", lambda m, p: (np.full(len(p), 12.0), None)
    )
    body, _ = full.response(Scorer(None, "v" * 64, T), ["monkey-Kettle-orbit-77"], detail=True)
    (result,) = json.loads(body)["results"]
    assert result["feedback"] == {"warning": None, "suggestions": []}


def test_leaked_and_short_passwords_say_why(weak):
    table = lookup_lib.build(["sunshine"], np.array([42.0]), None, "0123456789abcdef")
    scorer = Scorer(None, "v" * 64, T, table, "l" * 64)
    body, _ = full.response(scorer, ["sunshine", "k3"], detail=True)
    leaked, short = json.loads(body)["results"]
    assert leaked["feedback"]["warning"]["code"] == "warning.leaked"
    assert "42" in leaked["feedback"]["warning"]["text"]
    assert leaked["sequence"] == [
        {"kind": "leaked_password", "start": 0, "end": 8, "guesses_log10": leaked["guesses_log10"]}
    ]
    assert (short["source"], short["feedback"]["warning"]["code"]) == (
        "brute_force",
        "warning.short",
    )


def test_user_inputs_bring_a_password_built_on_them_low(weak):
    inputs = ["Alice", "alice@example.com", "examplebank"]
    built = ["alice1987", "ecila", "@l1ce", "ALICE!", "examplebank2024"]
    body, columns = full.response(weak, built + ["orbit-kettle"], inputs)
    results = json.loads(body)["results"]
    assert [r["source"] for r in results] == ["user_input"] * 5 + ["model"]
    assert all(r["score"] <= 1 for r in results[:5])
    assert "Alice" not in body.decode() and "alice" not in body.decode()  # never echoed
    without, _ = full.response(weak, built)
    assert all(r["source"] == "model" for r in json.loads(without)["results"])


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ([""] * 21, "at most 20"),
        (["x" * 101], r"user_inputs\[0\]: over 100"),
        ([7], "not a string"),
    ],
)
def test_user_inputs_out_of_bounds_are_refused_without_their_text(inputs, message):
    with pytest.raises(ValueError, match=message) as caught:
        full.check_user_inputs(inputs)
    assert "xxxx" not in str(caught.value)


def test_spans_cover_the_password_in_order(weak):
    found = explain.matches("qwerty1987Monkey!!", [])
    spans = explain.spans(found, "model", 5.0, 18)
    assert [s["kind"] for s in spans][:2] == ["keyboard_walk", "date"]
    assert spans[0]["start"] == 0 and spans[-1]["end"] == 18
    assert all(a["end"] == b["start"] for a, b in zip(spans, spans[1:], strict=False))


@pytest.mark.parametrize(
    ("secs", "shown"),
    [
        (0.5, "less than a second"),
        (1, "1 second"),
        (59, "59 seconds"),
        (3600, "1 hour"),
        (86400 * 3, "3 days"),
        (86400 * 31 * 12 * 5, "5 years"),
        (1e12, "centuries"),
    ],
)
def test_crack_times_read_as_zxcvbn_writes_them(secs, shown):
    assert crack_times.display(secs) == shown


def test_crack_times_are_the_guesses_over_each_rate():
    secs, _ = crack_times.crack_times(1e6)
    assert secs["offline_fast_hashing_1e10_per_second"] == 1e-4
    assert secs["online_throttling_100_per_hour"] == 1e6 / (100 / 3600)


def test_every_code_has_a_text_and_a_new_language_is_a_file(tmp_path, monkeypatch):
    english = messages.catalog("en")
    used = set()
    for case in CASES:
        used |= set(case["expected"])
    assert used <= set(english)
    monkeypatch.setattr(messages, "HERE", tmp_path)
    (tmp_path / "en.json").write_text(json.dumps(english))
    (tmp_path / "xx.json").write_text(json.dumps({"warning.word": "Ein Wort allein."}))
    messages.catalog.cache_clear()
    try:
        assert messages.languages() == ["en", "xx"]
        assert messages.text("warning.word", "xx") == "Ein Wort allein."
        assert messages.text("warning.date", "xx") == english["warning.date"]  # falls back
        with pytest.raises(ValueError, match="no messages for language 'zz'"):
            messages.text("warning.word", "zz")
    finally:
        messages.catalog.cache_clear()


def _type(value) -> str:
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else type(value).__name__


def _keys_and_types(match: dict) -> frozenset:
    return frozenset((k, _type(v)) for k, v in match.items())


ZXCVBN_LIST = [
    "Tr0ub4dour&3",
    "qwerty1987",
    "aaaaaa",
    "abcdef",
    "12/05/1987",
    "xK9#mQ2$vL7!",
    "correcthorsebattery",
    "2019!!",
    "P@ssw0rd",
    "monkey",
    "ecila2020",
    "xyzxyzxyz",
]


@pytest.fixture(scope="module")
def zxcvbn_results() -> list[dict]:
    """zxcvbn's own results (as JSON) over the test list and the labelled set."""
    passwords = ZXCVBN_LIST + [c["password"] for c in CASES]
    return [
        json.loads(json.dumps(full.jsonable(zxcvbn(p, user_inputs=["alice"])))) for p in passwords
    ]


def test_the_zxcvbn_shape_is_the_zxcvbn_packages(weak, zxcvbn_results):
    """Every answer has zxcvbn's keys with zxcvbn's types, at every level; each match in
    `sequence` has the keys and types zxcvbn gives a match of its pattern."""
    patterns: dict[str, set] = {}
    for result in zxcvbn_results:
        for m in result["sequence"]:
            patterns.setdefault(m["pattern"], set()).add(_keys_and_types(m))
    top = {k: _type(v) for k, v in zxcvbn_results[0].items()}
    times = set(zxcvbn_results[0]["crack_times_seconds"])
    body, _ = full.response(weak, ZXCVBN_LIST, ["alice"], fmt="zxcvbn")
    for password, ours in zip(ZXCVBN_LIST, json.loads(body)["results"], strict=True):
        assert {k: _type(v) for k, v in ours.items()} == top
        assert set(ours["crack_times_seconds"]) == set(ours["crack_times_display"]) == times
        assert all(_type(v) == "number" for v in ours["crack_times_seconds"].values())
        assert all(_type(v) == "str" for v in ours["crack_times_display"].values())
        assert _type(ours["feedback"]["warning"]) == "str"
        assert all(_type(s) == "str" for s in ours["feedback"]["suggestions"])
        for m in ours["sequence"]:
            assert _keys_and_types(m) in patterns[m["pattern"]], (password, m["pattern"])
        assert ours["password"] == "*" * len(password)
    assert not any(p in body.decode() for p in ZXCVBN_LIST if len(p) > 3)


def test_the_empty_password_is_one_guess_and_no_span(weak):
    """zxcvbn's scoring fails on it: the reading is made here (found by the schema test)."""
    body, _ = full.response(weak, [""], ["alice"], detail=True)
    (result,) = json.loads(body)["results"]
    assert (result["guesses_log10"], result["source"], result["sequence"]) == (
        0.0,
        "brute_force",
        [],
    )
    shaped, _ = full.response(weak, [""], fmt="zxcvbn")
    assert json.loads(shaped)["results"][0]["sequence"] == []


def test_a_strong_answer_capped_by_brute_force_gets_no_warning(monkeypatch):
    """16 random characters: the beyond-leak answer past the count, capped at 10^31 (score
    4): not a short password, so no warning (found by benchmarks/answer.py)."""
    monkeypatch.setattr(
        "pwc.scorer.model_lib.predict_with_markov", lambda m, p: (np.full(len(p), 40.0), None)
    )
    body, _ = full.response(Scorer(None, "v" * 64, T), ["xK9#mQ2$vL7!pR4@"], detail=True)
    (result,) = json.loads(body)["results"]
    assert (result["source"], result["score"]) == ("brute_force", 4)
    assert result["feedback"] == {"warning": None, "suggestions": []}


def test_the_zxcvbn_shape_times_the_matching_as_zxcvbn_does(weak, monkeypatch):
    """calc_time is the reading's milliseconds (zxcvbn times its matching), not the
    formatting's: a matcher made to take 20 ms shows."""
    real = explain.matching.omnimatch

    def slow(password, dictionaries):
        time.sleep(0.02)
        return real(password, dictionaries)

    monkeypatch.setattr(explain.matching, "omnimatch", slow)
    body, _ = full.response(weak, ["monkey42"], fmt="zxcvbn")
    assert json.loads(body)["results"][0]["calc_time"] >= 20.0


def test_a_repeat_is_read_over_the_same_lists_whatever_zxcvbn_did_before():
    """zxcvbn reads a repeat's base over its global lists, which hold the leaked passwords
    and the user inputs of its last zxcvbn() call: explain reads it over its own."""
    before = explain.matches("kumquatkumquat")
    zxcvbn("x", user_inputs=["kumquat"])  # leaves "kumquat" in zxcvbn's global table
    after = explain.matches("kumquatkumquat")
    (repeat,) = [m for m in after["sequence"] if m["pattern"] == "repeat"]
    assert after["guesses"] == before["guesses"]
    assert all(m.get("dictionary_name") != explain.USER_INPUTS for m in repeat["base_matches"])
    # with the user input passed, the base is the user input, read over the same table
    (given,) = explain.matches("kumquatkumquat", ["kumquat"])["sequence"]
    assert given["base_matches"][0]["dictionary_name"] == explain.USER_INPUTS
    assert "passwords" not in explain.WORD_LISTS and "user_inputs" not in explain.WORD_LISTS


@pytest.mark.parametrize("password", ["smith", "$m1th", "htims", "Smith1990"])
def test_a_user_input_is_read_as_the_user_input_where_a_listed_word_matches_too(password):
    """`smith` is the commonest surname: zxcvbn would read it as that, the warning would
    name a surname and the user-input rule would not apply."""
    alone = explain.matches(password)
    given = explain.matches(password, ["Alice Smith", "smith"])
    assert not explain.uses_user_input(alone)
    assert explain.uses_user_input(given)
    assert [explain.kind(m) for m in given["sequence"]].count("user_input") == 1
