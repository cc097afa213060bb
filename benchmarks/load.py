"""Load benchmark of the API on 127.0.0.1: capacity, behaviour past it, batches, in process.

Starts `password-complexity serve` (--workers N, the in-flight bound from PWC_MAX_IN_FLIGHT
or --max-in-flight) with the model `make repro` trained, then:
  1. single-password requests, open loop (sent on a fixed schedule whatever the replies, so
     queueing shows as latency), at rising rates: capacity = the highest rate up to which
     every rate had its requests all accepted with p99 <= 10 ms; and the highest rate at
     which 99% of requests were answered 200 within 10 ms (a 503 counts as a miss). Each
     rate's CPU time per request of the server's processes and of the client's tells whose
     the cores were;
  2. the same at twice that capacity: accepted p99, how fast 503s come back, the slowest;
  3. 1,000-password batches back to back from 4 callers per worker (each its own keep-alive
     connection: the kernel spreads connections over the workers, so fewer callers than
     workers cannot keep every worker busy): passwords/s;
  4. in process: one password through the Scorer (p50 / p99), and the server's RSS.
Half the passwords are held-out test passwords (in the leak), half altered so they are not.
The client is --clients processes of raw keep-alive HTTP/1.1 on asyncio, on the same cores
as the server. Every loop is bounded in count and time; nothing leaves the machine.

    python benchmarks/load.py [--workers 2] [--rates 500,1000,...] [--seconds 5] [--write]

--write puts the figures into benchmarks/RESULTS.md (between the load-benchmark markers).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import psutil
import pyarrow.parquet as pq

from pwc.config import load_params
from pwc.scorer import Scorer

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int, max_in_flight: int | None) -> subprocess.Popen:
    cmd = [str(Path(sys.executable).parent / "password-complexity"), "serve", "--port", str(port)]
    env = {**os.environ, "PWC_HOST": "127.0.0.1", "PWC_WORKERS": str(workers)}
    if max_in_flight:
        env["PWC_MAX_IN_FLIGHT"] = str(max_in_flight)
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            ok = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            ok = False
        # several workers: each listens once it has loaded the model; wait for all of them
        if ok and (workers == 1 or listening(proc.pid, port) == workers):
            return proc
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start: {proc.stderr.read().decode()[-2000:]}")


def listening(pid: int, port: int) -> int:
    """How many of the server's processes listen on `port`."""
    count = 0
    for child in psutil.Process(pid).children(recursive=True):
        try:
            conns = child.net_connections("tcp")
        except psutil.NoSuchProcess:
            continue  # a short-lived child gone since the listing
        count += any(c.status == "LISTEN" and c.laddr.port == port for c in conns)
    return count


def _request(body: bytes) -> bytes:
    head = (
        "POST /v1/score HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _exchange(reader, writer, payload: bytes) -> int:
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _open_loop(port, payloads, rate, seconds, connections, offset):
    """Send len(payloads) requests at `rate`/s from `offset`; (due, latency, status) each."""
    n = int(rate * seconds)
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    out = np.zeros((n, 2))
    start = time.perf_counter() + 0.2 + offset

    async def one(i: int) -> None:
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        reader, writer = await pool.get()  # waiting for a connection counts as latency
        try:
            status = await _exchange(reader, writer, payloads[i % len(payloads)])
        finally:
            pool.put_nowait((reader, writer))
        out[i] = (time.perf_counter() - due, status)

    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(n))), seconds + 30)
    while not pool.empty():
        pool.get_nowait()[1].close()
    return out


def _client(args) -> tuple[np.ndarray, float]:
    """(due, latency, status) per request, and the CPU seconds this client spent sending."""
    port, payloads, rate, seconds, connections, offset = args
    gc.disable()  # the client's own collector pauses looked like server latency
    before = time.process_time()
    out = asyncio.run(_open_loop(port, payloads, rate, seconds, connections, offset))
    return out, time.process_time() - before


