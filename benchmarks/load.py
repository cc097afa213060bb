"""Load benchmark of the API on 127.0.0.1, next to in-process speeds (ours and zxcvbn's).

Starts `password-complexity serve` (one worker) on a free loopback port with the model that
`make repro` trained, then:
Half the passwords are held-out test passwords (in the leak), half are altered so they are not.
  1. single-password requests, open loop at --rate requests/s for --seconds: p50/p99 latency;
  2. 1,000-password batches, back to back for --seconds: passwords/s;
  3. in process: Scorer on 1,000-password batches, and zxcvbn on a 2,000-password sample.
Every loop is bounded in count and time; nothing leaves the machine.

    python benchmarks/load.py [--rate 200] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pyarrow.parquet as pq

from pwc.config import load_params
from pwc.scorer import Scorer

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    cmd = [str(Path(sys.executable).parent / "password-complexity"), "serve", "--port", str(port)]
    env = {**os.environ, "PWC_HOST": "127.0.0.1", "PWC_WORKERS": "1"}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start: {proc.stderr.read().decode()[-2000:]}")


async def open_loop(url: str, words: list[str], rate: float, seconds: float) -> np.ndarray:
    """Requests sent on a fixed schedule (not waiting for replies): latency includes queueing."""
    n = int(rate * seconds)
    latencies = np.full(n, np.nan)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as client:

        async def one(i: int, due: float) -> None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            start = time.perf_counter()
            resp = await client.post("/v1/score", json={"passwords": [words[i % len(words)]]})
            if resp.status_code == 200:
                latencies[i] = time.perf_counter() - start

        t0 = time.perf_counter() + 0.5
        await asyncio.gather(*(one(i, t0 + i / rate) for i in range(n)))
    return latencies


def batches(url: str, words: list[str], seconds: float, size: int = 1000) -> tuple[int, float]:
    sent, start = 0, time.perf_counter()
    with httpx.Client(base_url=url, timeout=30) as client:
        while time.perf_counter() - start < seconds and sent < 10_000_000:
            chunk = words[sent % (len(words) - size) :][:size]
            client.post("/v1/score", json={"passwords": chunk}).raise_for_status()
            sent += size
    return sent, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--altered", type=float, default=0.5, help="share of passwords not in the leak")
    args = ap.parse_args()
    params = load_params(ROOT / "params.yaml")
    words = pq.read_table(ROOT / params.paths.split("test"))["password"].to_pylist()[:50_000]
    # A share of the passwords altered so they are not in the leak: that traffic takes the
    # model path, the rest the lookup path (set PWC_LOOKUP=off to compare the model alone).
    step = 1.0 / args.altered if args.altered else float("inf")
    words = [f"{w}~q7" if i % step < 1 else w for i, w in enumerate(words)]

    port = free_port()
    server = start_server(port)
    url = f"http://127.0.0.1:{port}"
    try:
        for w in words[:200]:  # warm-up
            httpx.post(f"{url}/v1/score", json={"passwords": [w]})
        # The client's own garbage collector, walking the 50k test passwords, paused it for
        # tens of ms and showed up as server latency (p99 14-26 ms instead of 7): off while
        # the client measures.
        gc.collect()
        gc.disable()
        try:
            lat = asyncio.run(open_loop(url, words, args.rate, args.seconds)) * 1000
        finally:
            gc.enable()
        ok = lat[~np.isnan(lat)]
        print(
            f"single password, {args.rate:.0f} req/s for {args.seconds:.0f} s, 1 worker: "
            f"{ok.size}/{lat.size} ok, p50 {np.percentile(ok, 50):.2f} ms, "
            f"p99 {np.percentile(ok, 99):.2f} ms, max {ok.max():.2f} ms"
        )
        sent, took = batches(url, words, args.seconds)
        print(
            f"1,000-password batches, back to back: {sent / took:,.0f} passwords/s "
            f"({sent:,} in {took:.1f} s)"
        )
    finally:
        server.terminate()
        server.wait(timeout=15)

    scorer = Scorer.from_params(params)
    start = time.perf_counter()
    for i in range(0, 50_000, 1000):
        scorer(words[i : i + 1000])
    rate = 50_000 / (time.perf_counter() - start)
    print(f"in process, Scorer, 1,000-password batches: {rate:,.0f} pw/s")
    try:
        from zxcvbn import zxcvbn
    except ImportError:
        print("zxcvbn not installed: skipped its in-process figure")
        return
    sample = [w[:72] for w in words[:2000]]  # zxcvbn refuses inputs over 72 characters
    start = time.perf_counter()
    for w in sample:
        zxcvbn(w)
    print(f"in process, zxcvbn: {len(sample) / (time.perf_counter() - start):,.0f} pw/s")


if __name__ == "__main__":
    main()
