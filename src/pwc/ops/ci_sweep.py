"""Sweeps on GitLab CI runners: one DVC experiment per job, collected and ranked.

A pipeline run with the CI/CD variable SWEEP=<name> runs the `sweep` job, which writes a
child pipeline (GitLab's `trigger: include: artifact`) from sweeps/<name>.yaml:

    python -m pwc.ops.ci_sweep generate NAME [--out FILE]  # the child pipeline's YAML
    python -m pwc.ops.ci_sweep point NAME INDEX            # one point's job
    python -m pwc.ops.ci_sweep collect NAME [--post]       # the last job: rank, report

Each point job pulls the commit's outputs from the DVC remote (so only the stages the
point's params change rerun), runs `dvc exp run -n NAME-INDEX -S ...`, and pushes the
experiment (its git ref to `origin`, its outputs to the DVC remote) with `dvc exp push`.
It records what it did and how long each step took in sweep-results/point-INDEX.json. A
point that fails (the gate refuses it, the job dies) fails its own job only (allow_failure).
The collect job fetches every experiment ref, ranks the sweep's experiments by its metric,
lists the points with no experiment as missing, writes sweep-results/report.md, and posts
it to the merge request (the merge-request report's GitLab client).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import yaml

from pwc.config import load_params
from pwc.ops.experiments import finished, primary
from pwc.ops.gitlab import GitLab
from pwc.ops.sweeps import load_sweep, points, set_args
from pwc.ops.tools import dvc, entry, git, user_errors

CI_FILE = Path(".gitlab-ci.yml")
RESULTS = Path("sweep-results")
GATE_KEY = ("passed",)


def experiment_name(sweep: str, index: int) -> str:
    return f"{sweep}-{index}"


def generate(name: str) -> dict:
    """The child pipeline: one job per point, then `collect`. The image, variables and the
    DVC remote set-up come from .gitlab-ci.yml, so they are written once."""
    ci = yaml.safe_load(CI_FILE.read_text(encoding="utf-8"))
    sweep = load_sweep(name, load_params())
    setup = [*ci[".dvc_s3"], "git config user.name 'password-complexity sweep'"]
    setup.append('git config user.email "sweep@${CI_SERVER_HOST:-localhost}"')
    # GitLab checks out over https with a read-only job token: pushing experiment refs needs
    # the project access token (as the retrain job's push). Any other origin (a local
    # repository, ssh) is left as it is.
    setup.append(
        'case "$(git remote get-url origin)" in "https://"*"@${CI_SERVER_HOST:-none}/"*)'
        ' git remote set-url origin "https://oauth2:${PWC_GITLAB_TOKEN}@${CI_SERVER_HOST}/'
        '${CI_PROJECT_PATH}.git";; esac'
    )
    pipeline: dict = {
        "image": ci["image"],
        "variables": ci.get("variables", {}),
        "stages": ["points", "collect"],
        ".point": {
            "stage": "points",
            "allow_failure": True,  # a failed point is reported by collect, not fatal
            "script": [*setup, f"python -m pwc.ops.ci_sweep point {name} $PWC_SWEEP_POINT"],
            "artifacts": {"when": "always", "paths": [f"{RESULTS}/"]},
        },
    }
    for index in range(len(points(sweep))):
        pipeline[experiment_name(name, index)] = {  # the params: in the report
            "extends": ".point",
            "variables": {"PWC_SWEEP_POINT": str(index)},
        }
    pipeline["collect"] = {
        "stage": "collect",
        "when": "always",
        "script": [*setup, f"python -m pwc.ops.ci_sweep collect {name} --post"],
        "artifacts": {"when": "always", "paths": [f"{RESULTS}/"]},
    }
    return pipeline


def _timed(record: dict, step: str, *args: str) -> None:
    start = time.perf_counter()
    try:
        dvc(*args)
    finally:
        record["seconds"][step] = round(time.perf_counter() - start, 1)


def run_point(name: str, index: int) -> dict:
    """Pull, run the experiment, push it; the record says how far it got and how long."""
    sweep = load_sweep(name, load_params())
    point = points(sweep)[index]
    exp = experiment_name(name, index)
    record = {"index": index, "experiment": exp, "params": point, "status": "failed"}
    record["seconds"] = {}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"point-{index}.json"
    try:
        # the commit's outputs: the stages this point does not change are not rerun
        _timed(record, "pull", "pull", "--allow-missing")
        _timed(record, "exp_run", "exp", "run", "-n", exp, *set_args(point))
        # --force: a sweep run again on the same commit replaces its points' results
        _timed(record, "exp_push", "exp", "push", "--force", "origin", exp)
        record["status"] = "succeeded"
    finally:
        out.write_text(json.dumps(record, indent=2) + "\n")
    return record


def _experiments(exp_show: list[dict], names: set[str], metrics: str, gate: str) -> dict:
    found = {}
    for _, name, rev in finished(exp_show):
        data = rev["data"]
        try:
            if name in names:
                found[name] = {
                    "metrics": data["metrics"][metrics]["data"],
                    "gate": data["metrics"][gate]["data"],
                }
        except (KeyError, TypeError):
            continue
    return found


def collect(name: str) -> tuple[str, list[dict]]:
    """Fetch every experiment ref, rank the sweep's points: (markdown, rows best first)."""
    params = load_params()
    sweep = load_sweep(name, params)
    grid = points(sweep)
    git("fetch", "origin", "+refs/exps/*:refs/exps/*")
    names = {experiment_name(name, i): i for i in range(len(grid))}
    paths = params.paths
    found = _experiments(
        json.loads(dvc("exp", "show", "--json")),
        set(names),
        paths.evaluate_metrics.as_posix(),
        paths.gate.as_posix(),
    )
    records = {}
    for path in RESULTS.glob("point-*.json"):
        record = json.loads(path.read_text())
        records[record["experiment"]] = record
    rows = []
    for exp, index in names.items():
        row = {"experiment": exp, "params": grid[index], "found": exp in found}
        if exp in found:
            row["value"] = primary(found[exp]["metrics"], sweep.metric)
            row["test_head"] = primary(found[exp]["metrics"], ("test_head", "served", "spearman"))
            row["gate"] = bool(primary(found[exp]["gate"], GATE_KEY))
        record = records.get(exp, {})
        row["seconds"] = record.get("seconds", {})
        # a job that recorded its failure (the gate refused the point, a stage failed) vs one
        # that left nothing (killed, its runner lost)
        row["status"] = "failed" if record.get("status") == "failed" else "missing"
        rows.append(row)
    ranked = sorted(
        (r for r in rows if r["found"]),
        key=lambda r: r["value"] if sweep.direction == "min" else -r["value"],
    )
    missing = [r for r in rows if not r["found"]]
    return markdown(name, sweep, ranked, missing), ranked + missing


