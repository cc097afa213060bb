"""Passwords as text and as bytes: the Arrow array every module reads, its UTF-8 buffers,
and the one UTF-8 check the API and the CLI apply to their input."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

# Markers around each password so prefixes and suffixes get n-grams of their own. Control
# bytes: validation quarantines passwords containing them.
START, END = 0x02, 0x03


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


def byte_buffers(arr: pa.LargeStringArray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets from 0, UTF-8 bytes) of an Arrow large_string array, without copying."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    values = arr.buffers()[2]
    data = np.frombuffer(values, dtype=np.uint8) if values is not None else np.zeros(0, np.uint8)
    return offsets - offsets[0], data[offsets[0] : offsets[-1]]


def padded_bytes(passwords) -> tuple[np.ndarray, np.ndarray]:
    """(bytes with START/END around each password, row offsets into them)."""
    offsets, data = byte_buffers(as_arrow(passwords))
    lengths = np.diff(offsets)
    n = lengths.size
    starts = offsets[:-1] + 2 * np.arange(n)  # row i gains 2 bytes per earlier row
    out = np.empty(data.size + 2 * n, dtype=np.uint8)
    out[starts] = START
    out[starts + lengths + 1] = END
    inner = np.ones(out.size, dtype=bool)
    inner[starts] = False
    inner[starts + lengths + 1] = False
    out[inner] = data
    padded_offsets = np.append(starts, out.size).astype(np.int64)
    return out, padded_offsets


def is_utf8(text: str) -> bool:
    """False for strings with lone surrogates (undecodable input), which have no UTF-8 bytes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_utf8(text: str) -> str:
    """`text`, or a ValueError (without the text: it is a password) when it has no UTF-8."""
    if not is_utf8(text):
        raise ValueError("must be valid Unicode (no lone surrogates)")
    return text
