"""The browser meter as one binary file, and its Python reference scorer.

`Meter.score` is the arithmetic meter.js runs, step for step: integer features, integer tree
sums, then guesses_log10 = q / SCALE and guesses = STEP[q % SCALE] * 10^(q // SCALE) from
tables both build the same way (repeated products and parsed decimal powers, each an IEEE
operation rounded once). So the two agree bit for bit, which tests/web checks in Node and
Chromium.

File layout (little-endian): b"PWCM", uint32 header length, the header (JSON); per order its
sorted n-gram keys as LEB128 varints of their differences (the first from 0), then their
costs (uint8); zero bytes to a multiple of 4; the forest as int32 arrays: feature,
threshold, left, right, value (one entry per node), roots. The header gives each order's
entries and key bytes.
"""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np

from pwc.answer.bound import count, lengths_and_sizes
from pwc.meter.features import features, names
from pwc.meter.tables import UNSEEN, Tables
from pwc.meter.trees import SCALE, Forest
from pwc.text import as_arrow, check_utf8

MAGIC = b"PWCM"
FORMAT = 1
MAX_LOG10 = 308
# log10(2) / 2 (a table cost step: half a bit) in 1/SCALE log10 steps, as a ratio over 1024:
# floor(cost * 631305 / 1024) (exact in float64 and in integers)
COST_TO_Q = 631305
# 10^(1/SCALE), the ratio of neighbouring guesses steps, written out: `**` would call libm's
# pow, whose last bit may depend on the CPU (the file's header keeps these exact bits)
STEP_RATIO = 1.0005623126022087
_FOREST = ("feature", "threshold", "left", "right", "value")


def _pad4(n: int) -> bytes:
    return b"\0" * (-n % 4)


def varints(keys: np.ndarray) -> bytes:
    """Sorted uint32 keys as LEB128 varints of their differences."""
    d = np.diff(keys.astype(np.int64), prepend=0)
    size = 1 + sum((d >= (1 << (7 * j))).astype(np.int64) for j in range(1, 5))
    ends = np.cumsum(size)
    out = np.zeros(int(ends[-1]) if d.size else 0, dtype=np.uint8)
    for j in range(5):
        has = size > j
        more = (size > j + 1).astype(np.int64) << 7
        out[(ends - size + j)[has]] = ((d[has] >> (7 * j)) & 0x7F) | more[has]
    return out.tobytes()


def from_varints(raw: np.ndarray, n: int) -> np.ndarray:
    """The sorted uint32 keys `varints` wrote (n of them)."""
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    last = (raw & 0x80) == 0
    group = np.concatenate([[0], np.cumsum(last)[:-1]])
    first = np.concatenate([[0], np.flatnonzero(last)[:-1] + 1])
    place = np.arange(raw.size) - first[group]
    parts = (raw.astype(np.int64) & 0x7F) << (7 * place)
    deltas = np.zeros(n, dtype=np.int64)
    np.add.at(deltas, group, parts)
    keys = np.cumsum(deltas)
    if n and keys[-1] >= 1 << 32:
        raise ValueError("meter file: n-gram keys beyond 32 bits")
    return keys.astype(np.uint32)


def step_table() -> list[float]:
    """10^(k/SCALE) for k < SCALE by repeated products from 1 (meter.js builds the same)."""
    out = [1.0]
    for _ in range(SCALE - 1):
        out.append(out[-1] * STEP_RATIO)
    return out


POWERS = [float(f"1e{n}") for n in range(MAX_LOG10 + 1)]  # parsed: correctly rounded