def markdown(name: str, sweep, ranked: list[dict], missing: list[dict]) -> str:
    keys = list(sweep.grid)
    head = f"| | experiment | {' | '.join(keys)} | {sweep.rank_by} | test_head Spearman "
    lines = [
        f"### Sweep `{name}`: {len(ranked)} of {len(ranked) + len(missing)} points finished"
        + (" (failed: the job's log says why; missing: the job left nothing)" if missing else ""),
        "",
        f"Ranked by `{sweep.rank_by}` ({sweep.direction}); test figures are shown, never ranked"
        " by.",
        "",
        head + "| gate | run s | overhead s |",
        "|---" * (len(keys) + 7) + "|",
    ]
    for i, row in enumerate(ranked):
        seconds = row["seconds"]
        overhead = seconds.get("pull", 0) + seconds.get("exp_push", 0)
        cells = [
            "**best**" if i == 0 else "",
            f"`{row['experiment']}`",
            *(str(row["params"][k]) for k in keys),
            f"{row['value']:.6f}",
            f"{row['test_head']:.6f}",
            "passed" if row["gate"] else "FAILED",
            f"{seconds.get('exp_run', '–')}",
            f"{overhead:.1f}" if seconds else "–",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    for row in missing:
        status = row.get("status", "missing")
        cells = [status, f"`{row['experiment']}`", *(str(row["params"][k]) for k in keys)]
        lines.append("| " + " | ".join(cells + ["–"] * 5) + " |")
    if ranked:
        best = ranked[0]["experiment"]
        lines += [
            "",
            f"Apply the best: `dvc exp pull origin {best} && dvc exp apply {best}` (its ref"
            f" and outputs; or `make best SWEEP={name}`).",
        ]
    return "\n".join(lines)


def merge_request_iid() -> str | None:
    """The merge request to post to: the pipeline's own (a merge-request pipeline), else the
    one named with PWC_SWEEP_MR when the sweep was started by hand (CI/CD > Run pipeline on
    the branch, which is not a merge-request pipeline)."""
    return os.environ.get("CI_MERGE_REQUEST_IID") or os.environ.get("PWC_SWEEP_MR") or None


@user_errors
def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["generate", "point", "collect"])
    parser.add_argument("name")
    parser.add_argument("index", nargs="?", type=int)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--post", action="store_true")
    opts = parser.parse_args(argv)
    if opts.command == "generate":
        text = yaml.safe_dump(generate(opts.name), sort_keys=False, width=1000)
        if opts.out:
            opts.out.write_text(text)
        else:
            print(text)
    elif opts.command == "point":
        if opts.index is None:
            parser.error("point needs INDEX")
        print(json.dumps(run_point(opts.name, opts.index), indent=2))
    else:
        report, _ = collect(opts.name)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "report.md").write_text(report + "\n")
        print(report)
        merge_request = merge_request_iid()
        if opts.post and merge_request:
            GitLab.from_env(merge_request).note(merge_request, report)
            print(f"posted the sweep to merge request !{merge_request}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(entry(main))
