"""Atomic output writing and file hashing shared by every stage."""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from pwc.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temp_prefix(path: Path) -> str:
    # The writer's PID is in the name, so a later writer can tell a temp file left by a
    # killed process (kill -9, power loss) from one a live process is still writing.
    return f".{path.name}.{os.getpid()}."


def writer_alive(pid: int) -> bool:
    """Whether the process that named a temp file still runs. A killed writer whose parent
    died too stays a zombie until something reaps it (in a container nothing may): dead."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _remove_stale_temps(path: Path) -> None:
    for old in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = old.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not writer_alive(int(pid)):
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)


# Write failures of the disk itself, as opposed to bugs or unreadable inputs.
_DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}


@contextlib.contextmanager
def _clear_errors(path: Path) -> Iterator[None]:
    """Disk full, quota, read-only disk: one line naming the output, no traceback."""
    try:
        yield
    except OSError as exc:
        disk = exc.errno in _DISK_ERRORS or "No space left on device" in str(exc)
        if not disk:
            raise
        reason = exc.strerror or "No space left on device"
        raise OutputError(
            f"{path}: could not write ({reason}); the previous version is kept"
        ) from None


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temp path beside `path`; rename it over `path` only if the block succeeds.

    A reader (or a later stage) therefore sees the old file or the complete new one,
    never a half-written file. A failed write (e.g. disk full) raises OutputError.
    """
    path = Path(path)
    with _clear_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(path)
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
        os.close(fd)
    tmp_path = Path(tmp)
    try:
        with _clear_errors(path):
            tmp_path.chmod(0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
            yield tmp_path
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path: str | Path, obj: object) -> None:
    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_bytes(path, text.encode("utf-8"))


def write_parquet(path: str | Path, table: pa.Table) -> None:
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temp directory beside `path`; swap it in for `path` only if the block succeeds."""
    path = Path(path)
    with _clear_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(path)
        tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent))
    old = path.with_name(f".{path.name}.old")
    try:
        with _clear_errors(path):
            yield tmp
            shutil.rmtree(old, ignore_errors=True)
            if path.exists():
                os.replace(path, old)
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
