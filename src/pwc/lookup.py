"""Leak lookup: exact guess ranks for passwords that are in the leak, memory-mapped at serve time.

File layout (little-endian), all arrays 8-byte aligned:
  header   magic "PWCLOOK1", format version, tier dtype, entries, tiers, key id, payload digest
  tiers    float64 guess_rank[tiers], int64 times[tiers] (-1 = no count)
  hashes   uint64[entries], sorted ascending
  tier     uint16/uint32[entries], index into the tier table

A password is stored only as SipHash-2-4(key, UTF-8 bytes), 64 bits (pandas' hash_pandas_object
with a 16-byte key). SipHash is a keyed PRF: without the key the file cannot be checked against
a guess list, and it holds no plaintext. With the key it answers membership, as intended. A
query that is not in the leak matches some entry with probability entries / 2^64 (7.8e-13 for
all of RockYou): accepted. Entries whose hashes collide with each other are dropped at build
(counted; expected 0). The header carries a digest of the payload: a truncated or corrupted
file is refused at load.
"""

from __future__ import annotations

import hashlib
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pwc.counting.hashing import siphash
from pwc.errors import ModelError
from pwc.io import atomic_path

MAGIC = b"PWCLOOK1"
FORMAT_VERSION = 1
_HEADER = struct.Struct("<8sII QQ 32s 32s")  # magic, version, tier bytes, entries, tiers, ids
HEADER_SIZE = 128  # header padded, keeps arrays aligned


def _check_key(key: str) -> str:
    if len(key.encode("utf-8")) != 16:
        raise ValueError("lookup key must be exactly 16 bytes of UTF-8 (SipHash-2-4 key)")
    return key


def keyed_hash(passwords, key: str) -> np.ndarray:
    """64-bit SipHash-2-4 of each password's UTF-8 bytes under `key`."""
    return siphash(passwords, _check_key(key))


def key_id(key: str) -> bytes:
    """Names the key (not reversible) so a file is never read with the wrong one."""
    return hashlib.sha256(b"pwc-lookup-key:" + _check_key(key).encode()).digest()


@dataclass
class LookupTable:
    hashes: np.ndarray  # uint64, sorted
    tier: np.ndarray  # uint16 / uint32
    guess_rank: np.ndarray  # float64 per tier
    times: np.ndarray  # int64 per tier, -1 = unknown
    key: str
    dropped_collisions: int = 0

    @property
    def entries(self) -> int:
        return int(self.hashes.size)

    def find_one(self, passwords) -> float | None:
        """The guess rank of a batch's only password, None when absent: `find` without its
        arrays (one password is the API's usual request)."""
        q = keyed_hash(passwords, self.key)[0]
        pos = int(self.hashes.searchsorted(q))
        if pos < self.entries and self.hashes[pos] == q:
            return float(self.guess_rank[self.tier[pos]])
        return None

    def find(self, passwords) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(found, guess_rank, times) per password; rank NaN and times -1 where not found."""
        q = keyed_hash(passwords, self.key)
        # Probing in ascending order walks the mapped file forward: neighbouring queries share
        # pages and cache lines (about half the time of probing in request order).
        order = np.argsort(q)
        pos = np.empty(q.size, dtype=np.int64)
        pos[order] = np.searchsorted(self.hashes, q[order])
        pos_ok = np.minimum(pos, max(self.entries - 1, 0))
        found = (pos < self.entries) & (self.hashes[pos_ok] == q) if self.entries else pos < 0
        tiers = self.tier[pos_ok[found]]
        rank = np.full(q.size, np.nan)
        times = np.full(q.size, -1, dtype=np.int64)
        rank[found] = self.guess_rank[tiers]
        times[found] = self.times[tiers]
        return found, rank, times


def build(passwords, guess_rank: np.ndarray, times: np.ndarray | None, key: str) -> LookupTable:
    """A table from (password, guess_rank, times) rows; passwords must be distinct."""
    hashes = keyed_hash(passwords, key)
    counts = np.full(hashes.size, -1, dtype=np.int64) if times is None else times.astype(np.int64)
    rows = pd.MultiIndex.from_arrays([np.asarray(guess_rank, dtype=np.float64), counts])
    pairs = rows.unique().sort_values()  # sorted: the tier numbering is deterministic
    tier = pairs.get_indexer(rows)
    pairs = np.column_stack([pairs.get_level_values(0), pairs.get_level_values(1)])
    order = np.argsort(hashes, kind="stable")
    hashes, tier = hashes[order], tier[order]
    clash = np.zeros(hashes.size, dtype=bool)
    same = hashes[1:] == hashes[:-1]
    clash[1:] |= same
    clash[:-1] |= same
    tier_dtype = np.uint16 if len(pairs) < 1 << 16 else np.uint32
    return LookupTable(
        hashes=hashes[~clash],
        tier=tier[~clash].astype(tier_dtype),
        guess_rank=pairs[:, 0].astype(np.float64),
        times=pairs[:, 1].astype(np.int64),
        key=key,
        dropped_collisions=int(clash.sum()),
    )


def _payload(table: LookupTable) -> list[bytes]:
    return [
        table.guess_rank.astype("<f8").tobytes(),
        table.times.astype("<i8").tobytes(),
        table.hashes.astype("<u8").tobytes(),
        table.tier.tobytes(),
    ]


def write(table: LookupTable, path: str | Path) -> None:
    parts = _payload(table)
    digest = hashlib.blake2b(digest_size=32)
    for part in parts:
        digest.update(part)
    header = _HEADER.pack(
        MAGIC,
        FORMAT_VERSION,
        table.tier.dtype.itemsize,
        table.entries,
        table.guess_rank.size,
        key_id(table.key),
        digest.digest(),
    ).ljust(HEADER_SIZE, b"\0")
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(header)
        for part in parts:
            fh.write(part)


def load(path: str | Path, key: str, verify: bool = True) -> LookupTable:
    """Memory-map a lookup file; refuse a wrong key, a truncated or a corrupted file."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: lookup file not found (run `dvc repro` or `dvc pull`)")
    size = path.stat().st_size
    if size < HEADER_SIZE:
        raise ModelError(f"{path}: lookup file truncated ({size} bytes)")
    with open(path, "rb") as fh:
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    magic, version, tier_bytes, entries, tiers, kid, digest = _HEADER.unpack_from(buf, 0)
    if magic != MAGIC or version != FORMAT_VERSION:
        raise ModelError(f"{path}: not a lookup file of format {FORMAT_VERSION}")
    if kid != key_id(key):
        raise ModelError(f"{path}: built with another key than lookup.key")
    expected = HEADER_SIZE + tiers * 16 + entries * (8 + tier_bytes)
    if size != expected:
        raise ModelError(f"{path}: lookup file truncated or padded ({size} != {expected} bytes)")
    view = memoryview(buf)
    if verify and hashlib.blake2b(view[HEADER_SIZE:], digest_size=32).digest() != digest:
        raise ModelError(f"{path}: lookup file corrupted (payload digest mismatch)")
    offset = HEADER_SIZE

    def take(dtype: str, count: int) -> np.ndarray:
        nonlocal offset
        arr = np.frombuffer(buf, dtype=dtype, count=count, offset=offset)
        offset += arr.nbytes
        return arr

    guess_rank, times = take("<f8", tiers), take("<i8", tiers)
    hashes = take("<u8", entries)
    tier = take("<u2" if tier_bytes == 2 else "<u4", entries)
    return LookupTable(hashes, tier, guess_rank, times, key)