def cpu_seconds(procs: list[psutil.Process]) -> float:
    """User + system CPU seconds the processes have used so far."""
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def run_rate(port, payloads, rate, seconds, clients, connections, server=()) -> dict:
    """One open-loop run split over `clients` processes; the figures of the whole, with the
    CPU time per request of the server's processes and of the client's."""
    jobs = [
        (port, payloads[c::clients], rate / clients, seconds, connections, c / rate)
        for c in range(clients)
    ]
    server_before = cpu_seconds(server)
    with mp.get_context("spawn").Pool(clients) as pool:
        parts = pool.map(_client, jobs)
    server_cpu = cpu_seconds(server) - server_before
    results = np.concatenate([p[0] for p in parts])
    client_cpu = sum(p[1] for p in parts)
    lat, status = results[:, 0] * 1000, results[:, 1]
    ok, shed = lat[status == 200], lat[status == 503]
    return {
        "rate": rate,
        "sent": int(lat.size),
        "ok": int(ok.size),
        "shed": int(shed.size),
        "other": int(lat.size - ok.size - shed.size),
        "ok_p50": float(np.percentile(ok, 50)) if ok.size else None,
        "ok_p99": float(np.percentile(ok, 99)) if ok.size else None,
        "shed_p99": float(np.percentile(shed, 99)) if shed.size else None,
        "max": float(lat.max()),
        # answered 200 within 10 ms (a 503 or a slower answer misses the goal)
        "within": float(((status == 200) & (lat <= 10.0)).mean()),
        "server_us": server_cpu / lat.size * 1e6,
        "client_us": client_cpu / lat.size * 1e6,
    }


