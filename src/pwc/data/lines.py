"""Text files as lines: split without a Python loop per line (LF or CRLF, a BOM dropped,
NUL bytes refused), decoded as UTF-8 where valid and Latin-1 (flagged) elsewhere. Used by
ingest for whole files and by batch predict chunk by chunk."""

from __future__ import annotations

import codecs

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pwc.errors import DataError

# A file where more lines than this share fail UTF-8 is not the text it claims to be.
MAX_LATIN1_SHARE = 0.01


def _line_of(buf: np.ndarray, pos: int) -> int:
    return int(np.count_nonzero(buf[:pos] == 10)) + 1


def without_bom(raw: bytes) -> bytes:
    return raw[len(codecs.BOM_UTF8) :] if raw.startswith(codecs.BOM_UTF8) else raw


def _line_bounds(buf: np.ndarray, raw: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(newline positions, line starts, line ends) of a buffer."""
    newlines = np.flatnonzero(buf == 10)
    ends = newlines if raw.endswith(b"\n") else np.append(newlines, buf.size)
    starts = np.concatenate(([0], newlines + 1))[: ends.size]
    return newlines, starts, ends


def _all_end_in_cr(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bool:
    return bool(((ends - starts) >= 1).all() and (buf[ends - 1] == 13).all())


def ends_in_crlf(raw: bytes) -> bool:
    """Whether every line of `raw` ends in \\r\\n: split_lines' rule for a CRLF file."""
    buf = np.frombuffer(without_bom(raw), dtype=np.uint8)
    _, starts, ends = _line_bounds(buf, raw)
    return ends.size > 0 and _all_end_in_cr(buf, starts, ends)


def split_lines(raw: bytes, name: str, crlf: bool | None = None) -> pa.LargeBinaryArray:
    """Split a text file into lines (bytes), without copying line by line in Python.

    `crlf`: whether lines end in \\r\\n; None decides from `raw` (every line ends in \\r).
    A reader going chunk by chunk decides once, on the first chunk, and passes it on.
    """
    if crlf is None:  # the whole file, or its first chunk
        raw = without_bom(raw)
        if not raw.strip(b"\r\n"):
            raise DataError(f"{name}: file is empty")
    buf = np.frombuffer(raw, dtype=np.uint8)
    nul = np.flatnonzero(buf == 0)
    if nul.size:
        raise DataError(
            f"{name}: NUL byte at line {_line_of(buf, int(nul[0]))}: binary data, not a text file"
        )
    newlines, starts, ends = _line_bounds(buf, raw)
    drop = np.zeros(buf.size, dtype=bool)
    drop[newlines] = True
    # A CRLF file: every line ends in \r. A lone \r elsewhere stays part of the password
    # (validate quarantines it as a control character).
    if crlf is None:
        crlf = _all_end_in_cr(buf, starts, ends)
    if crlf:
        strip = (ends - starts >= 1) & (buf[np.maximum(ends - 1, 0)] == 13)
        drop[ends[strip] - 1] = True
        ends = ends - strip
    values = buf[~drop]
    offsets = np.concatenate(([0], np.cumsum(ends - starts))).astype(np.int64)
    return pa.Array.from_buffers(
        pa.large_binary(), ends.size, [None, pa.py_buffer(offsets), pa.py_buffer(values)]
    )


def decode_lines(lines: pa.LargeBinaryArray, name: str) -> tuple[pa.LargeStringArray, np.ndarray]:
    """UTF-8 where valid, else Latin-1 (flagged). Only non-ASCII lines are looked at in Python."""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[: len(lines) + 1]
    values = np.frombuffer(lines.buffers()[2], dtype=np.uint8)[: offsets[-1]]
    high = np.flatnonzero(values >= 0x80)
    rows = np.unique(np.searchsorted(offsets, high, side="right") - 1)
    latin1 = np.zeros(len(lines), dtype=bool)
    fixed: list[bytes] = []
    for i in rows:
        line = values[offsets[i] : offsets[i + 1]].tobytes()
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            latin1[i] = True
            fixed.append(line.decode("latin-1").encode("utf-8"))
    n_bad = int(latin1.sum())
    if n_bad > max(100, MAX_LATIN1_SHARE * len(lines)):
        raise DataError(
            f"{name}: {n_bad:,} of {len(lines):,} lines are not valid UTF-8: not a UTF-8 text file"
        )
    if n_bad:
        lines = pc.replace_with_mask(lines, pa.array(latin1), pa.array(fixed, pa.large_binary()))
    return lines.cast(pa.large_string()), latin1
