"""Out-of-core ingest of a hash-only corpus: a synthetic corpus in the HIBP downloader's layout
(pwc.breach.synthetic, Zipf-like counts) into a range index, here (DuckDB, partition after
partition) and on a local Dask cluster of 2 workers; the two indexes must be the same bytes.

Prints rows/s, wall time and the peak RSS of the whole process tree (this process, DuckDB in
it, Dask's scheduler and workers), sampled every 50 ms, for generation and each engine.

    python benchmarks/range_ingest.py --rows 100000000 --dir /var/tmp/corpus [--keep] [--write]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import re
import shutil
import sys
import threading
import time
from pathlib import Path

import psutil

from pwc.breach import corpus, engines, synthetic
from pwc.breach.hashes import MODES

sys.path.insert(0, str(Path(__file__).parent))
from load import RESULTS  # noqa: E402 - the benchmarks' one results file


class PeakRss:
    """The highest summed RSS of this process and its descendants while the block runs."""

    def __enter__(self) -> PeakRss:
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.05):
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a worker that just ended
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def timed(label: str, rows: int, work) -> dict:
    start = time.perf_counter()
    with PeakRss() as rss:
        work()
    wall = time.perf_counter() - start
    row = {
        "step": label,
        "wall_s": wall,
        "rows_per_s": rows / wall,
        "peak_rss_mb": rss.peak / 2**20,
    }
    rate, peak = row["rows_per_s"], row["peak_rss_mb"]
    print(f"{label:28} {wall:8.1f} s  {rate:12,.0f} rows/s  peak RSS {peak:,.0f} MiB", flush=True)
    return row


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 24):
            digest.update(block)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, required=True, help="scratch directory (disk)")
    parser.add_argument("--memory-mb", type=int, default=1024, help="DuckDB's limit")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--layout", choices=["prefix", "full"], default="prefix")
    parser.add_argument("--keep", action="store_true", help="reuse a corpus already generated")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    mode, root = MODES["sha1"], args.dir / f"corpus-{args.layout}-{args.rows}"
    rows = []
    if not (args.keep and root.is_dir()):
        shutil.rmtree(root, ignore_errors=True)
        rows.append(
            timed(
                "generate",
                args.rows,
                lambda: synthetic.generate(root, args.rows, mode, 0, args.layout),
            )
        )
    files = sum(1 for _ in root.iterdir())
    corpus_bytes = sum(p.stat().st_size for p in root.iterdir())
    print(f"corpus: {args.rows:,} rows in {files:,} files, {corpus_bytes / 2**30:.2f} GiB")
    limits = corpus.Limits(args.memory_mb, args.threads, str(args.dir))
    out = {name: args.dir / f"{name}.idx" for name in engines.ENGINES}
    for name, engine in engines.ENGINES.items():
        rows.append(
            timed(
                f"ingest ({name})",
                args.rows,
                functools.partial(corpus.ingest, root, mode, out[name], limits, engine()),
            )
        )
    digests = {name: sha256(path) for name, path in out.items()}
    same = len(set(digests.values())) == 1
    size = out["local"].stat().st_size
    print(f"index: {size:,} bytes, {size / args.rows:.2f} bytes/hash; engines agree: {same}")
    if args.write:
        write_results(args, files, corpus_bytes, rows, size, same)
    for path in out.values():
        path.unlink()


def write_results(args, files, corpus_bytes, rows, size, same) -> None:
    block = "\n".join(
        [
            "<!-- range-ingest:start -->",
            f"`python benchmarks/range_ingest.py --rows {args.rows} --memory-mb {args.memory_mb} "
            f"--threads {args.threads} --layout {args.layout}`: {args.rows:,} SHA-1 rows in "
            f"{files:,} {args.layout} files "
            f"({corpus_bytes / 2**30:.2f} GiB); index {size:,} bytes ({size / args.rows:.2f} "
            f"bytes/hash); the two engines' indexes {'are the same bytes' if same else 'DIFFER'}.",
            "",
            "| step | wall s | rows/s | peak RSS MiB (process tree) |",
            "|---|---|---|---|",
            *(
                f"| {r['step']} | {r['wall_s']:,.1f} | {r['rows_per_s']:,.0f} "
                f"| {r['peak_rss_mb']:,.0f} |"
                for r in rows
            ),
            "<!-- range-ingest:end -->",
        ]
    )
    text = RESULTS.read_text()
    marker = f"<!-- range-ingest-{args.layout}:start -->"
    block = block.replace("range-ingest:", f"range-ingest-{args.layout}:")
    if marker in text:
        pattern = f"{marker}.*<!-- range-ingest-{args.layout}:end -->"
        text = re.sub(pattern, block, text, flags=re.S)
    else:  # the section ends the file: a new layout's block goes at its end
        heading = "## Breach corpus ingest (hash-only, out of core)"
        head = "" if heading in text else f"{heading}\n\n"
        text = text.rstrip("\n") + "\n\n" + head + block + "\n"
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
