import errno
import json
import os
import stat
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pwc.errors import OutputError
from pwc.io import atomic_dir, atomic_path, write_json, write_parquet


def test_atomic_path_leaves_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"v": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temp file left behind


def test_outputs_are_world_readable_like_normal_files(tmp_path):
    write_json(tmp_path / "x.json", [1])
    mode = stat.S_IMODE((tmp_path / "x.json").stat().st_mode)
    assert mode & stat.S_IRGRP and mode & stat.S_IROTH


def test_json_is_stable(tmp_path):
    write_json(tmp_path / "a.json", {"b": 1, "a": [0.5]})
    assert (tmp_path / "a.json").read_text() == '{\n  "a": [\n    0.5\n  ],\n  "b": 1\n}\n'


def test_atomic_dir_swaps_whole_directories(tmp_path):
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("1")
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "b.txt").write_text("2")
        raise RuntimeError("killed")
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]
    with atomic_dir(target) as tmp:
        (tmp / "c.txt").write_text("3")
    assert sorted(p.name for p in target.iterdir()) == ["c.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_disk_full_part_way_is_a_clear_error_and_keeps_the_previous_output(tmp_path, monkeypatch):
    target = tmp_path / "table.parquet"
    write_parquet(target, pa.table({"password": ["kept"]}))
    before = target.read_bytes()

    def full_disk(table, where, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"PAR1 half a file")  # some bytes land, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full_disk)
    with pytest.raises(OutputError, match=r"table.parquet: could not write \(No space left"):
        write_parquet(target, pa.table({"password": ["new"]}))
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.parquet"]


def test_other_errors_inside_the_block_are_not_disguised_as_disk_errors(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "o.bin"):
        open(tmp_path / "missing-input")  # noqa: SIM115 - the error is the point


def test_temp_files_of_killed_writers_are_cleaned_up_live_ones_kept(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)  # that process has exited
    stale = tmp_path / f".out.bin.{dead_pid}.abc123.tmp"
    stale.write_bytes(b"half")
    stale_dir = tmp_path / f".out.bin.{dead_pid}.def456.tmp"
    stale_dir.mkdir()
    live = tmp_path / f".out.bin.{os.getppid()}.xyz789.tmp"  # our parent is alive
    live.write_bytes(b"someone else's")
    with atomic_path(tmp_path / "out.bin") as tmp:
        tmp.write_bytes(b"new")
    assert not stale.exists() and not stale_dir.exists()
    assert live.exists() and (tmp_path / "out.bin").read_bytes() == b"new"
