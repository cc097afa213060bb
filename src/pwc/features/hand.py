"""Hand-made features: lengths, character classes, patterns (FEATURE_NAMES).

`hand_features` is vectorised over an Arrow string array (regex counts in Arrow's C++
kernels, byte comparisons in numpy); `hand_rows` is the same in plain Python for a password
or two (pwc.features.paths).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, TransformerMixin

from pwc.features.paths import TwoPaths
from pwc.text import as_arrow, byte_buffers

# Walks on a US keyboard that people type as passwords (rows, columns, diagonals).
KEYBOARD_WALKS = (
    "qwerty",
    "qwertz",
    "azerty",
    "asdf",
    "zxcv",
    "1qaz",
    "2wsx",
    "qazwsx",
    "wasd",
    "poiu",
    "lkjh",
    "mnbv",
)

# Only these two are counted with RE2 (Arrow's kernel): overlapping candidates and, for the
# walks, Unicode case folding (RE2's (?i) also matches the Kelvin sign for k) make them regex
# questions. Every other feature is a byte-class count in numpy, equal to its regex definition
# (tests/code/test_features.py checks each against RE2).
_REGEX_COUNTS = {
    "years": r"(?:19[4-9][0-9]|20[0-3][0-9])",
    "keyboard_walks": "(?i)(?:" + "|".join(KEYBOARD_WALKS) + ")",
}

# Byte classes. The counted classes are ASCII, and in UTF-8 every byte of a multi-byte
# character is >= 0x80: counting bytes counts characters.
_LOWER, _UPPER, _DIGIT, _SYMBOL, _CONTINUATION = 1, 2, 4, 8, 16
_CLASS = np.zeros(256, dtype=np.uint8)
_CLASS[ord("a") : ord("z") + 1] = _LOWER
_CLASS[ord("A") : ord("Z") + 1] = _UPPER
_CLASS[ord("0") : ord("9") + 1] = _DIGIT
for _lo, _hi in ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)):
    _CLASS[_lo : _hi + 1] = _SYMBOL  # ASCII punctuation
_CLASS[[ord(" "), ord("\t")]] = _SYMBOL
_CLASS[0x80:0xC0] = _CONTINUATION  # not a character of its own
_LETTER, _ALNUM = _LOWER | _UPPER, _LOWER | _UPPER | _DIGIT

FEATURE_NAMES = (
    "length",
    "n_bytes",
    "n_lower",
    "n_upper",
    "n_digit",
    "n_symbol",
    "letter_runs",
    "digit_runs",
    "symbol_runs",
    *_REGEX_COUNTS,
    "n_other",
    "n_classes",
    "digits_only",
    "letters_only",
    "lower_only",
    "starts_upper",
    "ends_digit",
    "ends_symbol",
    "trailing_digits",
    "repeats",
    "sequential",
    "unique_share",
)


def _per_row_sum(flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Sum a per-byte flag over each row's bytes (rows may be empty)."""
    csum = np.zeros(flags.size + 1, dtype=np.int32 if flags.size < 2**31 else np.int64)
    np.cumsum(flags, out=csum[1:])
    return csum[offsets[1:]] - csum[offsets[:-1]]


