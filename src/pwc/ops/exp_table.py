"""The dashboard's experiments table, like DVC Studio's: one row per commit shown (HEAD, the
target branch, each commit experiments were run on) and per finished experiment; every param
and metric a column named as `dvc exp show --csv` names it, its value's text as that CSV
writes it, and each metric's direction (higher or lower is better) for the page's colouring.
The page's script (dashboard.js) hides and shows columns, filters, sorts, colours deltas
against a chosen baseline row, selects experiments to compare and exports the CSV.
"""

from __future__ import annotations

from collections import Counter

from dvc.utils.flatten import flatten  # DVC's own: the CSV's column names come from it

from pwc.ops.experiments import PRIMARY, figure, finished, ranked

# `dvc exp show`'s fixed columns: a metric or param of the same name gets its file prefixed
FIXED = ["Experiment", "rev", "typ", "Created", "parent", "State", "Executor"]
# The columns shown at first (the rest are a click away): the ranked validation figure,
# test figures as served, the gate; and every param that differs between rows.
SHOWN = [
    "validation_head.served.spearman",
    "validation_head.served.auc_seen_twice",
    "test.served.spearman",
    "test_head.served.spearman",
    "test_head.served.auc_seen_twice",
    "passed",
]
# Which way is better, by a metric's last name (a table, not a chain of ifs); others: none.
DIRECTIONS = {
    "max": {"spearman", "spearman_weighted", "auc_seen_twice", "r2", "within_1", "passed"},
    "min": {"rmse", "rmse_uncapped", "rmsle_times", "rows_quarantined", "bytes_per_hash"},
}
DIRECTIONS["min"] |= {"core_bytes", "core_gzip_bytes", "extended_bytes", "extended_gzip_bytes"}
DIRECTIONS["min"] |= {"advice_bytes", "advice_gzip_bytes"}


def direction(name: str) -> str | None:
    last = name.rsplit(".", 1)[-1]
    return next((d for d, names in DIRECTIONS.items() if last in names), None)


def csv_text(value) -> str:
    """A value as `dvc exp show --csv` writes it: str() of the parsed value (DVC formats no
    float without --precision), an empty field for a missing one."""
    return "" if value is None else str(value)


def _states(exp_show: list[dict]):
    """Every state DVC tabulates: baselines (the workspace too) and experiment revisions."""
    for baseline in exp_show:
        yield baseline
        for exp in baseline.get("experiments") or []:
            yield from exp.get("revs") or []


def _names(exp_show: list[dict], kind: str) -> dict[str, dict[str, None]]:
    """{file: {flattened name: None}} of `kind` (metrics or params), in DVC's order."""
    found: dict[str, dict[str, None]] = {}
    for state in _states(exp_show):
        for path, item in ((state.get("data") or {}).get(kind) or {}).items():
            data = (item or {}).get("data", {})
            if isinstance(data, dict):
                found.setdefault(path, {}).update(dict.fromkeys(flatten(data)))
    return found


def columns(exp_show: list[dict]) -> list[dict]:
    """Every metric and param: {key (the CSV's column name), kind, file, name, direction}."""
    names = {kind: _names(exp_show, kind) for kind in ("metrics", "params")}
    count = Counter(FIXED)
    count.update(n for by_file in names.values() for file in by_file.values() for n in file)
    out = []
    for kind, by_file in names.items():
        for path, found in by_file.items():
            for name in found:
                key = name if count[name] == 1 else f"{path}:{name}"
                better = direction(name) if kind == "metrics" else None
                out.append({"key": key, "kind": kind[:-1], "file": path, "name": name})
                out[-1]["direction"] = better
    return out


def _values(state: dict, cols: list[dict]) -> dict[str, str]:
    data = state.get("data") or {}
    flat = {}
    for kind in ("metrics", "params"):
        for path, item in (data.get(kind) or {}).items():
            inner = (item or {}).get("data", {})
            flat[kind[:-1], path] = flatten(inner) if isinstance(inner, dict) else {}
    return {c["key"]: csv_text(flat.get((c["kind"], c["file"]), {}).get(c["name"])) for c in cols}


def table(
    exp_show: list[dict],
    metrics: str,
    key: tuple[str, ...] = PRIMARY,
    order: str = "max",
    commits: dict[str, dict] | None = None,
) -> dict:
    """The page's table: {"columns", "rows", "best"}. A row: id, experiment (its name; "" for
    a commit, as in DVC's CSV), rev (a commit's branch or short sha, an experiment's short
    sha), kind, baseline (its commit's row id), values (column key -> CSV text), the ranked
    figure, and the git facts in `commits` (full sha -> branches, author, created)."""
    cols = columns(exp_show)
    commits = commits or {}
    rows: list[dict] = []

    def add(experiment: str, rev: str, base_id: int, state: dict, facts: dict) -> None:
        kind = "experiment" if experiment else "commit"
        rows.append(_row(len(rows), experiment, rev, kind, base_id, state, facts))
        rows[-1]["values"] = _values(state, cols)
        rows[-1]["ranked"] = figure(state.get("data") or {}, metrics, key)

    done = list(finished(exp_show))  # failed ones are left out: DVC shows their baseline's
    for baseline in exp_show:
        if baseline.get("rev") == "workspace":
            continue  # the working tree is no one's result
        base_id, facts = len(rows), commits.get(baseline["rev"], {})
        add("", baseline.get("name") or baseline["rev"][:7], base_id, baseline, facts)
        for _, name, state in (found for found in done if found[0] is baseline):
            own = commits.get(state["rev"], {}) | {"branches": facts.get("branches", [])}
            add(name, state["rev"][:7], base_id, state, own)
    ranking = ranked(exp_show, metrics, key, order)
    best = next((r["id"] for r in rows if ranking and r["experiment"] == ranking[0][0]), None)
    ranked_key = ".".join(key)
    differ = {
        c["key"]
        for c in cols
        if c["kind"] == "param" and len({r["values"][c["key"]] for r in rows}) > 1
    }
    for c in cols:
        c["shown"] = c["key"] in differ or (
            c["kind"] == "metric" and c["name"] in {*SHOWN, ranked_key}
        )
        c["ranked"] = c["kind"] == "metric" and c["file"] == metrics and c["name"] == ranked_key
    return {"columns": cols, "rows": rows, "best": best, "ranked": ranked_key, "order": order}


def _row(i: int, experiment: str, rev: str, kind: str, base_id: int, state, facts) -> dict:
    return {
        "id": i,
        "experiment": experiment,
        "rev": rev,
        "sha": state.get("rev", ""),
        "kind": kind,
        "baseline": base_id,
        "branches": facts.get("branches", []),
        "author": facts.get("author", ""),
        "created": (state.get("data") or {}).get("timestamp") or "",
    }
