"""Hashes of password bytes: keyed SipHash-2-4 (split membership, the leak lookup) and the
multiply constants of the n-gram and Markov feature hashes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

# pandas' documented default SipHash key.
DEFAULT_HASH_KEY = "0123456789123456"
# Below this many passwords, hashing an object array skips pandas' Series set-up;
# above it, the Arrow-backed Series path is faster. Both give the same hashes (tested).
SMALL_BATCH = 4096

# Rolling n-gram hashes (pwc.features.ngrams, pwc.features.markov): an FNV-style step per byte, then
# Fibonacci hashing, whose multiply leaves good high bits to take the bucket from.
GRAM_STEP = np.uint64(0x100000001B3)
FIBONACCI = np.uint64(0x9E3779B97F4A7C15)
# The same as Python integers, for the one-password paths (arithmetic mod 2^64 by MASK64).
GRAM_STEP_INT, FIBONACCI_INT, MASK64 = int(GRAM_STEP), int(FIBONACCI), (1 << 64) - 1


HASH_CHUNK = 1 << 20


def siphash(passwords, key: str = DEFAULT_HASH_KEY) -> np.ndarray:
    """64-bit SipHash-2-4 of each password's UTF-8 bytes under a 16-byte `key` (pandas)."""
    if len(passwords) < SMALL_BATCH:
        if isinstance(passwords, pa.Array | pa.ChunkedArray):
            passwords = passwords.to_pylist()
        values = np.asarray(passwords, dtype=object)
        return pd.util.hash_array(values, hash_key=key, categorize=False)
    if not isinstance(passwords, pa.Array | pa.ChunkedArray):
        passwords = pa.array(passwords, pa.large_string())
    # pandas hashes through a Python object per password: a slice at a time bounds that to
    # HASH_CHUNK objects (the whole leak at once:
    # benchmarks/RESULTS.md, "Figures behind the code's choices")
    out = np.empty(len(passwords), dtype=np.uint64)
    for start in range(0, len(passwords), HASH_CHUNK):
        series = pd.Series(
            passwords.slice(start, HASH_CHUNK), dtype=pd.ArrowDtype(pa.large_string())
        )
        hashed = pd.util.hash_pandas_object(series, index=False, categorize=False, hash_key=key)
        out[start : start + len(series)] = hashed.to_numpy()
    return out


def password_hash(passwords: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Stable 64-bit hash of each password's UTF-8 bytes.

    SipHash-2-4 with pandas' fixed documented key: the same bytes get the same hash on every
    machine and run, so a password keeps its split as the data grows.
    """
    return siphash(passwords)


# Whole-string keys (pwc.features.neighbours): a polynomial hash of the bytes, any
# substring's from prefix sums, then the length and a kind mixed in by splitmix64.
_K = GRAM_STEP
_K_INV = np.uint64(pow(int(GRAM_STEP), -1, 1 << 64))
_LENGTH_MIX = np.uint64(0x9E3779B97F4A7C15)
_KIND_MIX = np.uint64(0xD6E8FEB86659FD93)
_POWER_TABLES: dict[int, np.ndarray] = {}


def powers(base: np.uint64, n: int) -> np.ndarray:
    """base^0 .. base^(n-1) mod 2^64, from a table kept and grown (doubled) as batches need."""
    table = _POWER_TABLES.get(int(base))
    if table is None or table.size < n:
        size = max(n, 2 * (0 if table is None else table.size), 1 << 16)
        table = np.full(size, base, dtype=np.uint64)
        table[:1] = 1
        table = _POWER_TABLES[int(base)] = np.cumprod(table, dtype=np.uint64)
    return table[:n]


class SubstringHashes:
    """Prefix sums over a byte buffer: the hash of any [a, e), or of its bytes reversed, in a
    few gathers (pwc.features.neighbours: many substrings of each password). hash(bytes) =
    sum of (byte_i + 1) * K^-i mod 2^64, K = GRAM_STEP (odd, so invertible mod 2^64)."""

    def __init__(self, data: np.ndarray, reverse: bool = False):
        n = data.size
        self.up = powers(_K, n + 1)
        self.down = powers(_K_INV, n + 1)
        v = data.astype(np.uint64) + np.uint64(1)
        self.fwd = np.concatenate(([np.uint64(0)], np.cumsum(v * self.down[:n], dtype=np.uint64)))
        if reverse:  # only where reversed strings are hashed
            self.rev = np.concatenate(([np.uint64(0)], np.cumsum(v * self.up[:n], dtype=np.uint64)))

    def forward(self, a: np.ndarray, e: np.ndarray) -> np.ndarray:
        return self.up[a] * (self.fwd[e] - self.fwd[a])

    def reverse(self, a: np.ndarray, e: np.ndarray) -> np.ndarray:
        """hash of bytes[a:e] reversed: sum over i of v[e-1-i] K^-i = K^-(e-1) sum v_j K^j."""
        return self.down[np.maximum(e - 1, 0)] * (self.rev[e] - self.rev[a])


def string_key(h: np.ndarray, length: np.ndarray, kind: int) -> np.ndarray:
    """The table key of a string hash: its length and kind mixed in, then splitmix64."""
    salt = np.uint64((kind * int(_KIND_MIX)) & ((1 << 64) - 1))  # no numpy scalar overflow
    z = h + length.astype(np.uint64) * _LENGTH_MIX + salt
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


# SubstringHashes' and string_key's arithmetic in Python integers (one-password paths).
K_INV_INT = int(_K_INV)  # the next byte's weight (pwc.features.neighbours.one)
_MIXES = (int(_LENGTH_MIX), int(_KIND_MIX), 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)


def string_hash_int(raw: bytes) -> int:
    h, weight = 0, 1
    for byte in raw:
        h = (h + (byte + 1) * weight) & MASK64
        weight = weight * K_INV_INT & MASK64
    return h


def string_key_int(h: int, length: int, kind: int) -> int:
    length_mix, kind_mix, first, second = _MIXES
    z = (h + length * length_mix + kind * kind_mix) & MASK64
    z = ((z ^ (z >> 30)) * first) & MASK64
    z = ((z ^ (z >> 27)) * second) & MASK64
    return z ^ (z >> 31)


def ngram_windows(data: np.ndarray, offsets: np.ndarray, order: int):
    """The Markov model's rolling n-gram hashes (pwc.features.markov). For each order
    k = 1..order: (predicted, inside, n-gram hash, context hash) at every
    position p. The n-gram is data[p-k+1 .. p]; it is `inside` its password when it does not
    cross the password's start. `predicted`: p is a byte to predict (any but START). The
    context hash (data[p-k+1 .. p-1]) equals the (k-1)-gram hash at p-1, so the (k-1)-gram
    counts double as the context counts of order k."""
    size = data.size
    row_start = np.repeat(offsets[:-1], np.diff(offsets))
    position = np.arange(size, dtype=np.int64)
    predicted = position != row_start  # START is given, never predicted
    values = data.astype(np.uint64) + np.uint64(1)
    gram = np.zeros(size, dtype=np.uint64)  # hash of data[p-k+1 .. p], grown leftward
    for k in range(1, order + 1):
        context = np.zeros(size, dtype=np.uint64)
        context[1:] = gram[:-1]  # the (k-1)-gram ending at p-1
        shifted = np.zeros(size, dtype=np.uint64)
        shifted[k - 1 :] = values[: max(size - k + 1, 0)]
        gram = gram * GRAM_STEP + shifted
        inside = position - k + 1 >= row_start
        yield k, predicted, inside, gram, context
