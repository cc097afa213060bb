"""Merge-request report, posted as one note through the GitLab REST API. It opens with the
answer (the served scorer's validation metrics and their change against the target branch,
the gate's decision with its thresholds, the registry version in prod it would replace) and
folds the rest: every changed param and metric, and the changed plots as PNG (rendered
offline by vl-convert), in collapsible sections.

    python -m pwc.ops.mr_report --base origin/main            # print the markdown only
    python -m pwc.ops.mr_report --base origin/main --post     # upload plots, post the note

Posting reads GitLab's predefined CI variables CI_API_V4_URL, CI_PROJECT_ID and
CI_MERGE_REQUEST_IID, and the token from PWC_GITLAB_TOKEN (a masked CI/CD variable holding a
project access token with `api` scope). The token only ever travels in a header.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass

from pwc.config import load_params
from pwc.errors import PwcError
from pwc.ops import registry
from pwc.ops.gitlab import GitLab
from pwc.ops.tools import dvc, entry, user_errors


@dataclass
class Plot:
    title: str
    png: bytes


def _values_by_rev(spec: dict) -> dict[str, list]:
    by_rev: dict[str, list] = {}
    for row in (spec.get("data") or {}).get("values", []):
        row = dict(row)
        by_rev.setdefault(str(row.pop("rev", "")), []).append(row)
    return by_rev


def changed_plots(plots_json: dict, render=None) -> list[Plot]:
    """Plots of `dvc plots diff BASE --json` whose data differ between the revisions."""
    if render is None:
        import vl_convert  # offline: bundles Vega, fetches nothing

        def render(spec):
            return vl_convert.vegalite_to_png(spec, scale=1.5)

    out = []
    for title, entries in sorted(plots_json.get("data", {}).items()):
        for item in entries:
            spec = item.get("content") or {}
            revs = _values_by_rev(spec)
            if len(revs) < 2 or all(v == next(iter(revs.values())) for v in revs.values()):
                continue  # one side only, or nothing changed
            out.append(Plot(title, render(spec)))
    return out


def _table_or_none(table_md: str) -> str | None:
    """DVC's markdown diff table, or None when it has no rows: with nothing changed DVC
    still prints the header and the separator."""
    lines = [line for line in table_md.strip().splitlines() if line.startswith("|")]
    return table_md.strip() if len(lines) > 2 else None


# The headline: the served scorer's figures the gate and the retrain decide on
HEADLINE_SETS = ("validation", "validation_head")
HEADLINE_METRICS = (("spearman", "Spearman"), ("auc_seen_twice", "AUC seen twice"))


def _cell(change: dict) -> str:
    new, old = change.get("new"), change.get("old")
    if not isinstance(new, int | float):
        return "n/a"
    if not isinstance(old, int | float):
        return f"{new:.4f} (new)"
    return f"{new:.4f} ({new - old:+.4f})"


def headline(base: str, served: dict, gate: dict | None, prod: str | None) -> list[str]:
    """At most ten lines: `served` maps `set.served.metric` to DVC's {old, new} (`dvc metrics
    diff --all --json` of the evaluate metrics), `gate` is the gate's report, `prod` the
    registry version in prod (None: none yet)."""
    names = [label for _, label in HEADLINE_METRICS]
    lines = [f"| served, against `{base}` | {' | '.join(names)} |", "|---" * (len(names) + 1) + "|"]
    for name in HEADLINE_SETS:
        cells = [_cell(served.get(f"{name}.served.{key}", {})) for key, _ in HEADLINE_METRICS]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    lines.append("")  # a table ends at a blank line (GitLab would read on as rows)
    if gate is None:
        lines.append("**Gate:** no decision (no gate report in this workspace).")
    else:
        checks = "; ".join(
            f"{c['check']} {c['value']:.4g} {c['rule']} {c['threshold']:.4g}"
            + ("" if c["passed"] else " **(failed)**")
            for c in gate.get("checks", [])
        )
        lines.append(f"**Gate: {'passed' if gate.get('passed') else 'failed'}** ({checks}).")
    replaced = f"would replace `model` {prod} in prod" if prod else "no `model` version in prod yet"
    lines.append("")
    lines.append(f"**Registry:** {replaced}.")
    return lines


def _folded(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def _rows(table_md: str | None) -> int:
    return (
        0 if table_md is None else sum(line.startswith("|") for line in table_md.splitlines()) - 2
    )


def markdown(
    base: str, params_md: str, metrics_md: str, plot_links: list[str], lead: list[str] | None = None
) -> str:
    """The note: the headline (`lead`), then every table and plot folded."""
    params, metrics = _table_or_none(params_md), _table_or_none(metrics_md)
    parts = [f"## Pipeline report against `{base}`", "\n".join(lead or [])]
    parts.append(_folded(f"Params: {_rows(params)} changed", params or "No params changed."))
    parts.append(_folded(f"Metrics: {_rows(metrics)} changed", metrics or "No metrics changed."))
    plots = "\n\n".join(plot_links) if plot_links else "No plot changed."
    parts.append(_folded(f"Plots: {len(plot_links)} changed", plots))
    return "\n\n".join(p for p in parts if p) + "\n"


_SERVED = ".served."  # what marks the evaluate stage's metrics file (set.served.metric)


def _gate() -> dict | None:
    """The gate's report of this workspace (params.yaml's paths.gate), if there is one."""
    try:
        path = load_params().paths.gate
    except PwcError:
        return None  # not this project's params.yaml (a scratch project in the tests)
    return json.loads(path.read_text()) if path.is_file() else None


@user_errors
def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--base", default="main", help="revision to compare with")
    args.add_argument("--post", action="store_true", help="post to the merge request")
    opts = args.parse_args(argv)
    params_md = dvc("params", "diff", opts.base, "--md")
    metrics_md = dvc("metrics", "diff", opts.base, "--md")
    plots = changed_plots(json.loads(dvc("plots", "diff", opts.base, "--json") or "{}"))
    gitlab = GitLab.from_env() if opts.post else None
    links = []
    for i, plot in enumerate(plots):
        name = f"plot-{i}.png"
        links.append(
            f"**{plot.title}**\n\n" + (gitlab.upload(name, plot.png) if gitlab else f"({name})")
        )
    every = json.loads(dvc("metrics", "diff", opts.base, "--all", "--json") or "{}")
    served = next((m for m in every.values() if any(_SERVED in k for k in m)), {})
    lead = headline(opts.base, served, _gate(), registry.version_in("prod"))
    body = markdown(opts.base, params_md, metrics_md, links, lead)
    print(body)
    if gitlab is not None:
        gitlab.note(os.environ["CI_MERGE_REQUEST_IID"], body)
        print("posted the report to the merge request", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(entry(main))
