"""A breach corpus's range index as the scorer's leak lookup: a password whose SHA-1 is in it
is answered from it (source "leak", guess rank from its count), whether or not it was in the
training leak. The serve setting PWC_BREACH_INDEX and `score --breach-index` switch it on."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pwc.breach.hashes import MODES
from pwc.breach.index import RangeIndex
from pwc.text import as_arrow


@dataclass(frozen=True)
class BreachLookup:
    """`pwc.lookup.LookupTable`'s find/find_one over a SHA-1 range index."""

    index: RangeIndex

    def __post_init__(self):
        if self.index.mode.name != "sha1":
            raise ValueError(f"{self.index.path}: a breach lookup needs a sha1 index")

    @property
    def entries(self) -> int:
        return self.index.entries

    def find(self, passwords) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(found, guess_rank, count) per password; NaN and -1 where not found."""
        digests = MODES["sha1"].digests(as_arrow(passwords).to_pylist())
        times = np.array([self.index.count(bytes(d)) for d in digests], np.int64)
        found = times > 0
        rank = np.full(len(times), np.nan)
        rank[found] = [self.index.guess_rank(int(c)) for c in times[found]]
        times[~found] = -1
        return found, rank, times

    def find_one(self, passwords) -> float | None:
        found, rank, _ = self.find(passwords)
        return float(rank[0]) if found[0] else None


@dataclass(frozen=True)
class Chained:
    """The first lookup's answer, else the second's (the training leak, then a corpus)."""

    first: object
    second: object

    @property
    def entries(self) -> int:
        return self.first.entries + self.second.entries

    def find(self, passwords) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        found, rank, times = self.first.find(passwords)
        if not found.all():
            rest = np.flatnonzero(~found)
            more, more_rank, more_times = self.second.find(as_arrow(passwords).take(rest))
            found[rest], rank[rest[more]], times[rest[more]] = (
                more,
                more_rank[more],
                more_times[more],
            )
        return found, rank, times

    def find_one(self, passwords) -> float | None:
        rank = self.first.find_one(passwords)
        return rank if rank is not None else self.second.find_one(passwords)


def with_breach_index(scorer, path) -> object:
    """The scorer with a breach corpus's index after its own lookup (or as its lookup)."""
    breach = BreachLookup(RangeIndex(path))
    lookup = breach if scorer.lookup is None else Chained(scorer.lookup, breach)
    return replace(scorer, lookup=lookup)
