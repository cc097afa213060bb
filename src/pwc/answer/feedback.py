"""Feedback: at most one warning and a list of suggestions, each a stable code (its text in
the message files, pwc.answer.messages), from what the meter found: the leak and the rank,
a brute-forceable length, user inputs, then zxcvbn's reading of the longest match. A strong
password (score 3 or 4) gets none: no boilerplate."""

from __future__ import annotations

import re

from pwc.answer.explain import kind

_START_UPPER = re.compile(r"^[A-Z][^A-Z]+$")
_ALL_UPPER = re.compile(r"^[^a-z]+$")
_WORD_WARNINGS = {"word": "warning.word", "l33t": "warning.word"}


def codes(found: dict, source: str, score: int) -> tuple[str | None, list[str]]:
    """(warning code or None, suggestion codes) for one password's answer."""
    if score > 2:  # strong, whatever capped it (16 random characters: brute force, 10^31)
        return None, []
    if source == "leak":
        return "warning.leaked", ["suggestion.not_leaked", "suggestion.more_words"]
    if source == "brute_force":
        return "warning.short", ["suggestion.longer"]
    sequence = found["sequence"]
    if any(kind(m) == "user_input" for m in sequence):
        return "warning.user_input", ["suggestion.avoid_user_inputs", "suggestion.more_words"]
    if not sequence:
        return None, ["suggestion.few_words", "suggestion.no_need_for_mixed"]
    longest = max(sequence, key=lambda m: len(m["token"]))  # the first of the longest
    warning, suggestions = _match(longest, len(sequence) == 1)
    return warning, ["suggestion.more_words", *suggestions]


def _match(match: dict, alone: bool) -> tuple[str | None, list[str]]:
    pattern = match["pattern"]
    if pattern == "dictionary":
        return _dictionary(match, alone)
    if pattern == "spatial":
        straight = match["turns"] == 1
        warning = "warning.straight_row" if straight else "warning.keyboard_pattern"
        return warning, ["suggestion.longer_keyboard_pattern"]
    if pattern == "repeat":
        one = len(match["base_token"]) == 1
        return ("warning.repeat_character" if one else "warning.repeat_pattern"), [
            "suggestion.avoid_repeats"
        ]
    if pattern == "sequence":
        return "warning.sequence", ["suggestion.avoid_sequences"]
    if pattern == "regex" and match.get("regex_name") == "recent_year":
        return "warning.recent_year", [
            "suggestion.avoid_recent_years",
            "suggestion.avoid_associated_years",
        ]
    if pattern == "date":
        return "warning.date", ["suggestion.avoid_dates"]
    return None, []


def _dictionary(match: dict, alone: bool) -> tuple[str | None, list[str]]:
    what = kind(match)
    warning = None
    if what == "name":
        warning = "warning.name_alone" if alone else "warning.names"
    elif alone and what in _WORD_WARNINGS:
        warning = _WORD_WARNINGS[what]
    word = match["token"]
    suggestions = []
    if _START_UPPER.search(word):
        suggestions.append("suggestion.capitalization")
    elif _ALL_UPPER.search(word) and word.lower() != word:
        suggestions.append("suggestion.all_uppercase")
    if match["reversed"] and len(word) >= 4:
        suggestions.append("suggestion.reversed")
    if match.get("l33t"):
        suggestions.append("suggestion.l33t")
    return warning, suggestions
