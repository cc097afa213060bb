"""The brute-force bound: an attacker who tries every string of up to the password's length
over the character classes it uses needs at most sum_{l=1..L} C^l guesses, C the classes'
sizes added. No answer may exceed it: not the model's (which learned ranks inside a leak and
says 10^6 for `7`), not the leak's (a rare one-character password ranks late in RockYou),
not the browser meter's. zxcvbn's brute-force match is the same idea with C = 10 for every
character (docs/strength.md, "The brute-force bound").
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pwc import numerics

# Each class: its Arrow regex and its size. `other` is every character outside printable
# ASCII (a generous alphabet: a larger one would allow more). `one_bound` and meter.js test
# a character by code point ranges: the same classes (tested).
CLASSES = {
    "lower": ("[a-z]", 26),
    "upper": ("[A-Z]", 26),
    "digit": ("[0-9]", 10),
    "symbol": ("[ -/:-@\\[-`{-~]", 33),
    "other": ("[^ -~]", 100),
}


def lengths_and_sizes(passwords) -> tuple[np.ndarray, np.ndarray]:
    """Each password's length in characters and its alphabet's size C (float64 arrays)."""
    arr = passwords if isinstance(passwords, pa.Array) else pa.array(passwords, pa.large_string())
    length = pc.utf8_length(arr).to_numpy(zero_copy_only=False).astype(np.float64)
    size = np.zeros(len(arr))
    for pattern, n in CLASSES.values():
        size += n * pc.match_substring_regex(arr, pattern).to_numpy(zero_copy_only=False)
    return length, size


def bound_log10(length: np.ndarray, size: np.ndarray) -> np.ndarray:
    """log10 of sum_{l=1..L} C^l = L log10 C + log10(C / (C - 1)) + log10(1 - C^-L), with
    the machine-independent functions (pwc.numerics); 0 (one guess) for the empty string."""
    length = np.asarray(length, dtype=np.float64)
    size = np.maximum(np.asarray(size, dtype=np.float64), 2.0)  # C >= 10 for any character
    log_size = numerics.log10(size)
    top = length * log_size
    tail = numerics.log10(size / (size - 1.0)) + numerics.log10(1.0 - numerics.exp10(-top))
    return np.where(length > 0, top + tail, 0.0)


def one_bound(password: str) -> tuple[float, float]:
    """(bound_log10, count) of one password in Python floats: `bound_log10` and `count`'s
    operations in the same order (the same bits, tested), without numpy's per-call costs
    (the API's usual request is one password)."""
    used = 0
    for ch in password:
        o = ord(ch)
        used |= (
            1
            if 97 <= o <= 122
            else 2
            if 65 <= o <= 90
            else 4
            if 48 <= o <= 57
            else (8 if 32 <= o <= 126 else 16)
        )
    if not password:
        return 0.0, 1.0
    size = float(sum(s for bit, s in zip((1, 2, 4, 8, 16), _SIZES, strict=True) if used & bit))
    top = len(password) * numerics.log10_floats([size])[0]
    tail = numerics.log10_floats([size / (size - 1.0), 1.0 - numerics.exp10_float(-top)])
    total, power = 0.0, 1.0
    for _ in range(len(password)):
        power *= size
        total += power
    return top + (tail[0] + tail[1]), total  # the order bound_log10 adds in


_SIZES = tuple(size for _, size in CLASSES.values())


def passwords_bound_log10(passwords) -> np.ndarray:
    """Each password's brute-force bound, log10 guesses."""
    return bound_log10(*lengths_and_sizes(passwords))


def count(length: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The bound itself, sum_{l=1..L} C^l, as float64 products and sums in the order meter.js
    adds them (exact while below 2^53; 1 for the empty string; inf past float range)."""
    total, power = np.zeros(length.size), np.ones(length.size)
    with np.errstate(over="ignore"):
        for n in range(1, int(length.max(initial=0)) + 1):
            on = length >= n
            power = np.where(on, power * size, power)
            total = np.where(on, total + power, total)
    return np.where(length > 0, total, 1.0)
