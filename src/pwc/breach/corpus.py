"""Hash-only breach corpora of any size, ingested out of core into a range index.

A corpus is a directory of text files as the HIBP downloader writes them: `XXXXX.txt` (a
5-hex-character prefix) holding `SUFFIX:COUNT` lines, or any other `*.txt` holding
`HASH:COUNT` lines (full digests, any order). The work is cut into 256 partitions by the
digest's first byte. Lines are read here in chunks (file and line number kept) and handed to
DuckDB, which checks them, spreads full-digest files into Parquet partitions, and sums (the
same digest in two files or lines counts once, with the counts added) and sorts each
partition under a memory limit, spilling to disk past it. Partitions run one after another
here or as tasks on a Dask cluster (`Engine`); either way they reach the writer in order, so
the index bytes are the same.

Lines that are not `HEX:COUNT` with the mode's hex length and a count >= 1 are quarantined:
counted, with file and line number and reason, never their text (a digest is a secret too).
Blank lines are skipped.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pwc.breach.hashes import Mode
from pwc.breach.index import IndexWriter
from pwc.errors import DataError

PARTITIONS = 256
PREFIX_FILE = re.compile(r"[0-9A-Fa-f]{5}\.txt")
CHUNK_LINES = 1 << 20  # lines handed to DuckDB at once
READ_BYTES = 1 << 26  # a large file is read this much at a time


@dataclass(frozen=True)
class Limits:
    """DuckDB's bounds for one partition's work (it spills past memory to `spill_dir`)."""

    memory_mb: int
    threads: int
    spill_dir: str | None = None


@dataclass
class Quarantine:
    """Rejected lines: (file, line number, reason); never the line's text."""

    entries: list[tuple[str, int, str]] = field(default_factory=list)

    def by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, _, reason in self.entries:
            out[reason] = out.get(reason, 0) + 1
        return dict(sorted(out.items()))


@dataclass(frozen=True)
class Corpus:
    """The files of one corpus directory, by partition."""

    root: Path
    mode: Mode

    def files(self) -> tuple[dict[int, list[str]], list[str]]:
        if not self.root.is_dir():
            raise DataError(f"{self.root}: no such corpus directory")
        by_part: dict[int, list[str]] = {}
        full: list[str] = []
        for path in sorted(self.root.rglob("*.txt")):
            if PREFIX_FILE.fullmatch(path.name):
                by_part.setdefault(int(path.name[:2], 16), []).append(str(path))
            else:
                full.append(str(path))
        if not by_part and not full:
            raise DataError(f"{self.root}: no *.txt files")
        return by_part, full


def _blocks(path: str) -> Iterator[str]:
    """A file's text in pieces that end at a line end (ASCII; other bytes become U+FFFD)."""
    with open(path, "rb") as f:
        rest = b""
        while block := f.read(READ_BYTES):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            yield block[:cut].decode("ascii", "replace")
        if rest:
            yield rest.decode("ascii", "replace")


def read_lines(files: list[str]) -> Iterator[pa.RecordBatch]:
    """Every line of the files as (file index, line number, text), CHUNK_LINES at a time."""
    texts: list[str] = []
    numbers: list[np.ndarray] = []
    owners: list[np.ndarray] = []

    def batch() -> pa.RecordBatch:
        out = pa.record_batch(
            [
                pa.array(np.concatenate(owners)),
                pa.array(np.concatenate(numbers)),
                pa.array(texts, pa.string()),
            ],
            names=["file", "line", "text"],
        )
        texts.clear(), numbers.clear(), owners.clear()
        return out

    for i, path in enumerate(files):
        line = 1
        for block in _blocks(path):
            lines = block.replace("\r\n", "\n").split("\n")
            if lines[-1] == "":
                lines.pop()
            texts.extend(lines)
            numbers.append(np.arange(line, line + len(lines), dtype=np.int64))
            owners.append(np.full(len(lines), i, np.int32))
            line += len(lines)
            if len(texts) >= CHUNK_LINES:
                yield batch()
    if texts:
        yield batch()


def _literal(path) -> str:
    """A path as an SQL string literal (a quote in a directory name stays a quote)."""
    return "'" + str(path).replace("'", "''") + "'"


def _connect(limits: Limits) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect(config={"threads": limits.threads, "memory_limit": f"{limits.memory_mb}MB"})
    if limits.spill_dir:
        db.execute(f"SET temp_directory = {_literal(limits.spill_dir)}")
    return db


def _checked(hex_chars: int) -> str:
    """The lines of `batch` (joined to `files` for their prefix) with their digest, count and
    what is wrong with them (NULL: nothing)."""
    return f"""
        WITH parsed AS (
            SELECT file, line, prefix, string_split(text, ':') AS parts,
                   {hex_chars} - len(prefix) AS want
            FROM batch JOIN files USING (file) WHERE trim(text) <> ''
        )
        SELECT file, line, upper(prefix || parts[1]) AS hex, try_cast(parts[2] AS BIGINT) AS count,
            CASE WHEN len(parts) <> 2 THEN 'not HEX:COUNT'
                 WHEN len(parts[1]) <> want OR NOT regexp_full_match(parts[1], '[0-9A-Fa-f]+')
                     THEN 'not ' || want || ' hexadecimal characters'
                 WHEN NOT regexp_full_match(parts[2], '[0-9]+') OR count IS NULL OR count < 1
                     THEN 'count not an integer >= 1'
            END AS problem
        FROM parsed
    """