class Meter:
    """Tables + trees + the record's rules (thresholds, length limit, beyond the leak)."""

    def __init__(
        self,
        tables: Tables,
        forest: Forest,
        thresholds: tuple[float, ...],
        beyond_from: float,
        beyond_markov_from: float,
        max_length: int = 128,
    ):
        self.tables = tables
        self.forest = forest
        self.thresholds = tuple(float(t) for t in thresholds)
        # in 1/SCALE steps, as the file keeps them
        self.beyond_from_q = int(round(beyond_from * SCALE))
        self.beyond_markov_from_q = int(round(beyond_markov_from * SCALE))
        self.max_length = max_length
        self._steps = np.array(step_table())
        self._powers = np.array(POWERS)

    # -- the file ------------------------------------------------------------------------
    def header(self) -> dict:
        return {
            "format": FORMAT,
            "features": list(names(self.tables.order)),
            "key_bits": self.tables.key_bits,
            "entries": [int(k.size) for k in self.tables.keys],
            "key_bytes": [len(varints(k)) for k in self.tables.keys],
            "backoff": [int(b) for b in self.tables.backoff],
            "unseen": UNSEEN,
            "scale": SCALE,
            "base": self.forest.base,
            "nodes": int(self.forest.left.size),
            "trees": int(self.forest.roots.size),
            "thresholds": list(self.thresholds),
            "beyond_from_q": self.beyond_from_q,
            "beyond_markov_from_q": self.beyond_markov_from_q,
            "cost_to_q": COST_TO_Q,
            "step_ratio": STEP_RATIO,
            "max_log10": MAX_LOG10,
            "max_length": self.max_length,
        }

    def to_bytes(self) -> bytes:
        head = json.dumps(self.header(), separators=(",", ":"), sort_keys=True).encode()
        parts = [MAGIC, struct.pack("<I", len(head)), head]
        size = 8 + len(head)
        for keys, costs in zip(self.tables.keys, self.tables.costs, strict=True):
            parts += [varints(keys), costs.tobytes()]
            size += len(parts[-2]) + costs.size
        parts.append(_pad4(size))
        for name in _FOREST:
            parts.append(getattr(self.forest, name).astype("<i4").tobytes())
        parts.append(self.forest.roots.astype("<i4").tobytes())
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Meter:
        if raw[:4] != MAGIC:
            raise ValueError("not a meter file (no PWCM magic)")
        (n,) = struct.unpack_from("<I", raw, 4)
        head = json.loads(raw[8 : 8 + n])
        if head.get("format") != FORMAT:
            raise ValueError(f"meter file format {head.get('format')}, this code reads {FORMAT}")
        keys_end = 8 + n + sum(head["key_bytes"]) + sum(head["entries"])
        size = keys_end + (-keys_end % 4) + 4 * (5 * head["nodes"] + head["trees"])
        if size != len(raw):
            raise ValueError(
                f"meter file is truncated or has trailing bytes ({len(raw)} of {size})"
            )
        pos = 8 + n
        keys, costs = [], []
        for entries, size in zip(head["entries"], head["key_bytes"], strict=True):
            keys.append(from_varints(np.frombuffer(raw, np.uint8, size, pos), entries))
            costs.append(np.frombuffer(raw, np.uint8, entries, pos + size))
            pos += size + entries
        pos += -pos % 4
        arrays = {}
        for name in _FOREST:
            arrays[name] = np.frombuffer(raw, "<i4", head["nodes"], pos)
            pos += 4 * head["nodes"]
        roots = np.frombuffer(raw, "<i4", head["trees"], pos)
        forest = Forest(**arrays, roots=roots, base=head["base"])
        tables = Tables(keys, costs, head["backoff"], head["key_bits"])
        meter = cls(tables, forest, tuple(head["thresholds"]), 0, 0, head["max_length"])
        meter.beyond_from_q = head["beyond_from_q"]
        meter.beyond_markov_from_q = head["beyond_markov_from_q"]
        meter.max_length = head["max_length"]
        return meter

    @property
    def version(self) -> str:
        return "meter-" + hashlib.sha256(self.to_bytes()).hexdigest()[:12]

    # -- scoring -------------------------------------------------------------------------
    def quantised(self, passwords) -> np.ndarray:
        """Each password's guesses_log10 in 1/SCALE steps (an integer)."""
        arr = as_arrow(passwords)
        x = features(arr, self.tables)
        q = self.forest.predict(x)
        # past the leak's last ranks the n-gram cost says how far (params.yaml meter)
        cost = x[:, names(self.tables.order).index(f"cost_{self.tables.order}")]
        markov_q = (cost * COST_TO_Q) // 1024
        beyond = np.maximum(markov_q - self.beyond_markov_from_q, 0)
        q = np.where(q >= self.beyond_from_q, q + beyond, q)
        return np.clip(q, 0, MAX_LOG10 * SCALE)

    def check(self, passwords: list[str]) -> None:
        """The API's rules: at most max_length characters, valid Unicode."""
        for i, p in enumerate(passwords):
            check_utf8(p)
            if len(p) > self.max_length:
                raise ValueError(f"password {i}: over {self.max_length} characters")

    def guesses(self, q: np.ndarray) -> np.ndarray:
        """10^(q / SCALE) from the tables, as meter.js computes it."""
        return self._steps[q % SCALE] * self._powers[q // SCALE]

    def capped(self, q: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(q lowered to the largest step at or below `limit` where its guesses exceed it,
        which rows were lowered): a binary search, as meter.js's."""
        over = self.guesses(q) > limit
        if over.any():
            low, high = np.zeros_like(q), q.copy()
            for _ in range(int(MAX_LOG10 * SCALE).bit_length()):
                mid = (low + high + 1) // 2
                fits = self.guesses(mid) <= limit
                low, high = np.where(fits, mid, low), np.where(fits, high, mid - 1)
            q = np.where(over, low, q)
        return q, over

    def score(self, passwords, user_input_guesses=None) -> dict[str, np.ndarray]:
        """The record: guesses_log10, guesses, score, source ("model"; "brute_force" when
        trying every string of its length and classes takes fewer guesses; "user_input" when
        `user_input_guesses`, zxcvbn's count of a reading built on the user inputs (inf for
        none), is fewer still)."""
        q = self.quantised(passwords)
        source = np.full(len(q), "model", dtype=object)
        caps = {"brute_force": brute_force_count(passwords), "user_input": user_input_guesses}
        for name, limit in caps.items():
            if limit is not None:
                q, lowered = self.capped(q, np.asarray(limit, dtype=np.float64))
                source[lowered] = name
        log10 = q / SCALE
        score = np.searchsorted(np.array(self.thresholds), log10, side="right").astype(np.int8)
        return {
            "guesses_log10": log10,
            "guesses": self.guesses(q),
            "score": score,
            "source": source,
        }


def brute_force_count(passwords) -> np.ndarray:
    """Every string of up to the password's length over its classes (pwc.answer.bound), the
    count meter.js computes."""
    return count(*lengths_and_sizes(as_arrow(passwords)))
