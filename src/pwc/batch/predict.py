"""Batch prediction: score a Parquet or text file into Parquet or CSV, streaming (memory
stays flat as inputs grow), with the `Scorer` the API and the CLI use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm import tqdm

from pwc.answer import full
from pwc.answer.explain import USER_INPUTS
from pwc.data.lines import decode_lines, ends_in_crlf, split_lines
from pwc.errors import DataError
from pwc.io import atomic_path
from pwc.scorer import OUTPUT_SCHEMA, RESULT_FIELDS, Scorer

TEXT_CHUNK_BYTES = 8 << 20
# the source of rows longer than validate.max_length: counted, not scored
TOO_LONG = "too_long"


def _text_batches(path: Path, batch_size: int) -> Iterator[pa.Array]:
    """Lines of a text file in batches, reading a few MB at a time. Line endings (LF or
    CRLF) are decided once, on the first chunk; a line longer than a chunk just spans reads."""
    rest, crlf, seen = b"", None, False
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(TEXT_CHUNK_BYTES)
            data = rest + chunk
            cut = data.rfind(b"\n") + 1 if chunk else len(data)  # at EOF, the unfinished line
            data, rest = data[:cut], data[cut:]
            if data:
                # the first chunk: split_lines drops a BOM, refuses a blank file and decides the
                # line ending; later chunks get that decision (the same rule, ends_in_crlf)
                lines = split_lines(data, str(path), crlf)
                if crlf is None:
                    crlf = ends_in_crlf(data)
                decoded, _ = decode_lines(lines, str(path))
                seen = True
                for start in range(0, len(decoded), batch_size):
                    yield decoded.slice(start, batch_size)
            if not chunk:
                break
    if not seen:
        raise DataError(f"{path}: file is empty")


def _parquet_batches(file: pq.ParquetFile, batch_size: int) -> Iterator:
    """(passwords, each row's user inputs or None) a batch at a time."""
    names = ["password"] + [USER_INPUTS] * (USER_INPUTS in file.schema_arrow.names)
    for batch in file.iter_batches(batch_size=batch_size, columns=names):
        yield batch.column(0), batch.column(1) if len(names) > 1 else None


def open_parquet_input(path: Path) -> pq.ParquetFile:
    """A Parquet input with a `password` column, or a DataError naming the file."""
    if not path.is_file():
        raise DataError(f"{path}: input file not found")
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    if "password" not in file.schema_arrow.names:
        raise DataError(f"{path}: no 'password' column")
    names = file.schema_arrow.names
    if USER_INPUTS in names and not _strings(file.schema_arrow.field(USER_INPUTS).type):
        raise DataError(f"{path}: column '{USER_INPUTS}' is not a list of strings")
    return file


def _strings(kind: pa.DataType) -> bool:
    lists = pa.types.is_list(kind) or pa.types.is_large_list(kind)
    return lists and (
        pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
    )


def input_batches(path: Path, batch_size: int) -> tuple[Iterator[pa.Array], int | None]:
    """Batches of passwords and the row count when known in advance (for progress)."""
    if path.suffix != ".parquet":
        if not path.is_file():
            raise DataError(f"{path}: input file not found")
        return ((b, None) for b in _text_batches(path, batch_size)), None
    file = open_parquet_input(path)
    return _parquet_batches(file, batch_size), file.metadata.num_rows


# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(passwords: pa.Array) -> pa.Array:
    """Passwords for a CSV cell: a leading ' when a spreadsheet would run it as a formula.
    (The Parquet output keeps passwords exactly; only CSV needs this.)"""
    pattern = "^[" + "".join(FORMULA_START).replace("-", "\\-") + "]"
    risky = pc.match_substring_regex(passwords, pattern)
    quote = pa.scalar("'", passwords.type)
    empty = pa.scalar("", passwords.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, passwords, empty), passwords)