def _files_table(files: list[str]) -> pa.Table:
    names = [Path(f).name for f in files]
    prefixes = [n[:5].upper() if PREFIX_FILE.fullmatch(n) else "" for n in names]
    return pa.table({"file": pa.array(range(len(files)), pa.int32()), "prefix": prefixes})


def _load(db, files: list[str], hex_chars: int, each_batch) -> list[tuple[str, int, str]]:
    """Stream the files' lines through DuckDB: `each_batch(db)` takes the checked lines of one
    chunk (view `checked`); returns the rejected lines."""
    db.register("files", _files_table(files))
    rejected = []
    for batch in read_lines(files):
        db.register("batch", batch)
        db.execute(f"CREATE OR REPLACE TEMP VIEW checked AS {_checked(hex_chars)}")
        bad = db.sql("SELECT file, line, problem FROM checked WHERE problem IS NOT NULL").fetchall()
        rejected += [(files[f], line, problem) for f, line, problem in bad]
        each_batch(db)
        db.unregister("batch")
    return rejected


def bucket_full_files(
    files: list[str], mode: Mode, into: Path, limits: Limits, quarantine: Quarantine
) -> None:
    """Spread `HASH:COUNT` files into Parquet partitions by first byte (DuckDB, streaming)."""
    db = _connect(limits)
    written = iter(range(1 << 62))

    def copy(db) -> None:
        db.execute(
            f"""COPY (SELECT hex, count, substr(hex, 1, 2) AS part
                  FROM checked WHERE problem IS NULL)
                TO {_literal(into)} (FORMAT parquet, PARTITION_BY (part), OVERWRITE_OR_IGNORE true,
                             FILENAME_PATTERN 'chunk{next(written)}_{{i}}')"""
        )

    quarantine.entries += _load(db, files, mode.hex_chars, copy)
    db.close()


def partition(
    mode: Mode, prefix_files: list[str], bucket: str | None, limits: Limits
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, int, str]]]:
    """One partition's digests, summed and sorted, with its rejected lines."""
    db = _connect(limits)
    db.execute("CREATE TEMP TABLE rows (hex VARCHAR, count BIGINT)")
    rejected = _load(
        db,
        prefix_files,
        mode.hex_chars,
        lambda db: db.execute(
            "INSERT INTO rows SELECT hex, count FROM checked WHERE problem IS NULL"
        ),
    )
    if bucket:
        parts = _literal(f"{bucket}/*.parquet")
        db.execute(f"INSERT INTO rows SELECT hex, count FROM read_parquet({parts})")
    table = db.sql(
        """SELECT unhex(hex) AS digest, sum(count)::BIGINT AS count
           FROM rows GROUP BY hex ORDER BY hex"""
    ).to_arrow_table()
    db.close()
    digests = table["digest"].combine_chunks()
    raw = np.frombuffer(digests.buffers()[2], np.uint8)[: len(digests) * mode.digest_bytes]
    return raw.reshape(-1, mode.digest_bytes).copy(), table["count"].to_numpy(), rejected


class Engine:
    """Runs partitions in this process, one after another (the Dask engine: pwc.breach.dask)."""

    def map(self, tasks: list[tuple]) -> Iterator[tuple]:
        for task in tasks:
            yield partition(*task)


def ingest(root: Path, mode: Mode, out: Path, limits: Limits, engine: Engine | None = None) -> dict:
    """A corpus directory -> a range index at `out`; returns the counts for the report."""
    engine = engine or Engine()
    by_part, full = Corpus(root, mode).files()
    quarantine = Quarantine()
    with tempfile.TemporaryDirectory(dir=limits.spill_dir) as scratch:
        buckets = Path(scratch) / "buckets"
        if full:
            bucket_full_files(full, mode, buckets, limits, quarantine)
        tasks = []
        for part in range(PARTITIONS):
            bucket = buckets / f"part={part:02X}"
            has_bucket = bucket.is_dir()
            if by_part.get(part) or has_bucket:
                tasks.append(
                    (mode, by_part.get(part, []), str(bucket) if has_bucket else None, limits)
                )
        with IndexWriter(out, mode) as writer:
            for digests, counts, rejected in engine.map(tasks):
                writer.add(digests, counts)
                quarantine.entries += rejected
    quarantine.entries.sort()
    return {
        "files": sum(map(len, by_part.values())) + len(full),
        "hashes": writer.total,
        "count_sum": writer.count_sum,
        "quarantined": len(quarantine.entries),
        "quarantined_by_reason": quarantine.by_reason(),
        "quarantine": quarantine,
    }
