"""Password features, shared by training, batch predict and online scoring.

Everything is vectorised over an Arrow string array (regex counts run in Arrow's C++ kernels,
byte comparisons in numpy): no per-password Python loop, so scoring stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, TransformerMixin

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

# name -> RE2 pattern whose matches are counted
_REGEX_COUNTS = {
    "n_lower": r"[a-z]",
    "n_upper": r"[A-Z]",
    "n_digit": r"[0-9]",
    "n_symbol": r"[!-/:-@\[-`{-~ \t]",
    "letter_runs": r"[a-zA-Z]+",
    "digit_runs": r"[0-9]+",
    "symbol_runs": r"[^a-zA-Z0-9]+",
    "years": r"(?:19[4-9][0-9]|20[0-3][0-9])",
    "keyboard_walks": "(?i)(?:" + "|".join(KEYBOARD_WALKS) + ")",
}
_REGEX_FLAGS = {
    "starts_upper": r"^[A-Z]",
    "ends_digit": r"[0-9]$",
    "ends_symbol": r"[^a-zA-Z0-9]$",
}

FEATURE_NAMES = (
    "length",
    "n_bytes",
    *_REGEX_COUNTS,
    "n_other",
    "n_classes",
    "digits_only",
    "letters_only",
    "lower_only",
    *_REGEX_FLAGS,
    "trailing_digits",
    "repeats",
    "sequential",
    "unique_share",
)


def as_arrow(passwords: Iterable[str] | pa.Array | pa.ChunkedArray) -> pa.LargeStringArray:
    """Any sequence of strings as one contiguous Arrow large_string array."""
    if isinstance(passwords, pa.ChunkedArray):
        passwords = passwords.combine_chunks()
    if isinstance(passwords, pd.Series | pd.Index):
        passwords = pa.array(passwords.to_numpy(dtype=object), pa.large_string())
    if not isinstance(passwords, pa.Array):
        passwords = pa.array(np.asarray(passwords, dtype=object), pa.large_string())
    if passwords.type != pa.large_string():
        passwords = passwords.cast(pa.large_string())
    if passwords.null_count:
        raise ValueError("passwords must not be null")
    return passwords


def _per_row_sum(flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Sum a per-byte flag over each row's bytes (rows may be empty)."""
    csum = np.concatenate(([0], np.cumsum(flags, dtype=np.int64)))
    return csum[offsets[1:]] - csum[offsets[:-1]]


def _buffers(arr: pa.LargeStringArray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets from 0, UTF-8 bytes) of an Arrow large_string array, without copying."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    values = arr.buffers()[2]
    data = np.frombuffer(values, dtype=np.uint8) if values is not None else np.zeros(0, np.uint8)
    return offsets - offsets[0], data[offsets[0] : offsets[-1]]


def _byte_features(arr: pa.LargeStringArray) -> dict[str, np.ndarray]:
    offsets, data = _buffers(arr)
    data = data.astype(np.int16)
    # Pairs (i-1, i) inside one row: position i is not a row start.
    inside = np.ones(data.size, dtype=bool)
    inside[offsets[:-1][offsets[:-1] < data.size]] = False
    diff = np.diff(data, prepend=data[:1]) if data.size else data
    repeats = inside & (diff == 0)
    sequential = inside & (np.abs(diff) == 1)
    return {
        "repeats": _per_row_sum(repeats, offsets),
        "sequential": _per_row_sum(sequential, offsets),
    }


def _unique_share(arr: pa.LargeStringArray, chunk: int = 1 << 18) -> np.ndarray:
    """Distinct bytes / bytes per row (0 for the empty password), via a presence table per chunk."""
    out = np.zeros(len(arr))
    for start in range(0, len(arr), chunk):
        part = arr.slice(start, chunk)
        offsets, data = _buffers(part)
        lengths = np.diff(offsets)
        rows = np.repeat(np.arange(len(part)), lengths)
        seen = np.zeros((len(part), 256), dtype=bool)
        seen[rows, data] = True
        out[start : start + len(part)] = seen.sum(axis=1) / np.maximum(lengths, 1)
    return out


def hand_features(passwords: Iterable[str] | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Hand-made features, one row per password, columns in FEATURE_NAMES order."""
    arr = as_arrow(passwords)
    cols: dict[str, np.ndarray] = {}
    length = pc.utf8_length(arr).to_numpy().astype(np.float64)
    cols["length"] = length
    cols["n_bytes"] = pc.binary_length(arr).to_numpy().astype(np.float64)
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
    for name, pattern in _REGEX_FLAGS.items():
        cols[name] = pc.match_substring_regex(arr, pattern).to_numpy(zero_copy_only=False)
    trailing = pc.extract_regex(arr, r"(?P<d>[0-9]*)$").field("d")
    cols["trailing_digits"] = pc.utf8_length(trailing).to_numpy()
    cols.update(_byte_features(arr))
    cols["unique_share"] = _unique_share(arr)
    # float32 like the n-gram matrix, so the stacked design matrix stays float32 (half the RAM)
    return np.column_stack([np.asarray(cols[n], dtype=np.float32) for n in FEATURE_NAMES])


class HandFeatures(TransformerMixin, BaseEstimator):
    """sklearn wrapper so the features live inside the one saved Pipeline."""

    def fit(self, X, y=None):  # noqa: N803 - sklearn's signature
        self.n_features_out_ = len(FEATURE_NAMES)
        return self

    def transform(self, X):  # noqa: N803
        return hand_features(X)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(FEATURE_NAMES, dtype=object)
