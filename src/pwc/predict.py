"""Scoring: model output -> guesses and a 0-4 score; streaming batch prediction over files.

`Scorer` is the one object batch predict, the API and the CLI score passwords with.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sklearn.pipeline import Pipeline
from tqdm import tqdm

from pwc import lookup as lookup_lib
from pwc import model as model_lib
from pwc import numerics
from pwc.config import Params
from pwc.data.sources import decode_lines, ends_in_crlf, split_lines
from pwc.errors import DataError
from pwc.features import as_arrow
from pwc.io import atomic_path, sha256_file

OUTPUT_SCHEMA = pa.schema(
    [
        ("password", pa.large_string()),
        ("guesses_log10", pa.float64()),
        ("guesses", pa.float64()),
        ("score", pa.int8()),
        ("source", pa.string()),  # "leak": exact, from the lookup; "model": estimated
        ("model_version", pa.string()),
    ]
)
TEXT_CHUNK_BYTES = 8 << 20


def strength(guesses_log10: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """0-4 like zxcvbn: the number of thresholds at or below guesses_log10."""
    return np.searchsorted(np.asarray(thresholds), guesses_log10, side="right").astype(np.int8)


def beyond_leak(
    pred: np.ndarray,
    log10_prob: np.ndarray | None,
    start: float,
    width: float,
    markov_from: float,
) -> np.ndarray:
    """Extend model answers past the leak's last rank (params.yaml `strength`).

    The model learned log10 rank inside a 14.3M-row leak, so its answers stop near 10^6.9
    (the mid-rank of the passwords seen once). Where the answer is near that top (logistic
    weight around `start`) AND the Markov model finds the password less likely than leaked
    passwords ever are (log10(1 / P) above `markov_from`), the excess is added: random
    16-character strings get ~10^36 (median; 1% below 10^24), while answers inside the
    leak's range keep their order (served and model-only metrics agree within 0.002 on
    held-out rows).
    """
    if log10_prob is None:
        return pred
    weight = numerics.logistic((pred - start) / width)
    return pred + weight * np.maximum(-log10_prob - markov_from, 0.0)


@dataclass(frozen=True)
class Scorer:
    """A loaded model (and optionally the leak lookup) with versions and score thresholds.

    Passwords found in the lookup get their exact guess rank (source "leak"); the model
    estimates the rest (source "model").
    """

    model: Pipeline
    model_sha256: str
    thresholds: tuple[float, ...]
    lookup: lookup_lib.LookupTable | None = None
    lookup_sha256: str | None = None
    # (start, width, markov_from) of `beyond_leak`; None: model answers only
    beyond_leak: tuple[float, float, float] | None = None

    @property
    def version(self) -> str:
        """The model's version: the first 12 hex digits of its file's sha256."""
        return self.model_sha256[:12]

    @classmethod
    def from_params(
        cls,
        params: Params,
        model_path: Path | None = None,
        use_lookup: bool | None = None,
    ) -> Scorer:
        model_path = model_path or params.paths.model
        model = model_lib.load(model_path)  # refuses files that would execute code
        table, table_sha256 = None, None
        if params.lookup.enabled if use_lookup is None else use_lookup:
            table = lookup_lib.load(params.paths.lookup, params.lookup.key)
            table_sha256 = sha256_file(params.paths.lookup)
        return cls.build(params, model, sha256_file(model_path), table, table_sha256)

    @classmethod
    def build(
        cls,
        params: Params,
        model: Pipeline,
        model_sha256: str,
        lookup: lookup_lib.LookupTable | None = None,
        lookup_sha256: str | None = None,
    ) -> Scorer:
        """A scorer from loaded parts, with params.yaml's strength settings (evaluate uses it
        with a lookup of the training split only)."""
        s = params.strength
        beyond = (s.beyond_leak_from, s.beyond_leak_width, s.beyond_leak_markov_from)
        thresholds = tuple(s.score_thresholds)
        return cls(model, model_sha256, thresholds, lookup, lookup_sha256, beyond)

    def __call__(self, passwords) -> dict[str, np.ndarray]:
        arr = as_arrow(passwords)
        log10 = np.zeros(len(arr))
        found = np.zeros(len(arr), dtype=bool)
        if self.lookup is not None and len(arr):
            found, rank, _ = self.lookup.find(arr)
            log10[found] = numerics.log10(rank[found])
        if not found.all():
            rest = arr.filter(pa.array(~found)) if found.any() else arr
            pred, log10_prob = model_lib.predict_with_markov(self.model, rest)
            if self.beyond_leak is not None:
                pred = beyond_leak(pred, log10_prob, *self.beyond_leak)
            log10[~found] = pred
        log10 = np.maximum(log10, 0.0)  # at least one guess
        return {
            "guesses_log10": log10,
            "guesses": numerics.exp10(log10),
            "score": strength(log10, self.thresholds),
            "source": np.where(found, "leak", "model"),
        }


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


def _parquet_batches(file: pq.ParquetFile, batch_size: int) -> Iterator[pa.Array]:
    for batch in file.iter_batches(batch_size=batch_size, columns=["password"]):
        yield batch.column(0)


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
    return file


def input_batches(path: Path, batch_size: int) -> tuple[Iterator[pa.Array], int | None]:
    """Batches of passwords and the row count when known in advance (for progress)."""
    if path.suffix != ".parquet":
        if not path.is_file():
            raise DataError(f"{path}: input file not found")
        return _text_batches(path, batch_size), None
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


def output_table(scorer: Scorer, passwords: pa.Array, max_length: int | None = None) -> pa.Table:
    """One scored batch in OUTPUT_SCHEMA. Passwords longer than `max_length` characters are
    not scored: null guesses and source "too_long" (counted by the caller, never dropped)."""
    passwords = passwords.cast(pa.large_string())
    n = len(passwords)
    too_long = np.zeros(n, dtype=bool)
    if max_length is not None and n:
        too_long = pc.greater(pc.utf8_length(passwords), max_length).to_numpy(zero_copy_only=False)
    log10 = np.full(n, np.nan)
    score = np.zeros(n, dtype=np.int8)
    source = np.full(n, "too_long", dtype=object)
    if (~too_long).any():
        out = scorer(passwords.filter(pa.array(~too_long)) if too_long.any() else passwords)
        log10[~too_long] = out["guesses_log10"]
        score[~too_long] = out["score"]
        source[~too_long] = out["source"]
    return pa.table(
        {
            "password": passwords,
            "guesses_log10": pa.array(log10, mask=too_long),
            "guesses": pa.array(numerics.exp10(log10), mask=too_long),
            "score": pa.array(score, mask=too_long) if too_long.any() else pa.array(score),
            "source": pa.array(source.tolist(), pa.string()),
            "model_version": pa.array([scorer.version] * n, pa.string()),
        },
        schema=OUTPUT_SCHEMA,
    )


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
        for passwords in batches:
            table = output_table(scorer, passwords, max_length)
            write(table)
            rejected = int(pc.sum(pc.equal(table["source"], "too_long")).as_py() or 0)
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
