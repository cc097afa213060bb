"""Load benchmark of GET /range/{prefix} on 127.0.0.1 with wrk (closed loop: each connection
sends its next request when the answer arrives), against `password-complexity serve` with
--workers N over the range_index stage's indexes (`make repro` first; `apt-get install wrk`).

Random prefixes (all 16^5 are valid), SHA-1 and NTLM, with and without Add-Padding. Prints
requests/s, latency p50/p99 and non-200 answers per case; --write puts them into
benchmarks/RESULTS.md (between the range-benchmark markers). wrk runs on the same cores as
the server, so the figures are what two cores give both.

    python benchmarks/range_load.py [--workers 2] [--connections 16] [--seconds 10] [--write]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from load import RESULTS, free_port, start_server  # noqa: E402 - the API benchmark's helpers

WRK_SCRIPT = """
math.randomseed(20261207)
local pad = os.getenv("PAD") == "1"
local mode = os.getenv("MODE")
request = function()
  local path = string.format("/range/%05X", math.random(0, 1048575))
  if mode == "ntlm" then path = path .. "?mode=ntlm" end
  local headers = {}
  if pad then headers["Add-Padding"] = "true" end
  return wrk.format("GET", path, headers)
end
"""
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * UNITS[unit]


def wrk(port: int, mode: str, pad: bool, connections: int, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        env = {"PAD": "1" if pad else "0", "MODE": mode, "PATH": "/usr/bin:/bin"}
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
    percentile = dict(re.findall(r"^\s+(\d+)%\s+(\S+)$", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "mode": mode,
        "padding": pad,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(percentile["50"]),
        "p99_ms": _ms(percentile["99"]),
        "non_200": int(errors.group(1)) if errors else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    port = free_port()
    server = start_server(port, args.workers, None)
    try:
        rows = []
        for mode in ("sha1", "ntlm"):
            for pad in (False, True):
                wrk(port, mode, pad, args.connections, 2)  # warm: pages of the index mapped
                rows.append(wrk(port, mode, pad, args.connections, args.seconds))
                r = rows[-1]
                print(
                    f"{mode:4} padding={'on ' if pad else 'off'} {r['rps']:8.0f} req/s  "
                    f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  non-200 {r['non_200']}"
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
    if args.write:
        write_results(args, rows)


def write_results(args, rows: list[dict]) -> None:
    lines = [
        "<!-- range-benchmark:start -->",
        f"`python benchmarks/range_load.py --workers {args.workers} --connections "
        f"{args.connections} --seconds {args.seconds}` (wrk, closed loop, random prefixes; wrk "
        "on the same 2 cores):",
        "",
        "| mode | Add-Padding | requests/s | p50 ms | p99 ms | non-200 |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r['mode']} | {'yes' if r['padding'] else 'no'} | {r['rps']:,.0f} | "
            f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['non_200']} |"
            for r in rows
        ),
        "<!-- range-benchmark:end -->",
    ]
    text = RESULTS.read_text()
    block = "\n".join(lines)
    if "<!-- range-benchmark:start -->" in text:
        text = re.sub(
            r"<!-- range-benchmark:start -->.*<!-- range-benchmark:end -->", block, text, flags=re.S
        )
    else:
        text = text.rstrip("\n") + "\n\n## Range API (GET /range/{prefix})\n\n" + block + "\n"
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