def _byte_features(arr: pa.LargeStringArray) -> dict[str, np.ndarray]:
    """Every count that is a question about bytes and their neighbours, one pass of cumsums."""
    offsets, data = byte_buffers(arr)
    n = len(arr)
    cls = _CLASS[data]
    # previous byte in the same row (a row start has none: class 0, and no pair)
    start = np.zeros(data.size, dtype=bool)
    start[offsets[:-1][offsets[:-1] < data.size]] = True
    prev = np.empty_like(cls)
    prev[1:] = cls[:-1]
    prev[start] = 0
    wide = data.astype(np.int16)
    diff = np.diff(wide, prepend=wide[:1]) if data.size else wide
    letter, alnum = (cls & _LETTER) > 0, (cls & _ALNUM) > 0
    digit = (cls & _DIGIT) > 0
    flags = {
        "n_lower": cls == _LOWER,
        "n_upper": cls == _UPPER,
        "n_digit": digit,
        "n_symbol": cls == _SYMBOL,
        "continuation": cls == _CONTINUATION,
        "letter_runs": letter & ((prev & _LETTER) == 0),  # [a-zA-Z]+
        "digit_runs": digit & ((prev & _DIGIT) == 0),  # [0-9]+
        # [^a-zA-Z0-9]+: a row start, or an alphanumeric byte before
        "symbol_runs": ~alnum & (start | ((prev & _ALNUM) > 0)),
        "repeats": ~start & (diff == 0),
        "sequential": ~start & (np.abs(diff) == 1),
    }
    out = {name: _per_row_sum(flag, offsets) for name, flag in flags.items()}
    lengths = out["n_bytes"] = np.diff(offsets)
    nonempty = lengths > 0
    first = np.zeros(n, dtype=np.uint8)
    last = np.zeros(n, dtype=np.uint8)
    first[nonempty] = cls[offsets[:-1][nonempty]]
    last[nonempty] = cls[offsets[1:][nonempty] - 1]
    out["starts_upper"] = first == _UPPER  # ^[A-Z]
    out["ends_digit"] = last == _DIGIT  # [0-9]$
    out["ends_symbol"] = nonempty & ((last & _ALNUM) == 0)  # [^a-zA-Z0-9]$
    # ([0-9]*)$: bytes after the row's last non-digit
    position = np.arange(data.size, dtype=np.int64)
    last_other = np.maximum.accumulate(np.where(digit, -1, position))
    # a run of digits from the row start: the row's own start, not an earlier row's byte
    row_of = np.repeat(np.arange(n), lengths)
    last_other = np.maximum(last_other, offsets[:-1][row_of] - 1)
    trailing = np.zeros(n, dtype=np.int64)
    ends = offsets[1:][nonempty] - 1
    trailing[nonempty] = ends - last_other[ends]
    out["trailing_digits"] = trailing
    return out


def _unique_share(arr: pa.LargeStringArray, chunk: int = 1 << 18) -> np.ndarray:
    """Distinct bytes / bytes per row (0 for the empty password), via a presence table per chunk."""
    out = np.zeros(len(arr))
    for start in range(0, len(arr), chunk):
        part = arr.slice(start, chunk)
        offsets, data = byte_buffers(part)
        lengths = np.diff(offsets)
        rows = np.repeat(np.arange(len(part)), lengths)
        seen = np.zeros((len(part), 256), dtype=np.uint8)
        seen[rows, data] = 1
        # 8 flags per uint64 word: summing a row's 32 words adds the flags lane by lane (at
        # most 32 a lane, no carry), the multiply then adds the 8 lanes into the top byte
        # (numpy's sum over 256 bools was most of this function)
        lanes = seen.view(np.uint64).sum(axis=1, dtype=np.uint64)
        distinct = (lanes * np.uint64(0x0101010101010101)) >> np.uint64(56)
        out[start : start + len(part)] = distinct / np.maximum(lengths, 1)
    return out


