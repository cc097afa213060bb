"""`make report`: one self-contained HTML dashboard, readable offline, with DVC Studio's table.

The experiments table (pwc.ops.exp_table) holds HEAD, the target branch (--target), every
commit experiments were run on (here or on `origin`, whose experiment refs are fetched) and
their finished experiments; every param and metric is a column. In the page: choose columns,
filter on values, branch and author, sort, see deltas against a baseline row coloured by each
metric's direction, select up to 7 rows for the pipeline's plots side by side, export the
shown table as `dvc exp show --csv` writes it. Below: the headline metrics over the history
of a branch. Vega, Vega-Lite and vega-embed are inlined from the pinned npm packages
(pwc.ops.offline_plots); the page makes no network request.

    python -m pwc.ops.dashboard [--branch HEAD] [--target REV] [--out FILE] [--sweep NAME]
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path

from pwc.config import load_params
from pwc.data.split import TEST_SETS
from pwc.errors import PwcError
from pwc.io import write_bytes
from pwc.ops import exp_table
from pwc.ops.experiments import fetch_remote_experiments, metrics_file, ranking_of
from pwc.ops.offline_plots import NODE_MODULES, inlined_scripts
from pwc.ops.tools import dvc, entry, git

HEADLINE = [(s, m) for s in TEST_SETS for m in ("spearman", "auc_seen_twice")]
# Figures renamed over the history: where the newer name is missing, a commit's figure is
# read under the older one (the model alone, before the served scorer was measured), so the
# line continues and its points say which it was.
RENAMED = {"served": "model"}
SCRIPT = Path(__file__).with_name("dashboard.js")
STYLE = Path(__file__).with_name("dashboard.css")


def history(metrics_file: str, branch: str) -> list[dict]:
    """Headline metrics at each commit of `branch` that changed `metrics_file` (followed
    across renames of the file), oldest first: one series per test set and metric."""
    rows = []
    # a branch git does not know is an error (PwcError names it), not an empty history
    fmt = "--format=@%h %cs"
    log = git("log", "--reverse", "--follow", fmt, "--name-only", branch, "--", metrics_file)
    for rev, date, path in _commits_and_paths(log):
        try:
            data = json.loads(git("show", f"{rev}:{path}") or "{}")
        except json.JSONDecodeError:
            continue
        for test_set, metric in HEADLINE:
            figures = data.get(test_set) or {}
            kind = next((k for k in ("served", *RENAMED.values()) if k in figures), None)
            value = (figures.get(kind) or {}).get(metric) if kind else None
            if value is not None:
                rows.append(
                    {
                        "commit": f"{date} {rev}",
                        "metric": f"{test_set} {metric}",
                        "value": value,
                        "figure": "served" if kind == "served" else "model alone",
                    }
                )
    return rows


def _commits_and_paths(log: str):
    """(short sha, date, the file's path there) from `git log --name-only --format=@%h %cs`."""
    rev = date = None
    for line in log.splitlines():
        if line.startswith("@"):
            rev, date = line[1:].split()
        elif line.strip() and rev:
            yield rev, date, line.strip()


def history_spec(rows: list[dict]) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Model metrics over the history",
        "width": 640,
        "height": 260,
        "data": {"values": rows},
        "mark": {"type": "line", "point": {"filled": True}, "tooltip": True},
        "encoding": {
            "x": {"field": "commit", "type": "ordinal", "sort": None, "title": None},
            "y": {"field": "value", "type": "quantitative", "scale": {"zero": False}},
            "color": {"field": "metric", "type": "nominal"},
            "shape": {"field": "figure", "type": "nominal"},
        },
    }


def experiment_baselines() -> list[str]:
    """The commits experiments were run on: their refs are refs/exps/<sha[:2]>/<sha[2:]>/<name>
    (DVC's own bookkeeping refs, refs/exps/celery/... and the like, are not experiments)."""
    refs = git("for-each-ref", "--format=%(refname)", "refs/exps").split()
    found = set()
    for ref in refs:
        parts = ref.split("/")
        sha = "".join(parts[2:4]) if len(parts) >= 5 else ""
        if len(parts[2]) == 2 and len(sha) == 40 and all(c in "0123456789abcdef" for c in sha):
            found.add(sha)
    return sorted(found)


def shown_revs(target: str | None = None) -> list[str]:
    """The commits the table shows, as full shas, each once: HEAD, the target branch, every
    experiment's baseline (a name git does not know is an error naming it)."""
    named = [
        git("rev-parse", "--verify", f"{rev}^{{commit}}").strip() for rev in ("HEAD", target) if rev
    ]
    return list(dict.fromkeys(named + experiment_baselines()))


