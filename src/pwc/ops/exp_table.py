"""The dashboard's experiment table, like DVC Studio's: one row per baseline commit and per
finished experiment (the params that differ from its baseline, the ranked validation figure,
test figures, the gate), the best highlighted, sortable in the browser by an inline script."""

from __future__ import annotations

import html

from pwc.ops.experiments import PRIMARY, figure, finished, ranked

# The table's figures: the ranked one first, then test figures (shown, never ranked by).
COLUMNS = [
    ("validation_head", "spearman"),
    ("validation_head", "auc_seen_twice"),
    ("test", "spearman"),
    ("test_head", "spearman"),
    ("test_head", "auc_seen_twice"),
]


def _flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in (tree or {}).items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def _figures(data: dict, metrics: str, gate: str) -> dict:
    found = (data.get("metrics") or {}).get(metrics, {}).get("data") or {}
    row = {f"{s}.{m}": (found.get(s) or {}).get("served", {}).get(m) for s, m in COLUMNS}
    row["gate"] = ((data.get("metrics") or {}).get(gate, {}).get("data") or {}).get("passed")
    return row


def experiment_rows(
    exp_show: list[dict], metrics: str, gate: str, key: tuple[str, ...] = PRIMARY
) -> tuple[list[dict], list]:
    """One row per commit that has experiments and per finished experiment: its figures (the
    ranked one, `key`, under "ranked") and the params that differ from its baseline commit's.
    (rows, the differing param keys)."""
    rows, keys, bases = [], set(), {}
    for baseline, name, data in finished(exp_show):
        if baseline["rev"] not in bases:  # the baseline commit's row, before its experiments
            base = baseline.get("data") or {}
            bases[baseline["rev"]] = _flat(
                (base.get("params") or {}).get("params.yaml", {}).get("data")
            )
            label = baseline.get("name") or baseline["rev"][:7]
            rows.append({"name": label, "baseline": True, "params": {}})
            rows[-1] |= _figures(base, metrics, gate) | {"ranked": figure(base, metrics, key)}
        params = _flat((data.get("params") or {}).get("params.yaml", {}).get("data"))
        base_params = bases[baseline["rev"]]
        differ = {k: v for k, v in params.items() if base_params.get(k) != v}
        keys |= set(differ)
        rows.append({"name": name, "baseline": False, "params": differ})
        rows[-1] |= _figures(data, metrics, gate) | {"ranked": figure(data, metrics, key)}
    return rows, sorted(keys)


def experiments_table(
    exp_show: list[dict],
    metrics: str,
    gate: str,
    key: tuple[str, ...] = PRIMARY,
    direction: str = "max",
) -> str:
    """A table sortable by any column (click a header; or open the page with
    #sort=<column>:<asc|desc>), the best experiment by `key` in `direction` highlighted (the
    ranking `make best` applies; a sweep file's metric and direction with --sweep)."""
    rows, keys = experiment_rows(exp_show, metrics, gate, key)
    if not rows:
        return "<p>No experiments in this repository yet: <code>make sweep</code> runs some.</p>"
    ranking = ranked(exp_show, metrics, key, direction)
    best = ranking[0][0] if ranking else None
    ranked_name = ".".join(key)
    shown = [f"{s}.served.{m}" for s, m in COLUMNS]
    extra = [] if ranked_name in shown else [ranked_name]  # the ranked figure, if not shown
    names = ["experiment", *keys, *extra, *shown, "gate"]
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = []
    for row in rows:
        values = [row["ranked"]] * len(extra) + [row[f"{s}.{m}"] for s, m in COLUMNS]
        cells = [html.escape(row["name"]) + (" (baseline)" if row["baseline"] else "")]
        cells += [html.escape(str(row["params"].get(k, ""))) for k in keys]
        cells += ["" if v is None else f"{v:.4f}" for v in values]
        cells.append({True: "passed", False: "FAILED", None: ""}[row["gate"]])
        mark = " class='best'" if row["name"] == best else ""
        body.append(f"<tr{mark}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    order = "highest" if direction == "max" else "lowest"
    return (
        f"<p>Best by {html.escape(ranked_name)}, {order} first (validation; test figures are "
        "shown, never ranked by) highlighted. Click a header to sort.</p>"
        f"<table class='sortable'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}"
        "</tbody></table>"
    )


# Sorting, inline (the page fetches nothing): numbers compare as numbers, the rest as text.
SORT_SCRIPT = """
function sortTable(table, col, dir) {
  const rows = Array.from(table.tBodies[0].rows);
  const key = (r) => r.cells[col].textContent;
  rows.sort((a, b) => {
    const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
    const c = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny;
    return dir === "asc" ? c : -c;
  });
  rows.forEach((r) => table.tBodies[0].appendChild(r));
}
document.querySelectorAll("table.sortable").forEach((table) => {
  const heads = Array.from(table.tHead.rows[0].cells);
  heads.forEach((th, col) => th.addEventListener("click", () => {
    th.dataset.dir = th.dataset.dir === "desc" ? "asc" : "desc";
    sortTable(table, col, th.dataset.dir);
  }));
  const wanted = decodeURIComponent(location.hash).match(/^#sort=(.+):(asc|desc)$/);
  const col = wanted ? heads.findIndex((th) => th.textContent === wanted[1]) : -1;
  if (col >= 0) sortTable(table, col, wanted[2]);
});
"""
