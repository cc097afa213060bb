"""`NeighbourScores`' features in plain Python for a password or two: numpy's per-call
costs were much of a one-password request (benchmarks/RESULTS.md, "Figures behind the code's
choices"). The same keys in Python integers, the same slots,
the same rule for a neighbour that is the password itself (tested equal to the batch path).
"""

from __future__ import annotations

from pwc.counting.hashing import K_INV_INT, MASK64, string_hash_int, string_key_int
from pwc.counting.keytable import lookup_int
from pwc.features.neighbours.keys import (
    DIGITS_MASKED,
    FULL,
    INSERTION,
    PREFIX,
    SIBLING,
    SUBSTITUTION,
    SUFFIX,
)

_DIGIT_CHARS = b"0123456789"
_LETTERS = frozenset(range(ord("A"), ord("Z") + 1)) | frozenset(range(ord("a"), ord("z") + 1))


def neighbours_bytes(raw: bytes) -> list[bytes]:
    """pwc.features.neighbours.scores.NEIGHBOURS of a password's bytes, in order."""
    low = raw.lower()  # bytes.lower: ASCII letters only
    capital = low[:1].upper() + low[1:]
    return [
        low,
        capital,
        raw[::-1],
        raw[:-1],
        raw[1:],
        raw.rstrip(_DIGIT_CHARS),
        raw.lstrip(_DIGIT_CHARS),
        bytes(b for b in raw if b in _LETTERS),
    ]


def few_levels(slots, bits: int, edits: bool, substitutions: bool, password: str) -> list[int]:
    """One password's row of pwc.features.neighbours.scores.NeighbourScores.transform."""
    raw = password.encode()
    own = string_hash_int(raw)
    row = []
    for neighbour in neighbours_bytes(raw):
        h = string_hash_int(neighbour)
        same = h == own and len(neighbour) == len(raw)
        key = string_key_int(h, len(neighbour), FULL)
        row.append(0 if same or not neighbour else lookup_int(slots, bits, key))
    row.append(lookup_int(slots, bits, string_key_int(own, len(raw), PREFIX)))
    if edits:
        masked = bytes(48 if 48 <= b <= 57 else b for b in raw)  # digits as 0
        edit_keys = (
            (own, SUFFIX),
            (string_hash_int(raw[:-1]), SIBLING),
            (own, INSERTION),
            (string_hash_int(masked), DIGITS_MASKED),
        )
        row += [
            lookup_int(slots, bits, string_key_int(h, len(raw), kind)) if raw else 0
            for h, kind in edit_keys
        ]
    if substitutions:
        levels, weight = [], 1
        for byte in raw:  # the password's hash less this byte's term
            h = (own - (byte + 1) * weight) & MASK64
            levels.append(lookup_int(slots, bits, string_key_int(h, len(raw), SUBSTITUTION)))
            weight = weight * K_INV_INT & MASK64
        row += [sum(levels), max(levels, default=0)]
    return row
