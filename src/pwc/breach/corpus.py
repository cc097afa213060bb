"""Hash-only breach corpora of any size, ingested out of core into a range index.

A corpus is a directory of text files as the HIBP downloader writes them: `XXXXX.txt` (a
5-hex-character prefix) holding `SUFFIX:COUNT` lines, or any other `*.txt` holding
`HASH:COUNT` lines (full digests, any order). The work is cut into 256 partitions by the
digest's first byte; each partition is read, checked, summed (the same digest in two files or
lines counts once, with the counts added) and sorted by DuckDB under a memory limit, spilling
to disk past it. Partitions run one after another here or as tasks on a Dask cluster
(`Engine`); either way they reach the writer in order, so the index bytes are the same.

Lines that are not `HEX:COUNT` with the mode's hex length and a count >= 1 are quarantined:
counted, with file and line number and reason, never their text (a digest is a secret too).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from pwc.breach.hashes import Mode
from pwc.breach.index import IndexWriter
from pwc.errors import DataError

PARTITIONS = 256
PREFIX_FILE = re.compile(r"[0-9A-Fa-f]{5}\.txt")
_HEX = re.compile(r"[0-9A-Fa-f]+")


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


def line_problem(line: str, hex_chars: int) -> str | None:
    """Why one corpus line is rejected (None: it is fine). The SQL filter applies the same
    rule (tests check they agree)."""
    parts = line.rstrip("\r\n").split(":")
    if len(parts) != 2:
        return "not HEX:COUNT"
    digest, count = parts
    if len(digest) != hex_chars or not _HEX.fullmatch(digest):
        return f"not {hex_chars} hexadecimal characters"
    if not count.isascii() or not count.isdigit() or not 1 <= int(count) < 2**63:
        return "count not an integer >= 1"
    return None


def _problems(path: Path, mode: Mode) -> Iterator[tuple[int, str]]:
    # a prefix file's lines hold the digest without its 5 prefix characters
    hex_chars = mode.hex_chars - 5 if PREFIX_FILE.fullmatch(path.name) else mode.hex_chars
    with path.open(encoding="ascii", errors="replace", newline="") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip() and (reason := line_problem(line, hex_chars)) is not None:
                yield number, reason


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


def _connect(limits: Limits) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect(config={"threads": limits.threads, "memory_limit": f"{limits.memory_mb}MB"})
    if limits.spill_dir:
        db.execute(f"SET temp_directory = '{limits.spill_dir}'")
    db.execute("SET preserve_insertion_order = false")
    return db


def _lines_sql(files: list[str], digest_expr: str, hex_chars: int) -> str:
    """Every line of the files as (file, digest hex, count, valid)."""
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    # the count is read as text: DuckDB's BIGINT reader would round "1.5" to 2
    return f"""
        SELECT filename AS file, upper({digest_expr}) AS hex, try_cast(n AS BIGINT) AS count,
               coalesce(regexp_full_match(hex, '[0-9A-F]{{{hex_chars}}}')
                        AND regexp_full_match(n, '[0-9]+') AND count >= 1, false) AS valid
        FROM read_csv([{listed}], columns={{'digest': 'VARCHAR', 'n': 'VARCHAR'}},
                      delim=':', header=false, quote='', escape='', filename=true,
                      store_rejects=true, auto_detect=false)
    """


def _check(db: duckdb.DuckDBPyConnection, sql: str, mode: Mode, quarantine: Quarantine) -> None:
    """Quarantine the lines the SQL rule rejects and those the reader could not parse, with
    their line numbers from a rescan of just those files (the two rules must agree)."""
    bad = db.sql(f"SELECT file, count(*) FROM ({sql}) WHERE NOT valid GROUP BY file").fetchall()
    unparsed = db.sql(
        "SELECT file_path, count(DISTINCT line) FROM reject_errors "
        "JOIN reject_scans USING (scan_id, file_id) GROUP BY file_path"
    ).fetchall()
    expected: dict[str, int] = {}
    for name, n in [*bad, *unparsed]:
        expected[name] = expected.get(name, 0) + n
    for name in sorted(expected):
        found = list(_problems(Path(name), mode))
        if len(found) != expected[name]:
            raise DataError(f"{name}: {expected[name]} lines rejected, {len(found)} found again")
        quarantine.entries += [(name, number, reason) for number, reason in found]


def _full_digest_sql(files: list[str], mode: Mode) -> str:
    return _lines_sql(files, "digest", mode.hex_chars)


def _prefix_digest_sql(files: list[str], mode: Mode) -> str:
    prefixed = r"regexp_extract(filename, '([0-9A-Fa-f]{5})\.txt$', 1) || digest"
    return _lines_sql(files, prefixed, mode.hex_chars)


def bucket_full_files(
    files: list[str], mode: Mode, into: Path, limits: Limits, quarantine: Quarantine
) -> None:
    """Spread `HASH:COUNT` files into Parquet partitions by first byte (DuckDB, out of core)."""
    db = _connect(limits)
    sql = _full_digest_sql(files, mode)
    _check(db, sql, mode, quarantine)
    db.execute(
        f"""COPY (SELECT hex, count, substr(hex, 1, 2) AS part FROM ({sql}) WHERE valid)
            TO '{into}' (FORMAT parquet, PARTITION_BY (part), OVERWRITE_OR_IGNORE)"""
    )
    db.close()


def partition(
    mode: Mode, prefix_files: list[str], bucket: str | None, limits: Limits
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, int, str]]]:
    """One partition's digests, summed and sorted, with its rejected lines."""
    db = _connect(limits)
    quarantine = Quarantine()
    parts = []
    if prefix_files:
        sql = _prefix_digest_sql(prefix_files, mode)
        _check(db, sql, mode, quarantine)
        parts.append(f"SELECT hex, count FROM ({sql}) WHERE valid")
    if bucket:
        parts.append(f"SELECT hex, count FROM read_parquet('{bucket}/*.parquet')")
    if not parts:
        return np.zeros((0, mode.digest_bytes), np.uint8), np.zeros(0, np.int64), []
    table = db.sql(
        f"""SELECT unhex(hex) AS digest, sum(count)::BIGINT AS count
            FROM ({" UNION ALL ".join(parts)}) GROUP BY hex ORDER BY hex"""
    ).to_arrow_table()
    db.close()
    digests = table["digest"].combine_chunks()
    raw = np.frombuffer(digests.buffers()[2], np.uint8)[: len(digests) * mode.digest_bytes]
    return raw.reshape(-1, mode.digest_bytes).copy(), table["count"].to_numpy(), quarantine.entries


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
