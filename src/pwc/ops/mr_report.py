"""Merge-request report: params and metrics diff against the target branch, changed plots as
PNG (rendered offline by vl-convert), posted as one note through the GitLab REST API.

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

import httpx

from pwc.errors import PwcError
from pwc.ops.tools import dvc, entry


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


def markdown(base: str, params_md: str, metrics_md: str, plot_links: list[str]) -> str:
    parts = [f"## Pipeline report against `{base}`"]
    parts += ["### Params", _table_or_none(params_md) or "No params changed."]
    parts += ["### Metrics", _table_or_none(metrics_md) or "No metrics changed."]
    parts += ["### Plots", "\n\n".join(plot_links) if plot_links else "No plot changed."]
    return "\n\n".join(parts) + "\n"


class GitLab:
    """The two REST calls the report needs (uploads, merge-request notes)."""

    def __init__(self, api_url: str, project: str, token: str, client: httpx.Client | None = None):
        self.base = f"{api_url.rstrip('/')}/projects/{project}"
        self.client = client or httpx.Client(timeout=30.0)
        self.headers = {"PRIVATE-TOKEN": token}

    @classmethod
    def from_env(cls, merge_request: str | None = None) -> GitLab:
        """From GitLab's CI variables; the merge request is the pipeline's own unless named."""
        needed = ["CI_API_V4_URL", "CI_PROJECT_ID", "PWC_GITLAB_TOKEN"]
        needed += [] if merge_request else ["CI_MERGE_REQUEST_IID"]
        missing = [v for v in needed if not os.environ.get(v)]
        if missing:
            raise PwcError(f"cannot post the report: set {', '.join(missing)}")
        env = os.environ
        return cls(env["CI_API_V4_URL"], env["CI_PROJECT_ID"], env["PWC_GITLAB_TOKEN"])

    def _check(self, response: httpx.Response, what: str) -> dict:
        if response.status_code >= 300:
            # GitLab's error body names the problem; the token is never in it
            raise PwcError(f"GitLab {what} failed: HTTP {response.status_code}")
        return response.json()

    def upload(self, name: str, data: bytes) -> str:
        """Markdown that shows the uploaded image."""
        response = self.client.post(
            f"{self.base}/uploads", headers=self.headers, files={"file": (name, data, "image/png")}
        )
        return self._check(response, "upload")["markdown"]

    def note(self, merge_request: str, body: str) -> dict:
        response = self.client.post(
            f"{self.base}/merge_requests/{merge_request}/notes",
            headers=self.headers,
            json={"body": body},
        )
        return self._check(response, "note")


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--base", default="main", help="revision to compare with")
    args.add_argument("--post", action="store_true", help="post to the merge request")
    opts = args.parse_args(argv)
    try:
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
        body = markdown(opts.base, params_md, metrics_md, links)
        print(body)
        if gitlab is not None:
            gitlab.note(os.environ["CI_MERGE_REQUEST_IID"], body)
            print("posted the report to the merge request", file=sys.stderr)
    except PwcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(entry(main))
