"""The range index: every known digest under each 5-hex-character prefix with its count, in
one file that workers memory-map and share (docs/breach.md has the layout).

A digest's first 20 bits are its prefix and are not stored: the prefix is the position in the
offsets table. A record is the rest of the digest (35 hex characters for SHA-1, 27 for NTLM)
and one 4-bit count code, so 18 bytes for SHA-1 and 14 for NTLM: the code is the count when
it is 1-15 and 0 when the count is in the bucket's escape bytes (LEB128, in record order).
Records are sorted, so a bucket is already an HIBP answer in HIBP's order. The file ends with
the count histogram (each distinct count and how many digests have it), which gives a count
its guess rank: the mid-rank of its tie, as the leak's targets are.
"""

from __future__ import annotations

import struct
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pwc.breach.hashes import MODES, Mode
from pwc.errors import DataError
from pwc.io import atomic_path

MAGIC = b"PWCRANGE"
VERSION = 1
PREFIX_BITS = 20
PREFIXES = 1 << PREFIX_BITS
MAX_CODE = 15  # counts above it go to the escape bytes
# magic, version, mode, record bytes, records, escape bytes, distinct counts
_HEADER = struct.Struct("<8sI8sIQQQ")
HEADER_BYTES = 64
WRITE_ROWS = 1 << 20


def _align(n: int) -> int:
    return -n % 8


def prefixes(digests: np.ndarray) -> np.ndarray:
    """The 20-bit prefix of each digest, (n,) int64."""
    d = digests[:, :3].astype(np.int64)
    return (d[:, 0] << 12) | (d[:, 1] << 4) | (d[:, 2] >> 4)


def _nibbles(rows: np.ndarray) -> np.ndarray:
    out = np.empty((len(rows), 2 * rows.shape[1]), np.uint8)
    out[:, 0::2], out[:, 1::2] = rows >> 4, rows & 15
    return out


