"""Per-point overhead of the CI sweep on the full data: what a point job does besides the
experiment itself (pwc.ops.ci_sweep.run_point), timed against moto's S3 on 127.0.0.1 and a
bare git repository as origin.

    python benchmarks/ci_sweep_overhead.py      (~6 min on 2 cores; needs a full `make repro`)

1. The commit's outputs go to the S3 remote (once per commit, by whoever ran the pipeline;
   timed, not part of a point).
2. A fresh clone, as a runner checks out, with an empty DVC cache, runs one point exactly as
   the job does: `dvc pull --allow-missing`, `dvc exp run -n ... -S ...`, `dvc exp push`.
Prints the seconds of each step; the overhead is pull + push.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.pipeline.conftest import S3_CREDENTIALS, running_s3  # noqa: E402 - after the path

POINT = ["-S", "train.alpha=3.5"]  # any change that reruns train and what follows


def timed(cwd: Path, env: dict, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def main() -> None:
    env = {**os.environ, **S3_CREDENTIALS, "PATH": f"{ROOT / '.venv/bin'}:{os.environ['PATH']}"}
    with running_s3() as endpoint, tempfile.TemporaryDirectory() as tmp:
        origin, author, runner = Path(tmp) / "origin.git", Path(tmp) / "a", Path(tmp) / "r"
        subprocess.run(["git", "clone", "-q", "--bare", str(ROOT), str(origin)], check=True)
        for clone in (author, runner):
            subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
            for args in (
                ("dvc", "remote", "default", "--local", "s3"),
                ("dvc", "remote", "modify", "--local", "s3", "url", "s3://pwc-test/dvc"),
                ("dvc", "remote", "modify", "--local", "s3", "endpointurl", endpoint),
            ):
                timed(clone, env, *args)
        # the author's outputs: the project's own cache (dvc push reads the cache only)
        timed(author, env, "dvc", "cache", "dir", "--local", str(ROOT / ".dvc/cache"))
        first_push = timed(author, env, "dvc", "push")
        pull = timed(runner, env, "dvc", "pull", "--allow-missing")
        run = timed(runner, env, "dvc", "exp", "run", "-n", "overhead-0", *POINT)
        push = timed(runner, env, "dvc", "exp", "push", "origin", "overhead-0")
    print(f"outputs to the remote, once per commit: {first_push:.1f} s")
    print(f"point: pull {pull:.1f} s, exp run {run:.1f} s, exp push {push:.1f} s")
    print(f"overhead per point (pull + push): {pull + push:.1f} s")


if __name__ == "__main__":
    main()
