"""Schema checks (errors) and row-quality checks (counted quarantine) for the ingested table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pwc.data.sources import SCHEMA
from pwc.errors import DataError

# Control characters other than tab: not something a person types into a password field.
CONTROL_CHARS = r"[\x00-\x08\x0a-\x1f\x7f]"

# Checked in this order; a row is quarantined under the first reason that applies.
REASONS = (
    "bad_times",  # CSV count missing, zero, negative, fractional, non-numeric or absurd
    "empty",
    "too_long",
    "control_char",
    "decode_collision",  # Latin-1 decoding equals another row's password
    "duplicate_password",  # the same password on several rows (all copies: which is right?)
)


@dataclass(frozen=True)
class Validated:
    kept: pa.Table
    quarantined: pa.Table  # the rows, plus a `reason` column
    report: dict


def check_schema(table: pa.Table, name: str) -> None:
    """Errors here mean the ingest output itself is wrong, not one bad row."""
    missing = [f.name for f in SCHEMA if f.name not in table.column_names]
    if missing:
        raise DataError(f"{name}: missing column(s) {missing}")
    for field in SCHEMA:
        actual = table.schema.field(field.name).type
        if actual != field.type:
            raise DataError(f"{name}: column {field.name!r} is {actual}, expected {field.type}")
    if table.num_rows == 0:
        raise DataError(f"{name}: no rows")
    if table["password"].null_count:
        raise DataError(f"{name}: column 'password' has nulls")


def _duplicated(values: pa.ChunkedArray) -> np.ndarray:
    """True for every row whose value occurs more than once."""
    counts = pc.value_counts(values)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
    return pc.is_in(values, value_set=repeated).to_numpy(zero_copy_only=False)


def quarantine_reasons(table: pa.Table, max_length: int) -> np.ndarray:
    """Reason per row as a code: 0 = keep, i = REASONS[i - 1]."""
    pw = table["password"]
    length = pc.utf8_length(pw).to_numpy(zero_copy_only=False)
    latin1 = table["latin1"].to_numpy(zero_copy_only=False)
    dup_any = _duplicated(pw)
    # A UTF-8 row is authentic; only the Latin-1 guess that collides with it is set aside.
    dup_utf8 = np.zeros(table.num_rows, dtype=bool)
    candidates = dup_any & ~latin1
    if candidates.any():
        dup_utf8[candidates] = _duplicated(pw.filter(pa.array(candidates)))
    checks = {
        "bad_times": table["rank"].is_null().to_numpy(zero_copy_only=False),
        "empty": length == 0,
        "too_long": length > max_length,
        "control_char": pc.match_substring_regex(pw, CONTROL_CHARS).to_numpy(zero_copy_only=False),
        "decode_collision": dup_any & latin1,
        "duplicate_password": dup_utf8,
    }
    codes = np.zeros(table.num_rows, dtype=np.int8)
    for code in range(len(REASONS), 0, -1):  # first reason in REASONS wins
        codes[checks[REASONS[code - 1]]] = code
    return codes


def validate(table: pa.Table, name: str, max_length: int) -> Validated:
    check_schema(table, name)
    codes = quarantine_reasons(table, max_length)
    keep = codes == 0
    kept = table.filter(pa.array(keep))
    names = np.array(("",) + REASONS, dtype=object)
    quarantined = table.filter(pa.array(~keep)).append_column(
        "reason", pa.array(names[codes[~keep]].tolist(), pa.string())
    )
    per_code = np.bincount(codes, minlength=len(REASONS) + 1)
    by_reason = {r: int(per_code[i + 1]) for i, r in enumerate(REASONS)}
    report = {
        "rows_in": table.num_rows,
        "rows_kept": kept.num_rows,
        "rows_quarantined": quarantined.num_rows,
        "quarantined": by_reason,
        "latin1_kept": int(kept["latin1"].to_numpy(zero_copy_only=False).sum()),
    }
    assert report["rows_in"] == report["rows_kept"] + report["rows_quarantined"]
    return Validated(kept, quarantined, report)
