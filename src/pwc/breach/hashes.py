"""The digests Have I Been Pwned's range API is keyed by, for many passwords at once.

SHA-1 of the password's UTF-8 bytes (hashlib), and NTLM: MD4 of its UTF-16LE code units. MD4
is not in OpenSSL 3's default provider, so it is computed here over numpy arrays, all
passwords of one block count together (RFC 1320; tests check it against pycryptodome's MD4).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

_U32 = np.uint32
# RFC 1320's round constants and shifts; the word order of rounds 2 and 3
_R2, _R3 = _U32(0x5A827999), _U32(0x6ED9EBA1)
_ORDER2 = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15]
_ORDER3 = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15]
_SHIFTS = ((3, 7, 11, 19), (3, 5, 9, 13), (3, 9, 11, 15))


def _rotl(x: np.ndarray, s: int) -> np.ndarray:
    return (x << _U32(s)) | (x >> _U32(32 - s))


def _md4_blocks(words: np.ndarray) -> np.ndarray:
    """MD4 of padded messages: words (n, blocks, 16) little-endian uint32 -> (n, 4) state."""
    state = [np.full(len(words), v, _U32) for v in (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476)]
    rounds = (
        (lambda x, y, z: (x & y) | (~x & z), range(16), _U32(0)),
        (lambda x, y, z: (x & y) | (x & z) | (y & z), _ORDER2, _R2),
        (lambda x, y, z: x ^ y ^ z, _ORDER3, _R3),
    )
    with np.errstate(over="ignore"):
        for b in range(words.shape[1]):
            x = words[:, b, :]
            a, bb, c, d = state
            for (f, order, k), shifts in zip(rounds, _SHIFTS, strict=True):
                for i, w in enumerate(order):
                    a = _rotl(a + f(bb, c, d) + x[:, w] + k, shifts[i % 4])
                    a, bb, c, d = d, a, bb, c
            state = [s + t for s, t in zip(state, (a, bb, c, d), strict=True)]
    return np.stack(state, axis=1)


def _pad(messages: Sequence[bytes], blocks: int) -> np.ndarray:
    """MD4/MD5 padding of messages that all take `blocks` 64-byte blocks -> uint32 words."""
    lengths = np.fromiter((len(m) for m in messages), np.int64, len(messages))
    out = np.zeros((len(messages), blocks * 64), np.uint8)
    flat = np.frombuffer(b"".join(messages), np.uint8)
    rows = np.repeat(np.arange(len(messages)), lengths)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[rows, np.arange(len(flat)) - starts] = flat
    out[np.arange(len(messages)), lengths] = 0x80
    bits = (lengths * 8).astype("<u8").view(np.uint8).reshape(-1, 8)
    out[:, -8:] = bits
    return out.view("<u4").astype(_U32).reshape(len(messages), blocks, 16)


def md4(messages: Sequence[bytes]) -> np.ndarray:
    """MD4 digests of byte strings, (n, 16) uint8."""
    out = np.zeros((len(messages), 16), np.uint8)
    blocks = np.fromiter(((len(m) + 8) // 64 + 1 for m in messages), np.int64, len(messages))
    for b in np.unique(blocks):
        rows = np.flatnonzero(blocks == b)
        state = _md4_blocks(_pad([messages[i] for i in rows], int(b)))
        out[rows] = state.astype("<u4").view(np.uint8)
    return out


def sha1(passwords: Sequence[str]) -> np.ndarray:
    """SHA-1 of each password's UTF-8 bytes, (n, 20) uint8."""
    joined = b"".join(hashlib.sha1(p.encode("utf-8")).digest() for p in passwords)
    return np.frombuffer(joined, np.uint8).reshape(len(passwords), 20)


def ntlm(passwords: Sequence[str]) -> np.ndarray:
    """NTLM (MD4 of UTF-16LE) of each password, (n, 16) uint8."""
    return md4([p.encode("utf-16-le") for p in passwords])


@dataclass(frozen=True)
class Mode:
    """One digest family the range API serves (`?mode=` names it; sha1 is the default)."""

    name: str
    digest_bytes: int
    digests: Callable[[Sequence[str]], np.ndarray]

    @property
    def hex_chars(self) -> int:
        return 2 * self.digest_bytes


# The one table of digest families: the index stage, the API and the client all read it.
MODES: dict[str, Mode] = {m.name: m for m in (Mode("sha1", 20, sha1), Mode("ntlm", 16, ntlm))}