def records(digests: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Digests (n, D) and their counts -> records (n, D - 2): suffix nibbles, then the code."""
    codes = np.where(counts <= MAX_CODE, counts, 0).astype(np.uint8)
    nib = np.concatenate([_nibbles(digests)[:, 5:], codes[:, None]], axis=1)
    return (nib[:, 0::2] << 4) | nib[:, 1::2]


def leb128(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LEB128 bytes of non-negative integers, concatenated, and each value's byte count."""
    v = values.astype(np.uint64)
    sizes = np.ones(len(v), np.int64)
    for shift in range(7, 64, 7):
        sizes += v >= (np.uint64(1) << np.uint64(shift))
    out = np.zeros(int(sizes.sum()), np.uint8)
    starts = np.cumsum(sizes) - sizes
    for k in range(int(sizes.max(initial=0))):
        live = sizes > k
        byte = (v[live] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = (sizes[live] > k + 1).astype(np.uint64) << np.uint64(7)
        out[starts[live] + k] = (byte | more).astype(np.uint8)
    return out, sizes


def _sort_keys(digests: np.ndarray) -> list[np.ndarray]:
    """Big-endian uint64 columns whose lexicographic order is the digests' byte order."""
    keys = []
    for start in range(0, digests.shape[1], 8):
        word = np.zeros((len(digests), 8), np.uint8)
        piece = digests[:, start : start + 8]
        word[:, : piece.shape[1]] = piece
        keys.append(word.view(">u8")[:, 0])
    return keys


def strictly_increasing(digests: np.ndarray, previous: np.ndarray | None = None) -> bool:
    """Whether the rows (after `previous`, the last row written) are in ascending byte order
    with no repeat."""
    rows = digests if previous is None else np.concatenate([previous[None, :], digests])
    if len(rows) < 2:
        return True
    a, b = _sort_keys(rows[:-1]), _sort_keys(rows[1:])
    less = np.zeros(len(rows) - 1, bool)
    equal = np.ones(len(rows) - 1, bool)
    for x, y in zip(a, b, strict=True):
        less |= equal & (x < y)
        equal &= x == y
    return bool(less.all())


def sort_unique(digests: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Digests in byte order with the counts of equal digests summed (in memory: one chunk).
    One sort key lives at a time after the sort (the stage's peak it bounds: docs/breach.md)."""
    keys = _sort_keys(digests)
    order = np.lexsort(keys[::-1])
    del keys
    d, c = digests[order], counts[order].astype(np.int64)
    del order
    new = np.zeros(len(d), bool)
    new[0:1] = True
    for key in _sort_keys(d):
        new[1:] |= key[1:] != key[:-1]
    starts = np.flatnonzero(new)
    if len(starts) == len(d):
        return d, c
    return d[starts], np.add.reduceat(c, starts)


class IndexWriter:
    """Writes an index from digests that arrive in ascending order, chunk by chunk: memory is
    one chunk plus the offsets, whatever the corpus size. The file appears atomically."""

    def __init__(self, path: str | Path, mode: Mode):
        self.path, self.mode = Path(path), mode
        self.record_bytes = mode.digest_bytes - 2
        self.per_prefix = np.zeros(PREFIXES, np.int64)
        self.escapes_per_prefix = np.zeros(PREFIXES, np.int64)
        self.last: np.ndarray | None = None
        self.total = 0
        self.count_sum = 0
        self.histogram: dict[int, int] = {}
        self._stack = ExitStack()

    def __enter__(self) -> IndexWriter:
        self.tmp = self._stack.enter_context(atomic_path(self.path))
        self.esc_tmp = self.tmp.with_name(self.tmp.name + ".esc")
        self.out = self._stack.enter_context(self.tmp.open("wb"))
        self.esc = self._stack.enter_context(self.esc_tmp.open("w+b"))
        self._stack.callback(self.esc_tmp.unlink, missing_ok=True)
        self.out.write(bytes(HEADER_BYTES))
        return self

    def add(self, digests: np.ndarray, counts: np.ndarray) -> None:
        if digests.shape[1:] != (self.mode.digest_bytes,):
            raise DataError(f"{self.mode.name}: digests of {digests.shape[1:]} bytes")
        if len(digests) == 0:
            return
        if (counts < 1).any():
            raise DataError(f"{self.mode.name}: a count below 1 (row {int(np.argmax(counts < 1))})")
        if not strictly_increasing(digests, self.last):
            raise DataError(f"{self.mode.name}: digests not unique and ascending (sort_unique)")
        prefix = prefixes(digests)
        self.out.write(records(digests, counts).tobytes())
        big = counts > MAX_CODE
        escape_bytes, sizes = leb128(counts[big])
        self.esc.write(escape_bytes.tobytes())
        self.per_prefix += np.bincount(prefix, minlength=PREFIXES)
        escaped = np.bincount(prefix[big], weights=sizes, minlength=PREFIXES)
        self.escapes_per_prefix += escaped.astype(np.int64)  # sums of small integers: exact
        self.last = digests[-1].copy()
        self.total += len(digests)
        self.count_sum += int(counts.sum())
        for value, n in zip(*np.unique(counts, return_counts=True), strict=True):
            self.histogram[int(value)] = self.histogram.get(int(value), 0) + int(n)

    def __exit__(self, kind, value, tb) -> None:
        try:
            if kind is None:
                self._finish()
        finally:
            self._stack.__exit__(kind, value, tb)

    def _finish(self) -> None:
        self.out.write(bytes(_align(self.total * self.record_bytes)))
        for counts in (self.per_prefix, self.escapes_per_prefix):
            self.out.write(np.concatenate([[0], np.cumsum(counts)]).astype("<u8").tobytes())
        self.esc.seek(0)
        while block := self.esc.read(1 << 24):
            self.out.write(block)
        escapes = int(self.escapes_per_prefix.sum())
        self.out.write(bytes(_align(escapes)))
        pairs = sorted(self.histogram.items(), reverse=True)  # most common first, as ranks go
        self.out.write(np.array(pairs, "<u8").reshape(-1, 2).tobytes())
        self.out.seek(0)
        mode = self.mode.name.encode("ascii")
        header = (MAGIC, VERSION, mode, self.record_bytes, self.total, escapes, len(pairs))
        self.out.write(_HEADER.pack(*header))


def write(path: str | Path, mode: Mode, digests: np.ndarray, counts: np.ndarray) -> None:
    """An index from digests in any order (in memory; equal digests' counts summed)."""
    digests, counts = sort_unique(digests, counts)
    with IndexWriter(path, mode) as writer:
        for start in range(0, len(digests), WRITE_ROWS):  # bounds the records' temporaries
            writer.add(digests[start : start + WRITE_ROWS], counts[start : start + WRITE_ROWS])


@dataclass(frozen=True)
class Entry:
    suffix: str  # upper-case hex, as HIBP writes it
    count: int


class RangeIndex:
    """A memory-mapped index: what one prefix answers, and the count of one digest."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        data = np.memmap(self.path, np.uint8, mode="r")
        if len(data) < HEADER_BYTES:
            raise DataError(f"{self.path}: not a range index (too short)")
        header = _HEADER.unpack_from(data[: _HEADER.size].tobytes())
        magic, version, mode, rec, n, esc, distinct = header
        name = mode.rstrip(b"\0").decode("ascii", "replace")
        if magic != MAGIC or version != VERSION or name not in MODES:
            raise DataError(f"{self.path}: not a version-{VERSION} range index")
        self.mode = MODES[name]
        if rec != self.mode.digest_bytes - 2:
            raise DataError(f"{self.path}: {rec}-byte records for {name}")
        at = HEADER_BYTES + n * rec + _align(n * rec)
        esc_at = at + 2 * 8 * (PREFIXES + 1)
        hist_at = esc_at + esc + _align(esc)
        size = hist_at + 16 * distinct
        if len(data) != size:
            raise DataError(f"{self.path}: {len(data)} bytes, the header says {size}")
        self.records = data[HEADER_BYTES : HEADER_BYTES + n * rec].reshape(n, rec)
        offsets = data[at : at + 2 * 8 * (PREFIXES + 1)].view("<u8").reshape(2, PREFIXES + 1)
        self.offsets, self.escape_offsets = offsets[0], offsets[1]
        self.escapes = data[esc_at : esc_at + esc]
        hist = data[hist_at:size].view("<u8").reshape(-1, 2).astype(np.int64)
        self.rank_counts = hist[:, 0]  # distinct counts, descending
        # the mid-rank of each count's tie: those before it, plus (its size + 1) / 2
        before = np.cumsum(hist[:, 1]) - hist[:, 1]
        self.rank_of_count = before + (hist[:, 1] + 1) / 2
        self.entries = int(n)
        self.bytes = int(size)

    def bucket(self, prefix: int) -> list[Entry]:
        """Every digest under a prefix (0 <= prefix < 2^20), in HIBP's order."""
        lo, hi = int(self.offsets[prefix]), int(self.offsets[prefix + 1])
        width = 2 * self.records.shape[1]
        text = self.records[lo:hi].tobytes().hex().upper()
        first, end = self.escape_offsets[prefix : prefix + 2]
        escapes = self.escapes[int(first) : int(end)]
        at, out = 0, []
        for i in range(0, len(text), width):
            count = int(text[i + width - 1], 16)
            if count == 0:
                count, shift = 0, 0
                while True:
                    byte = int(escapes[at])
                    at += 1
                    count |= (byte & 0x7F) << shift
                    shift += 7
                    if byte < 0x80:
                        break
            out.append(Entry(text[i : i + width - 1], count))
        return out

    def guess_rank(self, count: int) -> float:
        """The guess rank of a digest seen `count` times (>= 1): its tie's mid-rank."""
        pos = int(np.searchsorted(-self.rank_counts, -count))
        return float(self.rank_of_count[pos])

    def count(self, digest: bytes) -> int:
        """How often the digest is in the corpus (0: not in it)."""
        prefix = int(prefixes(np.frombuffer(digest, np.uint8)[None, :])[0])
        suffix = digest.hex().upper()[5:]
        return next((e.count for e in self.bucket(prefix) if e.suffix == suffix), 0)
