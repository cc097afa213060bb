"""Each feature family's two ways to the same numbers, and the one switch between them.

`many(arr)` is vectorised over an Arrow array (training and batch scoring); `few(passwords)`
computes the same numbers in plain Python, a password at a time: for the API's usual
request of one password it beats numpy's per-call costs (benchmarks/RESULTS.md, "Figures
behind the code's choices"). A family's transformer inherits `TwoPaths` and defines both;
tests/code/test_feature_paths.py checks every family's two paths equal on the same rows.
"""

from __future__ import annotations

from pwc.numerics import FEW
from pwc.text import as_arrow


def few_path(n_rows: int, leave_one_out: bool = False) -> bool:
    """Whether `n_rows` rows go the plain-Python way: up to `numerics.FEW`, never when
    leaving each row out (only the batch path knows the counted rows)."""
    return n_rows <= FEW and not leave_one_out


class TwoPaths:
    """`transform(X)`: `few` for a password or two, `many` otherwise (the same numbers)."""

    def many(self, arr):
        raise NotImplementedError

    def few(self, passwords: list[str]):
        raise NotImplementedError

    def transform(self, X):  # noqa: N803 - sklearn's signature
        arr = as_arrow(X)
        if few_path(len(arr), getattr(self, "_leave_one_out", False)):
            return self.few(arr.to_pylist())
        return self.many(arr)
