"""HIBP's answer for a prefix: the text of `GET /range/{prefix}`, padded when asked."""

from __future__ import annotations

import re
import secrets

import numpy as np

from pwc.breach.index import Entry, RangeIndex

# HIBP's Add-Padding: every answer holds a random 800-1,000 lines, the extra ones count 0
PAD_MIN, PAD_MAX = 800, 1000
# a prefix, as the route's schema states it and parse_prefix checks it
PREFIX_PATTERN = "^[0-9A-Fa-f]{5}$"


def parse_prefix(text: str) -> int:
    """A 5-hex-character prefix, either case, as an integer; ValueError names the rule."""
    if not re.fullmatch(PREFIX_PATTERN, text):
        raise ValueError("the prefix must be exactly 5 hexadecimal characters (0-9, A-F)")
    return int(text, 16)


def answer(index: RangeIndex, prefix: int, pad: bool = False) -> str:
    """The text HIBP answers for a prefix: `SUFFIX:COUNT` lines joined by CRLF; padded with
    random count-0 suffixes to a random 800-1,000 lines when asked."""
    entries = index.bucket(prefix)
    missing = PAD_MIN + secrets.randbelow(PAD_MAX - PAD_MIN + 1) - len(entries) if pad else 0
    if missing <= 0:
        return "\r\n".join(f"{e.suffix}:{e.count}" for e in entries)
    return _padded(entries, missing, index.mode.hex_chars - 5)


def _padded(entries: list[Entry], missing: int, width: int) -> str:
    """The real lines among `missing` random count-0 lines, all in suffix order. Built as
    arrays (a line at a time in Python was most of a padded answer's time). A random suffix
    equals a real one with probability ~1e-39 per pair: not checked."""
    step = width + width % 2
    text = secrets.token_bytes(missing * step // 2).hex().upper().encode("ascii")
    chars = np.frombuffer(text, "S1").reshape(missing, step)[:, :width]
    suffixes = np.sort(np.ascontiguousarray(chars).view(f"S{width}").ravel())
    rows = np.empty((missing, width + 4), "S1")
    rows[:, :width] = suffixes.view("S1").reshape(missing, width)
    rows[:, width:] = [b":", b"0", b"\r", b"\n"]
    blob, size = rows.tobytes(), width + 4
    cuts = np.searchsorted(suffixes, [e.suffix.encode("ascii") for e in entries]).tolist()
    parts, done = [], 0
    for entry, cut in zip(entries, cuts, strict=True):
        parts += [blob[done * size : cut * size], f"{entry.suffix}:{entry.count}\r\n".encode()]
        done = cut
    parts.append(blob[done * size :])
    return b"".join(parts)[:-2].decode("ascii")
