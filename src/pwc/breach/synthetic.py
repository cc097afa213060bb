"""Synthetic breach corpora in the HIBP downloader's layout, for tests and benchmarks.

Digests are random bytes from a seeded generator, counts Zipf-like (numpy's zipf draw, capped
so they fit HIBP's range), so the files look like Pwned Passwords at any size: most hashes seen
once or a few times, a few seen millions of times. The same seed and size give the same files.

    python -m pwc.breach.synthetic DIR --rows 100000000 [--mode sha1] [--layout prefix|full]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pwc.breach.hashes import MODES, Mode
from pwc.breach.index import prefixes

ZIPF_EXPONENT = 1.7
MAX_COUNT = 10**9


def _lines(digests: np.ndarray, counts: np.ndarray, skip: int) -> list[str]:
    text = digests.tobytes().hex().upper()
    width = 2 * digests.shape[1]
    return [
        f"{text[i * width + skip : (i + 1) * width]}:{c}" for i, c in enumerate(counts.tolist())
    ]


def generate(root: Path, rows: int, mode: Mode, seed: int, layout: str = "prefix") -> int:
    """Write `rows` digests under `root`: one `XXXXX.txt` per prefix (layout prefix) or 256
    `HASH:COUNT` files in no order (layout full). Returns the files written."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    chunks = 256
    files = 0
    for chunk in tqdm(range(chunks), desc="synthetic corpus", unit="part", leave=False):
        n = rows // chunks + (chunk < rows % chunks)
        digests = np.frombuffer(rng.bytes(n * mode.digest_bytes), np.uint8).reshape(n, -1).copy()
        digests[:, 0] = chunk  # a part's digests share the first byte: files are written once
        counts = np.minimum(rng.zipf(ZIPF_EXPONENT, n), MAX_COUNT)
        if layout == "full":
            (root / f"part-{chunk:03d}.txt").write_text(
                "\r\n".join(_lines(digests, counts, 0)) + "\r\n"
            )
            files += 1
            continue
        order = np.argsort(prefixes(digests), kind="stable")
        digests, counts = digests[order], counts[order]
        prefix = prefixes(digests)
        bounds = np.flatnonzero(np.diff(prefix)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [n]])
        lines = _lines(digests, counts, 5)
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            name = f"{int(prefix[s]):05X}.txt"
            (root / name).write_text("\r\n".join(lines[s:e]) + "\r\n", newline="")
            files += 1
    return files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--mode", choices=sorted(MODES), default="sha1")
    parser.add_argument("--layout", choices=["prefix", "full"], default="prefix")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    files = generate(args.root, args.rows, MODES[args.mode], args.seed, args.layout)
    print(f"{args.rows} hashes in {files} files under {args.root}")


if __name__ == "__main__":
    main()
