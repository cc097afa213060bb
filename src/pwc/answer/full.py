"""The full answer: the scorer's record with user inputs taken into account, plus feedback,
crack times and the spans behind the estimate; and the same as zxcvbn's result shape.

User inputs (the site's name, the user's name and e-mail) are matched as zxcvbn does (a
ranked dictionary: case, l33t, reversal, with digits and symbols around them): a password
built on one gets zxcvbn's count for that reading when it is lower than the scorer's answer
(source "user_input"). They are secrets like passwords: never logged, echoed or counted.
"""

from __future__ import annotations

import bisect
import datetime
import decimal
import math
import re

import pydantic_core

from pwc import numerics
from pwc.answer import crack_times, explain, feedback
from pwc.answer.messages import DEFAULT, text
from pwc.scorer import result_rows


def check_user_inputs(user_inputs) -> list[str]:
    """The user inputs as a list of strings within the documented bounds, else ValueError
    (naming the bound, never an input)."""
    inputs = list(user_inputs or ())
    if len(inputs) > explain.MAX_USER_INPUTS:
        raise ValueError(f"user_inputs: at most {explain.MAX_USER_INPUTS} strings")
    for i, value in enumerate(inputs):
        if not isinstance(value, str):
            raise ValueError(f"user_inputs[{i}]: not a string")
        if len(value) > explain.MAX_USER_INPUT_LENGTH:
            raise ValueError(f"user_inputs[{i}]: over {explain.MAX_USER_INPUT_LENGTH} characters")
    return inputs


def answers(scorer, passwords: list[str], user_inputs=(), detail: bool = True):
    """(the scorer's columns, user inputs applied; each password's zxcvbn reading, or None
    when neither detail nor user inputs ask for it). A scorer with `caps_user_inputs` (the
    browser meter's reference) takes the user-input counts itself: it answers in steps."""
    if not (detail or user_inputs):
        return dict(scorer(passwords)), None
    found = [explain.matches(p, user_inputs) for p in passwords]
    if user_inputs and getattr(scorer, "caps_user_inputs", False):
        return dict(scorer(passwords, [user_input_guesses(r) for r in found])), found
    columns = dict(scorer(passwords))
    if user_inputs:
        _apply_user_inputs(columns, found, scorer.thresholds)
    return columns, found


def _apply_user_inputs(columns: dict, found: list[dict], thresholds) -> None:
    columns["source"] = columns["source"].astype(object)
    for i, reading in enumerate(found):
        record = {name: columns[name][i] for name in columns}
        for name, value in _with_reading(record, reading, thresholds).items():
            columns[name][i] = value


def with_user_inputs(record: dict, password: str, user_inputs, thresholds) -> dict:
    """One record with its user inputs applied (batch predict's rows)."""
    return _with_reading(record, explain.matches(password, user_inputs), thresholds)


def user_input_guesses(reading: dict) -> float:
    """zxcvbn's count for a reading built on a user input (at least 1), else infinity."""
    if not explain.uses_user_input(reading):
        return math.inf
    return max(float(reading["guesses"]), 1.0)


def _with_reading(record: dict, reading: dict, thresholds) -> dict:
    """The record, or zxcvbn's count for a reading built on a user input when lower."""
    guesses = user_input_guesses(reading)
    if guesses == math.inf:
        return record
    log10 = numerics.log10_floats([guesses])[0]
    if log10 >= record["guesses_log10"]:
        return record
    score = bisect.bisect_right(thresholds, log10)
    return {"guesses_log10": log10, "guesses": guesses, "score": score, "source": "user_input"}


def detail_of(row: dict, reading: dict, length: int, language: str = DEFAULT) -> dict:
    """A record's detail: feedback (codes and texts), crack times, spans."""
    warning, suggestions = feedback.codes(reading, row["source"], row["score"])
    rank = f"{row['guesses']:,.0f}"
    secs, shown = crack_times.crack_times(row["guesses"], language)
    return {
        "feedback": {
            "warning": None
            if warning is None
            else {"code": warning, "text": text(warning, language, rank=rank)},
            "suggestions": [{"code": c, "text": text(c, language)} for c in suggestions],
        },
        "crack_times_seconds": secs,
        "crack_times_display": shown,
        "sequence": explain.spans(reading, row["source"], row["guesses_log10"], length),
    }


def zxcvbn_shaped(password: str, row: dict, reading: dict, language: str = DEFAULT) -> dict:
    """zxcvbn's result for `password` (its keys, types and nesting, as JSON) with this
    project's estimate, crack times and feedback. The password and the matched text are not
    echoed: each string taken from them is that many `*`."""
    full = detail_of(row, reading, len(password), language)
    warning = full["feedback"]["warning"]
    return {
        "password": "*" * len(password),
        "guesses": row["guesses"],
        "guesses_log10": row["guesses_log10"],
        "sequence": [_masked(jsonable(m)) for m in reading["sequence"]],
        "calc_time": reading["calc_time"],  # the matching's, as zxcvbn times its own
        "crack_times_seconds": full["crack_times_seconds"],
        "crack_times_display": full["crack_times_display"],
        "score": row["score"],
        "feedback": {
            "warning": "" if warning is None else warning["text"],
            "suggestions": [s["text"] for s in full["feedback"]["suggestions"]],
        },
    }


def jsonable(value):
    """zxcvbn's Python values as JSON's: Decimal and timedelta (milliseconds) as numbers, a
    regex match as its groups, tuples as lists."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds() * 1000.0
    if isinstance(value, re.Match):
        return [value.group(0), *value.groups()]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _masked(value):
    """Every string in a match as that many `*` (keys and numbers kept)."""
    if isinstance(value, dict):
        return {k: v if k in _KEEP else _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return "*" * len(value) if isinstance(value, str) else value


# names of lists, patterns and graphs: zxcvbn's own words, not the password's
_KEEP = {"pattern", "dictionary_name", "graph", "regex_name", "sequence_name"}


def response(
    scorer, passwords, user_inputs=(), detail=False, fmt="record", lang=DEFAULT, indent=None
):
    """(a ScoreResponse's JSON bytes, the scorer's columns): the record (user inputs
    applied), with detail, or in zxcvbn's shape; the API answers it, `score --json` prints
    it."""
    wanted = detail or fmt == "zxcvbn"
    columns, found = answers(scorer, passwords, user_inputs, wanted)
    results = result_rows(columns)
    each = zip(passwords, results, found or [None] * len(results), strict=True)
    if fmt == "zxcvbn":
        results = [zxcvbn_shaped(p, r, f, lang) for p, r, f in each]
    elif detail:
        results = [r | detail_of(r, f, len(p), lang) for p, r, f in each]
    body = {"model_version": scorer.version, "results": results}
    return pydantic_core.to_json(body, indent=indent), columns
