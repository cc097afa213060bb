"""A model directory laid out like a pipeline run (params, model, metrics) and servers on it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from pwc import lookup
from pwc.breach import build
from pwc.breach.hashes import MODES

from ..conftest import ROOT

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def served(small_run, small_run_dir, meter_dir, tmp_path_factory) -> Path:
    """params.yaml whose paths point at a freshly trained model, a lookup and metrics.

    The lookup holds the training split of the sample, so its test passwords are not in it.
    """
    _, parts = small_run
    base = tmp_path_factory.mktemp("served")
    shutil.copy(small_run_dir / "model.skops", base / "model.skops")
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    train = parts["train"]
    table = lookup.build(
        train["password"], train["guess_rank"].to_numpy(), None, raw["lookup"]["key"]
    )
    lookup.write(table, base / "lookup.bin")
    # the range indexes as the range_index stage builds them, of the training split too
    counts = build.leak_counts(train["times"], train["block"])
    (base / "range").mkdir()
    for mode in raw["range"]["modes"]:
        build.from_leak(train["password"], counts, MODES[mode], base / "range" / f"{mode}.idx")
    (base / "metrics/evaluate").mkdir(parents=True)
    metrics = {"test": {"served": {"spearman": 0.3}}, "test_head": {"served": {"spearman": 0.5}}}
    (base / "metrics/evaluate/metrics.json").write_text(json.dumps(metrics))
    (base / "metrics/gate.json").write_text(json.dumps({"passed": True, "checks": []}))
    raw["paths"].update(
        model=str(base / "model.skops"),
        lookup=str(base / "lookup.bin"),
        evaluate_dir=str(base / "metrics/evaluate"),
        gate=str(base / "metrics/gate.json"),
        meter=str(meter_dir),
        range_dir=str(base / "range"),
    )
    (base / "params.yaml").write_text(yaml.safe_dump(raw))
    return base / "params.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A real server process on 127.0.0.1; its output goes to a log file we can search."""

    def __init__(self, cmd: list[str], env: dict[str, str], log: Path, port: int):
        self.log, self.url = log, f"http://127.0.0.1:{port}"
        full_env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **env}
        self.proc = subprocess.Popen(
            cmd, env=full_env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=log.parent
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server not ready in {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.log.read_text(errors="replace")


@pytest.fixture
def server(served, tmp_path) -> Iterator[Server]:
    port = free_port()
    srv = Server(
        ["password-complexity", "serve", "--host", "127.0.0.1", "--port", str(port)],
        # every log the server can write, the access log (off by default) included
        {"PWC_PARAMS": str(served), "PWC_ACCESS_LOG": "on"},
        tmp_path / "server.log",
        port,
    )
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()
