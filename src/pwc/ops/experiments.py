"""Sweeps with DVC experiments: run the queue to the end, rank by the gate's primary metric,
apply the best. `make sweep` / `make best` call this; the grid is in the Makefile.

    python -m pwc.ops.experiments wait [S] # until `dvc queue` has nothing queued or running
    python -m pwc.ops.experiments show     # `dvc exp show` as a table, best first
    python -m pwc.ops.experiments rank     # experiments, best first
    python -m pwc.ops.experiments best     # `dvc exp apply` the best one
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time

from pwc.config import load_params
from pwc.errors import PwcError

# The metric experiments are ranked by: the served scorer's Spearman on validation_head (the
# gate's first check), in the evaluate stage's metrics file (params.yaml paths). Choices are
# made on validation; the test sets only report.
PRIMARY = ("validation_head", "served", "spearman")


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run with stdout and stderr captured through temporary files, not pipes.

    `dvc queue start` leaves queue workers running that inherit its output: with pipes, the
    caller waits for end-of-file until the last worker exits, which a celery worker that
    hangs in its shutdown never does (seen in CI: a sweep test stuck after both experiments
    had succeeded). A file is read when the command itself has exited.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.run(args, stdout=out, stderr=err, **kwargs)
        out.seek(0)
        err.seek(0)
        proc.stdout = out.read().decode(errors="replace")
        proc.stderr = err.read().decode(errors="replace")
    return proc


def git(*args: str) -> str:
    """stdout of `git ARGS`; a failure names the command and git's message."""
    proc = run(["git", *args])
    if proc.returncode != 0:
        raise PwcError(f"`git {' '.join(args)}` failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout


def dvc(*args: str) -> str:
    """stdout of `dvc ARGS` run by this interpreter's DVC (the venv's, whatever PATH says);
    a failure names the command and DVC's message."""
    proc = run([sys.executable, "-m", "dvc", *args])
    if proc.returncode != 0:
        raise PwcError(f"`dvc {' '.join(args)}` failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout


def _workers(status: str) -> int:
    """Active + idle workers from `dvc queue status` ("Worker status: 1 active, 0 idle")."""
    match = re.search(r"Worker status: (\d+) active, (\d+) idle", status)
    return int(match[1]) + int(match[2]) if match else 0


def wait(poll: float = 3.0, timeout: float = 6 * 3600, jobs: int = 2, restarts: int = 3) -> None:
    """Block until nothing is queued or running. DVC's celery workers sometimes exit while
    tasks are still queued (treeverse/dvc#10562) and the queue then waits forever; restart
    them a bounded number of times, then fail loudly instead of hanging."""
    deadline = time.monotonic() + timeout
    idle_polls = 0
    while time.monotonic() < deadline:
        status = dvc("queue", "status")
        if "Queued" not in status and "Running" not in status:
            print(status)
            return
        stalled = "Running" not in status and _workers(status) == 0
        idle_polls = idle_polls + 1 if stalled else 0
        if idle_polls >= 5:  # ~15 s queued with nothing running and no worker
            if restarts == 0:
                raise SystemExit(f"experiments queued but no queue worker runs:\n{status}")
            print("no queue worker alive with experiments queued: dvc queue start", flush=True)
            dvc("queue", "start", "-j", str(jobs))
            restarts -= 1
            idle_polls = 0
        time.sleep(poll)
    raise SystemExit(f"queue still busy after {timeout:.0f} s")


def primary(metrics: dict) -> float:
    """The gate's primary metric in a metrics.json document."""
    value = metrics
    for key in PRIMARY:
        value = value[key]
    return float(value)


def metrics_file() -> str:
    """The evaluate stage's metrics file, as DVC names it (relative to the repository)."""
    return load_params().paths.evaluate_metrics.as_posix()


def _primary(rev: dict, metrics: str) -> float | None:
    try:
        return primary(rev["data"]["metrics"][metrics]["data"])
    except (KeyError, TypeError):
        return None  # a failed experiment (e.g. rejected by the gate) has no metrics


def ranked(exp_show: list[dict], metrics: str) -> list[tuple[str, float]]:
    """(experiment name, primary metric in the `metrics` file) for every finished experiment
    in `dvc exp show --json`, best first."""
    found = []
    for baseline in exp_show:
        for exp in baseline.get("experiments") or []:
            for rev in exp.get("revs", []):
                value = _primary(rev, metrics)
                if value is not None:
                    found.append((exp.get("name") or rev["rev"][:7], value))
    return sorted(found, key=lambda item: -item[1])


def show_table() -> str:
    """`dvc exp show` as markdown, best first: the train params, the primary metric and its
    test figure (shown, never ranked by)."""
    split, kind, metric = PRIMARY
    keep = rf"Experiment|train\.|{split}\.{kind}\.(spearman|auc)|test_head\.{kind}\.{metric}"
    sort = f"{metrics_file()}:{'.'.join(PRIMARY)}"
    return dvc(
        "exp", "show", "--no-pager", "--md", "--sort-by", sort, "--sort-order", "desc",
        "--keep", keep, "--drop", ".*",
    )  # fmt: skip


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "rank"
    if command == "wait":
        wait(timeout=float(argv[1]) if len(argv) > 1 else 6 * 3600)
        return 0
    if command == "show":
        print(show_table())
        return 0
    ranking = ranked(json.loads(dvc("exp", "show", "--json")), metrics_file())
    if command == "rank":
        for name, value in ranking:
            print(f"{value:.6f}  {name}")
        return 0
    if command == "best":
        if not ranking:
            raise SystemExit("no finished experiment to apply: run `make sweep` first")
        name, value = ranking[0]
        print(f"applying {name} ({'.'.join(PRIMARY)} = {value:.6f})")
        print(dvc("exp", "apply", name))
        return 0
    raise SystemExit(f"unknown command {command!r}: wait, show, rank or best")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