def batches(
    url: str, words: list[str], seconds: float, server, clients: int, size: int = 1000
) -> tuple[float, float, float]:
    """1,000-password requests from `clients` callers back to back: (passwords/s, the
    server's and the client's CPU time per password in µs). Bodies are encoded first."""
    step = 7919
    bodies = [
        json.dumps({"passwords": words[i : i + size]}).encode()
        for i in range(0, len(words) - size, step)
    ]
    head = {"content-type": "application/json"}

    async def one_client(c: int) -> int:
        sent = 0
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            start = time.perf_counter()
            while time.perf_counter() - start < seconds:
                body = bodies[(c + sent // size) % len(bodies)]
                (await client.post("/v1/score", content=body, headers=head)).raise_for_status()
                sent += size
        return sent

    async def all_clients() -> int:
        return sum(await asyncio.gather(*(one_client(c) for c in range(clients))))

    server_before, client_before = cpu_seconds(server), time.process_time()
    start = time.perf_counter()
    sent = asyncio.run(all_clients())
    wall = time.perf_counter() - start
    server_us = (cpu_seconds(server) - server_before) / sent * 1e6
    client_us = (time.process_time() - client_before) / sent * 1e6
    return sent / wall, server_us, client_us


def in_process(params, words: list[str]) -> dict[str, tuple[float, float]]:
    """One password at a time through the Scorer: (p50, p99) in µs for passwords the lookup
    answers ("leak") and for those the model scores ("model"), apart: with both kinds mixed
    a median would sit on the boundary between them and describe neither."""
    scorer = Scorer.from_params(params)
    for w in words[:200]:
        scorer([w])
    times: dict[str, list[float]] = {"leak": [], "model": []}  # and brute_force, if any
    for w in words[:6000]:
        start = time.perf_counter()
        source = scorer([w])["source"][0]
        times.setdefault(str(source), []).append(time.perf_counter() - start)
    out = {}
    for path, values in times.items():
        t = np.array(values) * 1e6
        out[path] = (float(np.percentile(t, 50)), float(np.percentile(t, 99)))
    return out


def fmt(row: dict, label: str = "") -> str:
    def ms(v):
        return "–" if v is None else f"{v:.2f}"

    return (
        f"| {label}{row['rate']:,.0f} | {row['ok']:,} / {row['sent']:,} | {row['shed']:,} | "
        f"{ms(row['ok_p50'])} / {ms(row['ok_p99'])} | {ms(row['shed_p99'])} | {ms(row['max'])} | "
        f"{100 * row['within']:.1f}% | {row['server_us']:.0f} / {row['client_us']:.0f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-in-flight", type=int, default=None)
    ap.add_argument("--rates", default="500,1000,1500,2000,2500,3000,3500,4000")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32, help="per client process")
    ap.add_argument("--altered", type=float, default=0.5, help="share of passwords not in the leak")
    ap.add_argument("--write", action="store_true", help="write the figures into RESULTS.md")
    args = ap.parse_args()
    params = load_params(ROOT / "params.yaml")
    words = pq.read_table(ROOT / params.paths.split("test"))["password"].to_pylist()[:50_000]
    step = 1.0 / args.altered if args.altered else float("inf")
    words = [f"{w}~q7" if i % step < 1 else w for i, w in enumerate(words)]
    payloads = [_request(json.dumps({"passwords": [w]}).encode()) for w in words[:20_000]]

    port = free_port()
    server = start_server(port, args.workers, args.max_in_flight)
    url = f"http://127.0.0.1:{port}"
    rows, capacity, slo_capacity, kept = [], None, None, True
    procs = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
    try:
        run_rate(port, payloads, 200, 1.0, args.clients, args.connections)  # warm-up
        for rate in [float(r) for r in args.rates.split(",")]:
            row = run_rate(
                port, payloads, rate, args.seconds, args.clients, args.connections, procs
            )
            rows.append(row)
            print(fmt(row), flush=True)
            strict = row["shed"] == 0 and row["other"] == 0 and row["ok_p99"] <= 10.0
            kept = kept and strict  # every rate up to here: all answered, p99 <= 10 ms
            if kept:
                capacity = rate
            if row["within"] >= 0.99:
                slo_capacity = rate
            else:
                break
        over = None
        if capacity:
            over = run_rate(
                port, payloads, 2 * capacity, args.seconds, args.clients, args.connections, procs
            )
            print("2x capacity:", fmt(over), flush=True)
        callers = 4 * args.workers
        batch_rate, batch_server, batch_client = batches(url, words, args.seconds, procs, callers)
        print(
            f"1,000-password batches, {callers} callers: {batch_rate:,.0f} passwords/s, CPU per "
            f"password server {batch_server:.1f} µs, client {batch_client:.1f} µs",
            flush=True,
        )
        rss = {p.pid: p.memory_info().rss / 2**20 for p in procs}
        uss = {p.pid: p.memory_full_info().uss / 2**20 for p in procs}
    finally:
        server.terminate()
        server.wait(timeout=30)
    single = in_process(params, words)
    print(f"in process, one password through the Scorer, p50 / p99 (µs): {single}")
    print("server processes RSS / USS (MB):", {k: (round(rss[k]), round(uss[k])) for k in rss})
    if args.write:
        batch = (batch_rate, batch_server, batch_client)
        write_results(args, rows, (capacity, slo_capacity), over, batch, single, rss, uss)


def write_results(args, rows, capacities, over, batch, single, rss, uss) -> None:
    """Replace this worker count's block in RESULTS.md (one block per worker count)."""
    start = f"<!-- load-benchmark:workers={args.workers}:start -->"
    end = f"<!-- load-benchmark:workers={args.workers}:end -->"
    lines = [
        start,
        f"`python benchmarks/load.py --workers {args.workers} --write` "
        f"({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, client on the same cores, "
        f"{args.clients} client processes x {args.connections} connections, "
        f"{args.seconds:.0f} s per rate, in-flight bound "
        f"{args.max_in_flight or 'default'}):",
        "",
        "| rate (req/s) | accepted / sent | shed (503) | accepted p50 / p99 (ms) "
        "| 503 p99 (ms) | slowest (ms) | 200 within 10 ms "
        "| CPU per request, server / client (µs) |",
        "|---|---|---|---|---|---|---|---|",
        *(fmt(r) for r in rows),
    ]
    if over:
        lines.append(fmt(over, "**2× capacity:** "))
    capacity, slo_capacity = capacities

    def rate_text(rate):
        return f"**{rate:,.0f} req/s**" if rate else "below the lowest rate tried"

    lines += [
        "",
        f"Capacity (highest rate with p99 ≤ 10 ms and nothing shed): {rate_text(capacity)}; "
        f"with 99% of requests answered 200 within 10 ms: {rate_text(slo_capacity)}; "
        f"1,000-password batches from {4 * args.workers} callers: **{batch[0]:,.0f} "
        f"passwords/s** (CPU per password: server {batch[1]:.1f} µs, client "
        f"{batch[2]:.1f} µs); one password in process through the Scorer, p50 / p99: "
        f"{single['model'][0]:.0f} / {single['model'][1]:.0f} µs when the model scores it, "
        f"{single['leak'][0]:.0f} / {single['leak'][1]:.0f} µs when the lookup answers.",
        "Server memory (RSS / unique): "
        + ", ".join(f"{rss[k]:,.0f} / {uss[k]:,.0f} MB" for k in rss)
        + " (the supervisor first, then each worker).",
        end,
    ]
    text = RESULTS.read_text()
    block = "\n".join(lines)
    if start in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