def exp_show(revs: list[str]) -> list[dict]:
    """`dvc exp show --json` for these commits and their experiments, in one call (what
    `--all-commits` shows of experiments, without DVC reading every commit)."""
    args = [a for rev in revs for a in ("--rev", rev)]
    return json.loads(dvc("exp", "show", "--json", *args) or "[]")


def commit_facts(shown: list[dict]) -> dict[str, dict]:
    """Full sha -> {"author", "branches"} for every commit and experiment revision shown."""
    bases = [b["rev"] for b in shown if b.get("rev") != "workspace"]
    exps = [
        s["rev"] for b in shown for e in b.get("experiments") or [] for s in e.get("revs") or []
    ]
    facts: dict[str, dict] = {}
    if bases or exps:
        for line in git("show", "-s", "--format=%H%x09%an", *bases, *exps).splitlines():
            sha, _, author = line.partition("\t")
            facts[sha] = {"author": author}
    for sha in bases:
        refs = ("refs/heads", "refs/remotes")
        found = git("for-each-ref", "--contains", sha, "--format=%(refname:short)", *refs)
        facts.setdefault(sha, {})["branches"] = sorted(
            b for b in found.split() if b != "origin/HEAD"
        )
    return facts


def plot_label(row: dict) -> str:
    """How the row is named to `dvc plots diff` (and so in its plots' data)."""
    return row["experiment"] or row["rev"]


def render(data: dict, node_modules: Path = NODE_MODULES) -> str:
    payload = json.dumps(data, separators=(",", ":"), sort_keys=True)
    payload = payload.replace("</", "<\\/")  # a "</script" in a name would end the element
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline' 'unsafe-eval'; "
        'img-src data:">'  # vega compiles expressions with Function(): unsafe-eval
        f"<title>password-complexity dashboard</title><style>{STYLE.read_text()}</style>"
        f"{inlined_scripts(node_modules)}</head><body><h1>password-complexity</h1>"
        f"<p class='note'>{html.escape(data['note'])}</p><div id='app'></div>"
        f"<script id='data' type='application/json'>{payload}</script>"
        f"<script>{SCRIPT.read_text()}</script></body></html>"
    )


def build(
    branch: str,
    target: str | None = None,
    fetch: bool = True,
    sweep: str | None = None,
    node_modules: Path = NODE_MODULES,
) -> str:
    """The page. `sweep` names a sweeps/<name>.yaml whose metric and direction rank the
    experiments (default: the gate's primary validation figure, highest first)."""
    if fetch:
        fetch_remote_experiments()  # the experiments CI jobs pushed to origin, too
    key, order = ranking_of(sweep, load_params())
    revs = shown_revs(target)
    shown = exp_show(revs)
    data = exp_table.table(shown, metrics_file(), key, order, commit_facts(shown))
    labels = [plot_label(r) for r in data["rows"]]
    plots = json.loads(dvc("plots", "diff", *labels, "--json") or "{}") if labels else {}
    data["plots"] = [
        {"title": title, "spec": item["content"]}
        for title, items in sorted(plots.get("data", {}).items())
        for item in items
        if item.get("type") == "vega" and item.get("content")
    ]
    for row, label in zip(data["rows"], labels, strict=True):
        row["plot_rev"] = label
    ids = {row["sha"]: row["id"] for row in data["rows"] if row["kind"] == "commit"}
    data["baseline"] = ids.get(revs[0])  # HEAD's row: the deltas' reference at first
    data["target"] = ids.get(revs[1]) if target else None
    data["history"] = history_spec(history(metrics_file(), branch))
    data["branch"] = branch
    best = "highest" if order == "max" else "lowest"
    data["note"] = (
        f"Ranked by {data['ranked']}, {best} first (validation; test figures are shown, never "
        "ranked by). Deltas and colours are against the baseline row."
    )
    return render(data, node_modules)


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--branch", default="HEAD", help="whose metrics history (default: HEAD)")
    args.add_argument("--target", help="the target branch: a row, and a baseline to choose")
    args.add_argument("--out", type=Path, default=Path("reports/dashboard.html"))
    args.add_argument("--no-fetch", action="store_true", help="do not fetch origin's experiments")
    args.add_argument("--node-modules", type=Path, default=NODE_MODULES)
    args.add_argument(
        "--sweep",
        help="rank by this sweeps/<name>.yaml's metric and direction (make report SWEEP=name)",
    )
    opts = args.parse_args(argv)
    try:
        page = build(
            opts.branch, opts.target, not opts.no_fetch, opts.sweep, opts.node_modules
        )  # fmt: skip
    except PwcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    write_bytes(opts.out, page.encode("utf-8"))
    print(f"wrote {opts.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(entry(main))
