"""`make report`: one self-contained HTML dashboard, readable offline.

Experiments (`dvc exp show`), the headline metrics over the git history of a branch, and
the pipeline's plots. Plots are rendered to inline SVG by vl-convert (it bundles Vega), so
the page has no script and makes no network request.

    python -m pwc.ops.dashboard [--branch HEAD] [--out reports/dashboard.html]
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path

from pwc.data.split import TEST_SETS
from pwc.errors import PwcError
from pwc.io import write_bytes
from pwc.ops.experiments import PRIMARY, metrics_file, ranked
from pwc.ops.tools import dvc, git

HEADLINE = [(s, m) for s in TEST_SETS for m in ("spearman", "auc_seen_twice")]


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
        for entry in entries:
            if entry.get("type") == "vega" and entry.get("content"):
                out.append((title, entry["content"]))
    return out


def experiments_table(exp_show: list[dict], metrics_file: str) -> str:
    rows = ranked(exp_show, metrics_file)
    if not rows:
        return "<p>No experiments in this repository yet: <code>make sweep</code> runs some.</p>"
    body = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{value:.4f}</td></tr>" for name, value in rows
    )
    head = f"<tr><th>experiment</th><th>{html.escape('.'.join(PRIMARY))}</th></tr>"
    return f"<table>{head}{body}</table>"


def render(sections: list[tuple[str, str]]) -> str:
    parts = "".join(f"<section><h2>{html.escape(t)}</h2>{body}</section>" for t, body in sections)
    style = (
        "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
        "section{margin-bottom:2em}"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>password-complexity dashboard</title><style>{style}</style></head>"
        f"<body><h1>password-complexity</h1>{parts}</body></html>"
    )


def build(branch: str, svg=None) -> str:
    if svg is None:
        import vl_convert

        svg = vl_convert.vegalite_to_svg
    metrics = metrics_file()
    exp_show = json.loads(dvc("exp", "show", "--json") or "[]")
    plots = json.loads(dvc("plots", "show", "--json") or "{}")
    sections = [("Experiments, best first", experiments_table(exp_show, metrics))]
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
    opts = args.parse_args(argv)
    try:
        page = build(opts.branch)
    except PwcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    write_bytes(opts.out, page.encode("utf-8"))
    print(f"wrote {opts.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
