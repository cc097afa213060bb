"""The browser meter's features: integers only, so meter.js computes the same values.

Per password, from its UTF-8 bytes: its length, counts of byte classes, class changes,
repeats and steps of one, trailing digits; and from the n-gram tables (pwc.meter.tables) for
each order n, the summed cost using orders up to n and the number of bytes order n knew, plus
the largest single cost. `names` is the order meter.js writes them in.
"""

from __future__ import annotations

import numpy as np

from pwc.meter.tables import chain, padded

# byte classes: 0 lower, 1 upper, 2 digit, 3 other ASCII, 4 non-ASCII (UTF-8 bytes >= 0x80)
_CLASS = np.full(256, 3, dtype=np.int8)
_CLASS[ord("a") : ord("z") + 1] = 0
_CLASS[ord("A") : ord("Z") + 1] = 1
_CLASS[ord("0") : ord("9") + 1] = 2
_CLASS[0x80:] = 4
CLASS_NAMES = ("lower", "upper", "digit", "symbol", "non_ascii")
SIMPLE = ("bytes", *CLASS_NAMES, "class_changes", "repeats", "steps", "trailing_digits")


def names(order: int) -> tuple[str, ...]:
    return (
        *SIMPLE,
        *(f"cost_{n}" for n in range(1, order + 1)),
        *(f"known_{n}" for n in range(1, order + 1)),
        "max_cost",
    )


def _per_row(values: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(rows, weights=values, minlength=n).astype(np.int64)


def simple(data: np.ndarray, rows: np.ndarray, inner: np.ndarray, n: int) -> np.ndarray:
    """The byte features (n rows x len(SIMPLE)) of the password bytes `data[inner]`."""
    b = data[inner]
    r = rows[inner]
    cls = _CLASS[b]
    out = np.zeros((n, len(SIMPLE)), dtype=np.int64)
    out[:, 0] = np.bincount(r, minlength=n)
    for c in range(5):
        out[:, 1 + c] = np.bincount(r[cls == c], minlength=n)
    same_row = np.zeros(b.size, dtype=bool)
    same_row[1:] = r[1:] == r[:-1]
    prev_b = np.roll(b, 1).astype(np.int16)
    out[:, 6] = np.bincount(r[same_row & (cls != np.roll(cls, 1))], minlength=n)
    out[:, 7] = np.bincount(r[same_row & (b == prev_b)], minlength=n)
    out[:, 8] = np.bincount(r[same_row & (np.abs(b.astype(np.int16) - prev_b) == 1)], minlength=n)
    # trailing digits: digits with no non-digit after them in the row
    last_non_digit = np.full(n, -1, dtype=np.int64)
    idx = np.arange(b.size, dtype=np.int64)
    non_digit = cls != 2
    np.maximum.at(last_non_digit, r[non_digit], idx[non_digit])
    out[:, 9] = np.bincount(r[(cls == 2) & (idx > last_non_digit[r])], minlength=n)
    return out


def features(passwords, tables, values: list[np.ndarray] | None = None) -> np.ndarray:
    """The feature matrix (int64, rows x names(order)). `values`: each position's table values
    per order, when the caller computed them otherwise (leave-one-out in training)."""
    data, rows, scored = padded(passwords, tables.order)
    n = len(passwords)
    at = np.flatnonzero(scored)
    inner = _password_bytes(rows, scored)
    if values is None:
        values = tables.values(data, at)
    costs = chain(values, tables.backoff)
    r = rows[at]
    cols = [simple(data, rows, inner, n)]
    cols.append(np.column_stack([_per_row(c, r, n) for c in costs]))
    cols.append(np.column_stack([_per_row((v > 0).astype(np.int64), r, n) for v in values]))
    top = np.zeros(n, dtype=np.int64)
    np.maximum.at(top, r, costs[-1])
    cols.append(top[:, None])
    return np.concatenate(cols, axis=1)


def _password_bytes(rows: np.ndarray, scored: np.ndarray) -> np.ndarray:
    """The scored positions but each row's last (END)."""
    last = np.ones(rows.size, dtype=bool)
    last[:-1] = rows[1:] != rows[:-1]
    return scored & ~last
