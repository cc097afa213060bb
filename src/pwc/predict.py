"""Scoring: model output -> guesses and a 0-4 score; streaming batch prediction over files.

`Scorer` is the one object batch predict, the API and the CLI score passwords with.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.pipeline import Pipeline
from tqdm import tqdm

from pwc import lookup as lookup_lib
from pwc import model as model_lib
from pwc.config import Params
from pwc.data.sources import decode_lines, split_lines
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
        thresholds = tuple(params.strength.score_thresholds)
        return cls(model, sha256_file(model_path), thresholds, table, table_sha256)

    def __call__(self, passwords) -> dict[str, np.ndarray]:
        arr = as_arrow(passwords)
        log10 = np.zeros(len(arr))
        found = np.zeros(len(arr), dtype=bool)
        if self.lookup is not None and len(arr):
            found, rank, _ = self.lookup.find(arr)
            log10[found] = np.log10(rank[found])
        if not found.all():
            log10[~found] = model_lib.predict(self.model, arr.filter(pa.array(~found)))
        log10 = np.maximum(log10, 0.0)  # at least one guess
        return {
            "guesses_log10": log10,
            "guesses": 10.0**log10,
            "score": strength(log10, self.thresholds),
            "source": np.where(found, "leak", "model"),
        }


def _text_batches(path: Path, batch_size: int) -> Iterator[pa.Array]:
    """Lines of a text file in batches, reading a few MB at a time."""
    rest = b""
    with open(path, "rb") as fh:
        first = True
        while True:
            chunk = fh.read(TEXT_CHUNK_BYTES)
            if not chunk and not rest:
                if first:
                    raise DataError(f"{path}: file is empty")
                return
            data = rest + chunk
            cut = data.rfind(b"\n") + 1 if chunk else len(data)
            data, rest = data[:cut], data[cut:]
            if not data:
                continue
            if first and not data.strip(b"\r\n"):
                raise DataError(f"{path}: file is empty")
            first = False
            lines, _ = decode_lines(split_lines(data, str(path)), str(path))
            for start in range(0, len(lines), batch_size):
                yield lines.slice(start, batch_size)


def _parquet_batches(file: pq.ParquetFile, batch_size: int) -> Iterator[pa.Array]:
    for batch in file.iter_batches(batch_size=batch_size, columns=["password"]):
        yield batch.column(0)


def input_batches(path: Path, batch_size: int) -> tuple[Iterator[pa.Array], int | None]:
    """Batches of passwords and the row count when known in advance (for progress)."""
    if not path.is_file():
        raise DataError(f"{path}: input file not found")
    if path.suffix != ".parquet":
        return _text_batches(path, batch_size), None
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    if "password" not in file.schema_arrow.names:
        raise DataError(f"{path}: no 'password' column")
    return _parquet_batches(file, batch_size), file.metadata.num_rows


def predict_file(scorer: Scorer, src: Path, dst: Path, batch_size: int) -> int:
    """Score `src` into Parquet `dst` batch by batch: memory stays flat as inputs grow."""
    batches, total = input_batches(src, batch_size)
    rows = 0
    with (
        atomic_path(dst) as tmp,
        pq.ParquetWriter(tmp, OUTPUT_SCHEMA, compression="zstd") as writer,
        tqdm(total=total, unit="pw", unit_scale=True, desc="predict") as progress,
    ):
        for passwords in batches:
            out = scorer(passwords)
            batch = pa.table(
                {
                    "password": passwords.cast(pa.large_string()),
                    **{k: out[k] for k in ("guesses_log10", "guesses", "score")},
                    "source": pa.array(out["source"], pa.string()),
                    "model_version": pa.array([scorer.version] * len(passwords), pa.string()),
                },
                schema=OUTPUT_SCHEMA,
            )
            writer.write_table(batch)
            rows += len(passwords)
            progress.update(len(passwords))
    return rows
