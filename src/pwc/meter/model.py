"""The browser meter as one binary file, and its Python reference scorer.

`Meter.score` is the arithmetic meter.js runs, step for step: integer features, integer tree
sums, then guesses_log10 = q / SCALE and guesses = STEP[q % SCALE] * 10^(q // SCALE) from
tables both build the same way (repeated products and parsed decimal powers, each an IEEE
operation rounded once). So the two agree bit for bit, which tests/web checks in Node and
Chromium.

File layout (little-endian): b"PWCM", uint32 header length, the header (JSON), zero bytes
to a multiple of 4, each order's table (uint8, 2^bits), zero bytes to a multiple of 4, then the
forest as int32 arrays: feature, threshold, left, right, value (one entry per node), roots.
"""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np

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
# 10^(1/SCALE), the ratio of neighbouring guesses steps (JSON keeps its exact bits)
STEP_RATIO = 10.0 ** (1.0 / SCALE)
_FOREST = ("feature", "threshold", "left", "right", "value")


def _pad4(n: int) -> bytes:
    return b"\0" * (-n % 4)


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
            "bits": self.tables.bits,
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
        parts = [MAGIC, struct.pack("<I", len(head)), head, _pad4(8 + len(head))]
        size = 0
        for t in self.tables.tables:
            parts.append(t.astype(np.uint8).tobytes())
            size += t.size
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
        pos = 8 + n + (-(8 + n) % 4)
        tables = []
        for b in head["bits"]:
            tables.append(np.frombuffer(raw, np.uint8, 1 << b, pos))
            pos += 1 << b
        pos += -pos % 4
        arrays = {}
        for name in _FOREST:
            arrays[name] = np.frombuffer(raw, "<i4", head["nodes"], pos)
            pos += 4 * head["nodes"]
        roots = np.frombuffer(raw, "<i4", head["trees"], pos)
        if pos + 4 * head["trees"] != len(raw):
            raise ValueError("meter file is truncated or has trailing bytes")
        forest = Forest(**arrays, roots=roots, base=head["base"])
        meter = cls(Tables(tables, head["backoff"]), forest, tuple(head["thresholds"]), 0, 0)
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

    def score(self, passwords) -> dict[str, np.ndarray]:
        """The record: guesses_log10, guesses, score (and source "model")."""
        q = self.quantised(passwords)
        log10 = q / SCALE
        guesses = self._steps[q % SCALE] * self._powers[q // SCALE]
        score = np.searchsorted(np.array(self.thresholds), log10, side="right").astype(np.int8)
        source = np.full(q.size, "model", dtype=object)
        return {"guesses_log10": log10, "guesses": guesses, "score": score, "source": source}