def hand_features(passwords: Iterable[str] | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Hand-made features, one row per password, columns in FEATURE_NAMES order."""
    arr = as_arrow(passwords)
    cols = _byte_features(arr)
    length = (cols["n_bytes"] - cols.pop("continuation")).astype(np.float64)  # characters
    cols["length"] = length
    for name, pattern in _REGEX_COUNTS.items():
        cols[name] = pc.count_substring_regex(arr, pattern).to_numpy()
    known = cols["n_lower"] + cols["n_upper"] + cols["n_digit"] + cols["n_symbol"]
    cols["n_other"] = length - known
    classes = ("n_lower", "n_upper", "n_digit", "n_symbol", "n_other")
    cols["n_classes"] = sum((cols[c] > 0).astype(np.float64) for c in classes)
    nonempty = length > 0
    cols["digits_only"] = nonempty & (cols["n_digit"] == length)
    cols["letters_only"] = nonempty & (cols["n_lower"] + cols["n_upper"] == length)
    cols["lower_only"] = nonempty & (cols["n_lower"] == length)
    cols["unique_share"] = _unique_share(arr)
    # float32 like the n-gram matrix, so the stacked design matrix stays float32 (half the RAM)
    return np.column_stack([np.asarray(cols[n], dtype=np.float32) for n in FEATURE_NAMES])


# For ASCII passwords, Python's `re` with ASCII case folding counts what RE2 counts; RE2's
# Unicode folding differs from Python's on a few letters (dotless i, long s), so other
# passwords go to Arrow's kernel as in the batch path.
_PY_REGEX = {name: re.compile(p, re.ASCII) for name, p in _REGEX_COUNTS.items()}
_CLASS_LIST = _CLASS.tolist()


def _regex_count(name: str, password: str) -> int:
    if password.isascii():
        return len(_PY_REGEX[name].findall(password))
    return pc.count_substring_regex(pa.array([password]), _REGEX_COUNTS[name])[0].as_py()


def hand_rows(passwords: list[str]) -> np.ndarray:
    """`hand_features` one password at a time in plain Python: for a password or two it
    beats numpy's per-call costs, with the same definitions (tested equal)."""
    rows = []
    for password in passwords:
        raw = password.encode()
        cls = [_CLASS_LIST[b] for b in raw]
        col = {
            "n_bytes": len(raw),
            "n_lower": cls.count(_LOWER),
            "n_upper": cls.count(_UPPER),
            "n_digit": cls.count(_DIGIT),
            "n_symbol": cls.count(_SYMBOL),
        }
        prev = [0, *cls[:-1]][: len(cls)]  # a row's first byte has no previous byte
        pairs = list(zip(cls, prev, strict=True))
        col["letter_runs"] = sum(1 for c, q in pairs if c & _LETTER and not q & _LETTER)
        col["digit_runs"] = sum(1 for c, q in pairs if c & _DIGIT and not q & _DIGIT)
        col["symbol_runs"] = sum(
            1 for i, (c, q) in enumerate(pairs) if not c & _ALNUM and (i == 0 or q & _ALNUM)
        )
        steps = [b - a for a, b in zip(raw, raw[1:], strict=False)]
        col["repeats"] = steps.count(0)
        col["sequential"] = steps.count(1) + steps.count(-1)
        length = float(len(raw) - cls.count(_CONTINUATION))
        col["length"] = length
        for name in _REGEX_COUNTS:
            col[name] = _regex_count(name, password)
        known = col["n_lower"] + col["n_upper"] + col["n_digit"] + col["n_symbol"]
        col["n_other"] = length - known
        classes = ("n_lower", "n_upper", "n_digit", "n_symbol", "n_other")
        col["n_classes"] = float(sum(col[c] > 0 for c in classes))
        nonempty = length > 0
        col["digits_only"] = nonempty and col["n_digit"] == length
        col["letters_only"] = nonempty and col["n_lower"] + col["n_upper"] == length
        col["lower_only"] = nonempty and col["n_lower"] == length
        first, last = (cls[0], cls[-1]) if raw else (0, 0)
        col["starts_upper"] = first == _UPPER
        col["ends_digit"] = last == _DIGIT
        col["ends_symbol"] = bool(raw) and not last & _ALNUM
        trailing = len(raw) - len(raw.rstrip(b"0123456789"))
        col["trailing_digits"] = trailing
        col["unique_share"] = len(set(raw)) / max(len(raw), 1)
        rows.append([float(col[name]) for name in FEATURE_NAMES])
    return np.asarray(rows, dtype=np.float32).reshape(len(passwords), len(FEATURE_NAMES))


class HandFeatures(TwoPaths, TransformerMixin, BaseEstimator):
    """sklearn wrapper so the features live inside the one saved Pipeline."""

    many = staticmethod(hand_features)
    few = staticmethod(hand_rows)

    def fit(self, X, y=None):  # noqa: N803 - sklearn's signature
        self.n_features_out_ = len(FEATURE_NAMES)
        return self

    def get_feature_names_out(self, input_features=None):
        return np.asarray(FEATURE_NAMES, dtype=object)
