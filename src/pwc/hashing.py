"""Hashes of password bytes: keyed SipHash-2-4 (split membership, the leak lookup) and the
multiply constants of the n-gram and Markov feature hashes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

# pandas' documented default SipHash key.
DEFAULT_HASH_KEY = "0123456789123456"
# Below this many passwords, hashing an object array skips pandas' Series set-up (~0.1 ms);
# above it, the Arrow-backed Series path is faster. Both give the same hashes (tested).
SMALL_BATCH = 4096

# Rolling n-gram hashes (pwc.ngrams, pwc.markov): an FNV-style step per byte, then
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
    # pandas hashes through a Python object per password: a slice at a time bounds that
    # to HASH_CHUNK objects (the whole leak at once peaked at ~2.5 GB in evaluate)
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