def output_table(
    scorer: Scorer, passwords: pa.Array, max_length: int | None = None, user_inputs=None
) -> pa.Table:
    """One scored batch in OUTPUT_SCHEMA. Passwords longer than `max_length` characters are
    not scored: null guesses and source "too_long" (counted by the caller, never dropped).
    `user_inputs`: each row's list (the input's `user_inputs` column), applied as the API
    applies a request's (pwc.answer.full)."""
    passwords = passwords.cast(pa.large_string())
    n = len(passwords)
    too_long = np.zeros(n, dtype=bool)
    if max_length is not None and n:
        too_long = pc.greater(pc.utf8_length(passwords), max_length).to_numpy(zero_copy_only=False)
    # the record's columns; rows too long to score keep the fill: null, source "too_long"
    columns = {}
    for name in RESULT_FIELDS:
        kind = OUTPUT_SCHEMA.field(name).type
        text = pa.types.is_string(kind)
        columns[name] = (
            np.full(n, TOO_LONG, object) if text else np.zeros(n, kind.to_pandas_dtype())
        )
    if (~too_long).any():
        out = scorer(passwords.filter(pa.array(~too_long)) if too_long.any() else passwords)
        for name, values in columns.items():
            values[~too_long] = out[name]
    if user_inputs is not None:
        _apply_user_inputs(columns, passwords, user_inputs, too_long, scorer.thresholds)
    mask = too_long if too_long.any() else None
    table = {"password": passwords}
    for name, values in columns.items():
        field = OUTPUT_SCHEMA.field(name)
        text = pa.types.is_string(field.type)
        table[name] = pa.array(
            values.tolist() if text else values, field.type, mask=None if text else mask
        )
    table["model_version"] = pa.array([scorer.version] * n, pa.string())
    return pa.table(table, schema=OUTPUT_SCHEMA)


def _apply_user_inputs(columns, passwords, user_inputs, too_long, thresholds) -> None:
    """Each scored row's user inputs (a list per row, null as none) applied to its record:
    a bad list is a DataError naming the row (never its content)."""
    columns["source"] = columns["source"].astype(object)
    for i, inputs in enumerate(user_inputs.to_pylist()):
        if too_long[i] or not inputs:
            continue
        try:  # a null in the list is no input
            inputs = full.check_user_inputs([u for u in inputs if u is not None])
        except ValueError as exc:
            raise DataError(f"row {i + 1} of its batch: {exc}") from None
        record = {name: columns[name][i] for name in columns}
        record = full.with_user_inputs(record, passwords[i].as_py(), inputs, thresholds)
        for name, value in record.items():
            columns[name][i] = value


def predict_file(
    scorer: Scorer, src: Path, dst: Path, batch_size: int, max_length: int | None = None
) -> dict[str, int]:
    """Score `src` into `dst` batch by batch: memory stays flat as inputs grow.

    `dst` ending in .csv gets CSV (formula-like passwords escaped, see csv_safe); anything
    else Parquet. Returns row counts: rows, scored, too_long.
    """
    batches, total = input_batches(src, batch_size)
    counts = {"rows": 0, "scored": 0, "too_long": 0}
    as_csv = dst.suffix.lower() == ".csv"
    with (
        atomic_path(dst) as tmp,
        _writer(tmp, as_csv) as write,
        tqdm(total=total, unit="pw", unit_scale=True, desc="predict") as progress,
    ):
        for passwords, user_inputs in batches:
            table = output_table(scorer, passwords, max_length, user_inputs)
            write(table)
            rejected = int(pc.sum(pc.equal(table["source"], TOO_LONG)).as_py() or 0)
            counts["rows"] += table.num_rows
            counts["too_long"] += rejected
            counts["scored"] += table.num_rows - rejected
            progress.update(table.num_rows)
    return counts


@contextmanager
def _writer(path: Path, as_csv: bool) -> Iterator:
    if as_csv:
        with pacsv.CSVWriter(path, OUTPUT_SCHEMA) as writer:

            def write(table: pa.Table) -> None:
                safe = table.set_column(0, "password", csv_safe(table["password"]))
                writer.write_table(safe)

            yield write
    else:
        with pq.ParquetWriter(path, OUTPUT_SCHEMA, compression="zstd") as writer:
            yield writer.write_table
