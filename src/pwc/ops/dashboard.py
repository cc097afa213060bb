"""`make report`: one self-contained HTML dashboard, readable offline.

Every experiment known here or on `origin` (`dvc exp show` of each baseline, after fetching
origin's experiment refs), like DVC Studio: a table sortable by any column (params that differ
from each experiment's baseline, the ranked validation figure, test figures, the gate), the
best highlighted; ROC and error by length of HEAD and the best experiments overlaid; the
headline metrics over the git history of a branch; the pipeline's plots. Plots are rendered
to inline SVG by vl-convert (it bundles Vega); the one inline script sorts the table. The
page makes no network request.

    python -m pwc.ops.dashboard [--branch HEAD] [--out reports/dashboard.html] [--sweep NAME]
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path

import yaml

from pwc.config import load_params
from pwc.data.split import TEST_SETS
from pwc.errors import PwcError
from pwc.io import write_bytes
from pwc.ops.exp_table import SORT_SCRIPT, experiments_table
from pwc.ops.experiments import fetch_remote_experiments, metrics_file, ranked, ranking_of
from pwc.ops.tools import dvc, entry, git

HEADLINE = [(s, m) for s in TEST_SETS for m in ("spearman", "auc_seen_twice")]
OVERLAID = 3  # experiments whose plots are drawn over HEAD's, by default the best


def history(metrics_file: str, branch: str) -> list[dict]:
    """Headline metrics at each commit of `branch` that changed `metrics_file`, oldest first."""
    rows = []
    # a branch git does not know is an error (PwcError names it), not an empty history
    log = git("log", "--reverse", "--format=%h %cs", branch, "--", metrics_file)
    for line in log.splitlines():
        rev, date = line.split()
        try:
            data = json.loads(git("show", f"{rev}:{metrics_file}") or "{}")
        except json.JSONDecodeError:
            continue
        for test_set, metric in HEADLINE:
            figures = data.get(test_set) or {}
            # commits before the served figures existed reported the model alone: say so
            kind = "served" if "served" in figures else "model"
            value = figures.get(kind, {}).get(metric)
            if value is not None:
                label = f"{test_set} {metric}" + (" (model alone)" if kind == "model" else "")
                rows.append({"commit": f"{date} {rev}", "metric": label, "value": value})
    return rows


def history_spec(rows: list[dict]) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Model metrics over the history",
        "width": 640,
        "height": 260,
        "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "commit", "type": "ordinal", "sort": None, "title": None},
            "y": {"field": "value", "type": "quantitative", "scale": {"zero": False}},
            "color": {"field": "metric", "type": "nominal"},
        },
    }


def pipeline_specs(plots_json: dict) -> list[tuple[str, dict]]:
    """(title, Vega-Lite spec) of every plot in `dvc plots show --json`."""
    out = []
    for title, entries in sorted(plots_json.get("data", {}).items()):
        for item in entries:
            if item.get("type") == "vega" and item.get("content"):
                out.append((title, item["content"]))
    return out


# Drawn for several revisions at once: the plots reading these files (scatter plots of
# 1,000 points per revision would hide each other).
OVERLAID_FILES = ("roc_test_head.json", "error_by_length.json")


def overlay_titles(dvc_yaml: dict) -> set[str]:
    """Titles of dvc.yaml's plots that read one of OVERLAID_FILES."""
    titles = set()
    for item in dvc_yaml.get("plots") or []:
        for title, spec in item.items() if isinstance(item, dict) else ():
            files = (spec or {}).get("y") or {}
            if any(str(f).endswith(OVERLAID_FILES) for f in files):
                titles.add(title)
    return titles


def overlay_specs(plots_json: dict, titles: set[str]) -> list[tuple[str, dict]]:
    """The plots of `dvc plots diff REVS --json` with these titles: each spec draws every
    revision in its own colour."""
    return [(t, spec) for t, spec in pipeline_specs(plots_json) if t in titles]


def render(sections: list[tuple[str, str]]) -> str:
    parts = "".join(f"<section><h2>{html.escape(t)}</h2>{body}</section>" for t, body in sections)
    style = (
        "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
        "section{margin-bottom:2em}tr.best{background:#fff3b0;font-weight:bold}"
        "th{cursor:pointer}"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>password-complexity dashboard</title><style>{style}</style></head>"
        f"<body><h1>password-complexity</h1>{parts}<script>{SORT_SCRIPT}</script></body></html>"
    )


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


def all_experiments() -> list[dict]:
    """`dvc exp show --json` for each commit that has experiments: what `--all-commits` shows
    of experiments, without DVC reading every commit's params and metrics (the time it
    took: docs/tests.md, "Suite time")."""
    shown: list[dict] = []
    for sha in experiment_baselines():
        shown += json.loads(dvc("exp", "show", "--json", "--rev", sha) or "[]")
    return shown


def build(
    branch: str,
    svg=None,
    experiments: list[str] | None = None,
    fetch: bool = True,
    sweep: str | None = None,
) -> str:
    """The page. `sweep` names a sweeps/<name>.yaml whose metric and direction rank the
    experiments (default: the gate's primary validation figure, highest first)."""
    if svg is None:
        import vl_convert

        svg = vl_convert.vegalite_to_svg
    if fetch:
        fetch_remote_experiments()  # the experiments CI jobs pushed to origin, too
    params = load_params()
    key, direction = ranking_of(sweep, params)
    metrics, gate = metrics_file(), params.paths.gate.as_posix()
    exp_show = all_experiments()
    plots = json.loads(dvc("plots", "show", "--json") or "{}")
    table = experiments_table(exp_show, metrics, gate, key, direction)
    sections = [("Experiments", table)]
    if experiments is None:  # the best few by the ranked metric
        experiments = [name for name, _ in ranked(exp_show, metrics, key, direction)[:OVERLAID]]
    if experiments:
        diff = json.loads(dvc("plots", "diff", "HEAD", *experiments, "--json") or "{}")
        titles = overlay_titles(yaml.safe_load(Path("dvc.yaml").read_text(encoding="utf-8")))
        for title, spec in overlay_specs(diff, titles):
            label = f"{title}: HEAD and {', '.join(experiments)}"
            sections.append((label, svg(spec)))
    rows = history(metrics, branch)
    sections.append(
        (
            f"Metrics over the history of {branch}",
            svg(history_spec(rows)) if rows else "<p>No committed metrics yet.</p>",
        )
    )
    for title, spec in pipeline_specs(plots):
        sections.append((title, svg(spec)))
    return render(sections)


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--branch", default="HEAD", help="whose metrics history (default: HEAD)")
    args.add_argument("--out", type=Path, default=Path("reports/dashboard.html"))
    args.add_argument(
        "--experiments",
        help=f"comma-separated experiments to overlay (default: the best {OVERLAID})",
    )
    args.add_argument("--no-fetch", action="store_true", help="do not fetch origin's experiments")
    args.add_argument(
        "--sweep",
        help="rank by this sweeps/<name>.yaml's metric and direction (make report SWEEP=name)",
    )
    opts = args.parse_args(argv)
    chosen = opts.experiments.split(",") if opts.experiments else None
    try:
        page = build(opts.branch, experiments=chosen, fetch=not opts.no_fetch, sweep=opts.sweep)
    except PwcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    write_bytes(opts.out, page.encode("utf-8"))
    print(f"wrote {opts.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(entry(main))
