"""The model file: skops, loaded with an explicit list of trusted types (nothing in the file
is executed), written byte-identically (canonical ids and names, fixed zip timestamps) and
stamped with a format number that `load` checks."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import skops.io as sio
from sklearn.pipeline import Pipeline

from pwc.errors import ModelError
from pwc.io import atomic_path
from pwc.model.learners import trusted_types

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Bumped whenever a model file's layout or meaning changes. A file of another format could
# load and still compute garbage, so `load` refuses it.
MODEL_FORMAT = 9


def _canonical_schema(schema: dict) -> tuple[dict, dict[str, str]]:
    """Replace skops' memory-address ids and file names by first-appearance counters."""
    ids: dict[int, int] = {}
    files: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    out[key] = ids.setdefault(value, len(ids) + 1)
                elif key == "file" and isinstance(value, str):
                    suffix = Path(value).suffix
                    out[key] = files.setdefault(value, f"{len(files)}{suffix}")
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema), files


def to_bytes(model: Pipeline) -> bytes:
    """skops bytes that depend only on the model: equal models give equal files.

    skops names array files and object references by memory address and stamps zip entries
    with the current time; both are rewritten to counters and 1980-01-01.
    """
    out = io.BytesIO()
    _write(model, out)
    return out.getvalue()


def _write(model: Pipeline, file) -> None:
    """`to_bytes`'s bytes into `file`, one zip member in memory at a time. skops builds its
    zip in memory: stored, with its copy as bytes, twice the tables (benchmarks/RESULTS.md,
    "What each chunked step saved in the train stage"); deflated fast it is a quarter of
    that, spooled to a temporary file and read back a member at a time (the members' bytes,
    so the file, are the same)."""
    with tempfile.TemporaryFile() as spool:
        sio.dump(model, spool, compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        spool.seek(0)
        _rewrite(spool, file)


def _rewrite(spool, file) -> None:
    """skops' zip in `spool` rewritten canonically (`to_bytes`) into `file`."""
    with zipfile.ZipFile(spool) as src, zipfile.ZipFile(file, "w") as dst:
        schema, files = _canonical_schema(json.loads(src.read("schema.json")))
        members = {"schema.json": None} | {new: old for old, new in files.items()}
        for name in sorted(members):
            old = members[name]
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            data = json.dumps(schema, indent=2).encode("utf-8") if old is None else src.read(old)
            # level 1, like skops' pass: zlib's default (6) took most of the stage's saving
            # time for a file a little smaller
            # (benchmarks/RESULTS.md, "Figures behind the code's choices")
            dst.writestr(info, data, compresslevel=1)


def save(model: Pipeline, path: str | Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as file:
        _write(model, file)


def load(path: str | Path) -> Pipeline:
    """Load a model file without executing code from it; refuse anything unexpected."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: model file not found (run `dvc repro` or `dvc pull`)") from None
    try:
        # what any registered learner's file may hold (pwc.model.learners); nothing else
        trusted = trusted_types()
        untrusted = set(sio.get_untrusted_types(data=data)) - set(trusted)
        if untrusted:
            raise ModelError(f"{path}: refusing to load untrusted types {sorted(untrusted)}")
        model = sio.loads(data, trusted=trusted)
    except ModelError:
        raise
    except Exception as exc:  # a corrupt zip or a file from another version
        raise ModelError(f"{path}: not a loadable model file ({type(exc).__name__})") from None
    if not isinstance(model, Pipeline):
        raise ModelError(f"{path}: expected an sklearn Pipeline, found {type(model).__name__}")
    found = getattr(model, "pwc_format_", None)
    if found != MODEL_FORMAT:
        raise ModelError(
            f"{path}: model format {found} but this code reads format {MODEL_FORMAT}: "
            "retrain (`dvc repro`) or run the release that wrote it"
        )
    return model
