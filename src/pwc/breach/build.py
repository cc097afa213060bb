"""Range indexes from the validated leak, or from a hash-only corpus (pwc.breach.corpus)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pyarrow as pa

from pwc.breach import corpus, index
from pwc.breach.hashes import Mode
from pwc.io import write_bytes

CHUNK_ROWS = 1 << 20


def leak_counts(times: pa.ChunkedArray, block: pa.ChunkedArray) -> np.ndarray:
    """Each leaked password's count: `times` where the source has counts (the course CSV).

    RockYou ships no counts, only their order. Its k-th equal-count block from the end is given
    count k: exact in the tail, where every count occurs (the last block is count 1, the next
    count 2, ...), a lower bound at the head, where counts skip values (the top block gets
    1,566, though `123456` was leaked about 290,000 times). HIBP clients test count > 0; the
    order of counts is kept.
    """
    if times.null_count < len(times):
        return times.fill_null(0).to_numpy()
    b = block.to_numpy()
    return (int(b.max()) - b + 1).astype(np.int64)


def from_leak(passwords: pa.ChunkedArray, counts: np.ndarray, mode: Mode, path: Path) -> dict:
    """The index of every leaked password's digest (equal digests: counts summed)."""
    digests = np.empty((len(passwords), mode.digest_bytes), np.uint8)
    for start in range(0, len(passwords), CHUNK_ROWS):
        chunk = passwords.slice(start, CHUNK_ROWS).to_pylist()
        digests[start : start + len(chunk)] = mode.digests(chunk)
    index.write(path, mode, digests, counts)
    return {"source": "leak", "rows": len(passwords)}


def from_corpus(root: Path, mode: Mode, path: Path, limits: corpus.Limits, engine) -> dict:
    """The index of a hash-only corpus; its rejected lines go beside it (`.quarantine.csv`)."""
    report = corpus.ingest(root, mode, path, limits, engine)
    text = io.StringIO()
    rows = csv.writer(text, lineterminator="\n")
    rows.writerow(["file", "line", "reason"])
    rows.writerows(report.pop("quarantine").entries)
    write_bytes(path.with_suffix(".quarantine.csv"), text.getvalue().encode())
    return {"source": "corpus", **report}


def describe(path: Path) -> dict:
    """Size figures of a written index."""
    ix = index.RangeIndex(path)
    return {
        "hashes": ix.entries,
        "bytes": ix.bytes,
        "bytes_per_hash": round(ix.bytes / max(ix.entries, 1), 3),
        "largest_prefix": int(np.diff(ix.offsets.astype(np.int64)).max()),
    }
