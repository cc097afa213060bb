"""What the meter found in a password, for its feedback and its explanation: zxcvbn's
matchers (word and name lists, keyboard graphs, dates, sequences, repeats, l33t and reversed
words) and the caller's user inputs as one more dictionary, each span with zxcvbn's own guess
estimate. Never zxcvbn's list of leaked passwords: the leak lookup answers for those."""

from __future__ import annotations

import time

from zxcvbn import matching, scoring
from zxcvbn.frequency_lists import FREQUENCY_LISTS

USER_INPUTS = "user_inputs"
# Bounds of a request's user inputs (the API documents and checks them)
MAX_USER_INPUTS = 20
MAX_USER_INPUT_LENGTH = 100
# zxcvbn's word lists but its leaked passwords, in its order (by name: its global table also
# holds the user inputs of its last zxcvbn() call); the browser meter ships the same lists
WORD_LISTS = {n: words for n, words in FREQUENCY_LISTS.items() if n != "passwords"}
_DICTIONARIES = {n: matching.RANKED_DICTIONARIES[n] for n in WORD_LISTS}
NAMES = ("surnames", "male_names", "female_names")
# A span's kind by zxcvbn's pattern (dictionary matches are read by `kind`)
KINDS = {"spatial": "keyboard_walk", "repeat": "repeat", "sequence": "sequence"}
KINDS |= {"regex": "date", "date": "date", "bruteforce": "other"}


def matches(password: str, user_inputs=()) -> dict:
    """zxcvbn's most guessable match sequence (its `guesses`, `guesses_log10`, `sequence`),
    with `user_inputs` (lowercased, as zxcvbn does) ranked in order as a dictionary. The
    empty password is one guess and no match (zxcvbn's scoring fails on it). `calc_time`:
    the matching's milliseconds."""
    started = time.perf_counter()
    if not password:
        found = {"password": "", "guesses": 1, "guesses_log10": 0.0, "sequence": []}
    else:
        # first: of equal counts (zxcvbn's floor of 50 for a short word), the user input is read
        dictionaries = {USER_INPUTS: matching.build_ranked_dict([u.lower() for u in user_inputs])}
        dictionaries |= _DICTIONARIES
        found = scoring.most_guessable_match_sequence(password, omnimatch(password, dictionaries))
    found["calc_time"] = (time.perf_counter() - started) * 1000.0  # ms, as zxcvbn's result
    return found


def omnimatch(password: str, dictionaries: dict) -> list[dict]:
    """zxcvbn's matches over `dictionaries`, but where a user input and a listed word match
    the same span only the user input's (`smith` as the user's name, not as the commonest
    surname: the reading then says what weakens the password), and a repeat's base read
    over them too (zxcvbn reads it over its own global lists, with the leak's and the user
    inputs of its last call: the answer would hang on process state). As advice.js reads."""
    found = matching.omnimatch(password, dictionaries)
    theirs = {(m["i"], m["j"]) for m in found if _from_user_inputs(m)}
    found = [
        m
        for m in found
        if m["pattern"] != "dictionary" or _from_user_inputs(m) or (m["i"], m["j"]) not in theirs
    ]
    for match in found:
        if match["pattern"] == "repeat":
            base = match["base_token"]
            reading = scoring.most_guessable_match_sequence(base, omnimatch(base, dictionaries))
            match["base_guesses"], match["base_matches"] = reading["guesses"], reading["sequence"]
    return found


def _from_user_inputs(match: dict) -> bool:
    return match.get("dictionary_name") == USER_INPUTS


def kind(match: dict) -> str:
    """A match's kind: word, name, l33t, user_input, keyboard_walk, repeat, sequence, date
    or other."""
    if match["pattern"] != "dictionary":
        return KINDS.get(match["pattern"], "other")
    if match["dictionary_name"] == USER_INPUTS:
        return "user_input"
    if match.get("l33t"):
        return "l33t"
    return "name" if match["dictionary_name"] in NAMES else "word"


def spans(found: dict, source: str, guesses_log10: float, length: int) -> list[dict]:
    """The spans behind the estimate, in order: kind, start, end (characters, end excluded)
    and the span's own guesses_log10; a leaked password is one span of its own."""
    if source == "leak":
        return [
            {"kind": "leaked_password", "start": 0, "end": length, "guesses_log10": guesses_log10}
        ]
    return [
        {
            "kind": kind(m),
            "start": m["i"],
            "end": m["j"] + 1,
            "guesses_log10": float(m["guesses_log10"]),
        }
        for m in found["sequence"]
    ]


def uses_user_input(found: dict) -> bool:
    return any(kind(m) == "user_input" for m in found["sequence"])
