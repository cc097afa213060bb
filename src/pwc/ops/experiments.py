"""Sweeps with DVC experiments: run the queue to the end, rank by the gate's primary metric (or
a sweep file's), apply the best. `make sweep` / `make best` call this; grids are in sweeps/.

    python -m pwc.ops.experiments wait [S] # until `dvc queue` has nothing queued or running
    python -m pwc.ops.experiments show     # `dvc exp show` as a table, best first
    python -m pwc.ops.experiments rank [SWEEP]  # experiments, best first (by the sweep's metric)
    python -m pwc.ops.experiments best [SWEEP]  # `dvc exp apply` the best one
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator

from pwc.config import load_params
from pwc.ops.sweeps import load_sweep
from pwc.ops.tools import dvc, entry, git, retried, run

# The metric experiments are ranked by: the served scorer's Spearman on validation_head (the
# gate's first check), in the evaluate stage's metrics file (params.yaml paths). Choices are
# made on validation; the test sets only report.
PRIMARY = ("validation_head", "served", "spearman")


def _workers(status: str) -> int:
    """Active + idle workers from `dvc queue status` ("Worker status: 1 active, 0 idle")."""
    match = re.search(r"Worker status: (\d+) active, (\d+) idle", status)
    return int(match[1]) + int(match[2]) if match else 0


def wait(poll: float = 3.0, timeout: float = 6 * 3600, jobs: int = 2, restarts: int = 3) -> None:
    """Block until nothing is queued or running. DVC's celery workers sometimes exit while
    tasks are still queued (treeverse/dvc#10562) and the queue then waits forever; restart
    them a bounded number of times, then fail loudly instead of hanging."""
    deadline = time.monotonic() + timeout
    idle_polls, patience = 0, 5  # ~15 s queued with nothing running and no worker
    while time.monotonic() < deadline:
        # DVC's queue keeps its state in JSON files that workers rewrite: read mid-write,
        # `dvc queue status` fails ("unexpected error - Expecting value: line 1 column 1").
        # It only reads, so a failure is tried again, a bounded number of times.
        status = retried(lambda: dvc("queue", "status"), pause=poll)
        if "Queued" not in status and "Running" not in status:
            print(status)
            return
        stalled = "Running" not in status and _workers(status) == 0
        idle_polls = idle_polls + 1 if stalled else 0
        if idle_polls >= patience:
            if restarts == 0:
                raise SystemExit(f"experiments queued but no queue worker runs:\n{status}")
            print("no queue worker alive with experiments queued: dvc queue start", flush=True)
            dvc("queue", "start", "-j", str(jobs))
            restarts -= 1
            # workers started on a busy machine can take tens of seconds to show
            idle_polls, patience = 0, 15
        time.sleep(poll)
    raise SystemExit(f"queue still busy after {timeout:.0f} s")


def primary(metrics: dict, key: tuple[str, ...] = PRIMARY) -> float:
    """The gate's primary metric (or the metric at `key`) in a metrics.json document."""
    value = metrics
    for part in key:
        value = value[part]
    return float(value)


def metrics_file() -> str:
    """The evaluate stage's metrics file, as DVC names it (relative to the repository)."""
    return load_params().paths.evaluate_metrics.as_posix()


def figure(data: dict, metrics: str, key: tuple[str, ...]) -> float | None:
    try:
        return primary(data["metrics"][metrics]["data"], key)
    except (KeyError, TypeError):
        return None  # a failed experiment (e.g. rejected by the gate) has no metrics


def finished(exp_show: list[dict]) -> Iterator[tuple[dict, str, dict]]:
    """(baseline commit, experiment name, its revision) for every finished experiment in
    `dvc exp show --json`, the one reader of its nesting; a revision is {"rev": sha, "data":
    {params, metrics, ...}}. A failed one is skipped: DVC lists it with an error beside its
    baseline's metrics, which are not its own."""
    for baseline in exp_show:
        for exp in baseline.get("experiments") or []:
            for rev in exp.get("revs", []):
                if not rev.get("error") and rev.get("data"):
                    yield baseline, exp.get("name") or rev["rev"][:7], rev


def ranked(
    exp_show: list[dict], metrics: str, key: tuple[str, ...] = PRIMARY, direction: str = "max"
) -> list[tuple[str, float]]:
    """(experiment name, the metric at `key` in the `metrics` file) for every finished
    experiment in `dvc exp show --json`, best first (highest for "max")."""
    found = []
    for _, name, rev in finished(exp_show):
        found_value = figure(rev["data"], metrics, key)
        if found_value is not None:
            found.append((name, found_value))
    return sorted(found, key=lambda item: -item[1] if direction == "max" else item[1])


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


def _has_origin() -> bool:
    return run(["git", "remote", "get-url", "origin"]).returncode == 0


def fetch_remote_experiments() -> None:
    """Experiments pushed to `origin` (the CI sweep's jobs push there), when it exists."""
    if _has_origin():
        git("fetch", "-q", "origin", "+refs/exps/*:refs/exps/*")


def pulled_from_origin(name: str) -> bool:
    """An experiment that `origin` holds (run on CI): its outputs from the DVC remote."""
    if not _has_origin() or name not in dvc("exp", "list", "origin", "--name-only").split():
        return False
    dvc("exp", "pull", "origin", name)
    return True


def ranking_of(sweep: str | None, params=None) -> tuple[tuple[str, ...], str]:
    """(metric key, direction) to rank by: sweeps/<sweep>.yaml's, else the gate's primary."""
    if sweep is None:
        return PRIMARY, "max"
    chosen = load_sweep(sweep, params or load_params())
    return chosen.metric, chosen.direction


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "rank"
    if command == "wait":
        wait(timeout=float(argv[1]) if len(argv) > 1 else 6 * 3600)
        return 0
    if command == "show":
        print(show_table())
        return 0
    # rank/best [SWEEP]: by the sweep file's metric and direction, else the gate's primary
    key, direction = ranking_of(argv[1] if len(argv) > 1 else None)
    if command == "best":
        fetch_remote_experiments()
    exp_show = json.loads(dvc("exp", "show", "--json"))
    ranking = ranked(exp_show, metrics_file(), key, direction)
    if command == "rank":
        for name, value in ranking:
            print(f"{value:.6f}  {name}")
        return 0
    if command == "best":
        if not ranking:
            raise SystemExit("no finished experiment to apply: run `make sweep` first")
        name, value = ranking[0]
        print(f"applying {name} ({'.'.join(key)} = {value:.6f})")
        if pulled_from_origin(name):
            print(f"pulled {name}'s outputs from the DVC remote")
        print(dvc("exp", "apply", name))
        return 0
    raise SystemExit(f"unknown command {command!r}: wait, show, rank or best")


if __name__ == "__main__":
    sys.exit(entry(main))
