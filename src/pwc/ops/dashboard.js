// The dashboard's experiments table (pwc.ops.dashboard writes the data; this draws it):
// columns to show or hide, filters on values, branch and author, sorting, deltas against a
// baseline row coloured by each metric's direction, up to MAX_SELECTED rows compared in the
// pipeline's plots side by side, and CSV export with the values as `dvc exp show --csv`
// writes them. No network: Vega, Vega-Lite and vega-embed are inlined in the page.
"use strict";
const DATA = JSON.parse(document.getElementById("data").textContent);
const MAX_SELECTED = 7;
const FIXED = ["Experiment", "rev"]; // the CSV's leading columns, as DVC names them
const OPS = {
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  "=": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};
const byKey = new Map(DATA.columns.map((c) => [c.key, c]));
const state = {
  shown: new Set(DATA.columns.filter((c) => c.shown).map((c) => c.key)),
  baseline: DATA.baseline,
  filters: [], // {key, op, value}
  branch: "",
  author: "",
  sort: null, // {key, dir}
  selected: new Set(initialSelection()),
};
const views = {}; // plot title -> Vega view, for a reader of what was drawn
const drawn = {}; // plot title -> the revisions in its data

function initialSelection() {
  // the baseline and the best rows by the ranked figure, like Studio's first plots
  const ranked = DATA.rows.filter((r) => r.ranked !== null && r.kind === "experiment");
  ranked.sort((a, b) => (DATA.order === "max" ? b.ranked - a.ranked : a.ranked - b.ranked));
  const ids = [DATA.baseline, ...ranked.slice(0, 3).map((r) => r.id)];
  return ids.filter((id, i) => id !== null && id !== undefined && ids.indexOf(id) === i);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : String(child));
  return node;
}

const label = (row) => row.experiment || row.rev;
const shownColumns = () => DATA.columns.filter((c) => state.shown.has(c.key));
const number = (text) => (text === "" || isNaN(Number(text)) ? null : Number(text));
// "True"/"False" as DVC writes booleans: 1/0 for deltas and direction
const numeric = (text) => (text === "True" ? 1 : text === "False" ? 0 : number(text));

function passes(row) {
  if (state.branch && !row.branches.includes(state.branch)) return false;
  if (state.author && row.author !== state.author) return false;
  return state.filters.every(({ key, op, value }) => {
    const text = key in row.values ? row.values[key] : String(row[key.toLowerCase()] ?? "");
    if (op === "contains") return text.includes(value);
    const [a, b] = [number(text), number(value)];
    if (a !== null && b !== null) return OPS[op](a, b);
    return op === "=" ? text === value : op === "!=" ? text !== value : false;
  });
}

function cellText(row, key) {
  if (key === "Experiment") return row.experiment;
  if (key === "rev") return row.rev;
  return row.values[key] ?? "";
}

function visibleRows() {
  const rows = DATA.rows.filter(passes);
  if (state.sort) {
    const { key, dir } = state.sort;
    rows.sort((a, b) => {
      const [x, y] = [cellText(a, key), cellText(b, key)];
      const [nx, ny] = [numeric(x), numeric(y)];
      if (x === "" || y === "") return (x === "") - (y === ""); // empty last either way
      const c = nx !== null && ny !== null ? nx - ny : x.localeCompare(y);
      return dir === "asc" ? c : -c;
    });
  }
  return rows;
}

function delta(row, column) {
  // the change against the baseline row, and whether it is better by the metric's direction
  const base = DATA.rows[state.baseline];
  if (!base || row.id === base.id || column.kind !== "metric") return null;
  const [a, b] = [numeric(row.values[column.key]), numeric(base.values[column.key])];
  if (a === null || b === null || a === b) return null;
  const change = a - b;
  const better = column.direction ? (column.direction === "max") === change > 0 : null;
  return { change, better };
}

function formatDelta(change) {
  const rounded = Number(change.toPrecision(4));
  return (rounded > 0 ? "+" : "") + rounded;
}

function headerCell(key) {
  const sorted = state.sort && state.sort.key === key ? ` ${state.sort.dir === "asc" ? "▲" : "▼"}` : "";
  const column = byKey.get(key);
  const title = column ? `${column.kind} in ${column.file}` : "";
  return el("th", { title, "data-key": key, onclick: () => sortBy(key) }, key + sorted);
}

function sortBy(key) {
  const dir = state.sort && state.sort.key === key && state.sort.dir === "desc" ? "asc" : "desc";
  state.sort = { key, dir };
  drawTable();
}

function drawTable() {
  const columns = shownColumns();
  const head = el("tr", {}, el("th", {}, "compare"), ...FIXED.map(headerCell));
  head.append(el("th", {}, "branch"), el("th", {}, "author"), el("th", {}, "created"));
  head.append(...columns.map((c) => headerCell(c.key)));
  const body = visibleRows().map((row) => {
    const picked = state.selected.has(row.id);
    const box = el("input", {
      type: "checkbox",
      checked: picked,
      disabled: !picked && state.selected.size >= MAX_SELECTED,
      title: `compare in the plots (at most ${MAX_SELECTED})`,
      onchange: () => toggle(row.id),
    });
    const classes = [row.kind];
    if (row.id === DATA.best) classes.push("best");
    if (row.id === state.baseline) classes.push("baseline");
    const tr = el("tr", { class: classes.join(" "), "data-id": row.id }, el("td", {}, box));
    tr.append(el("td", {}, row.experiment || "(commit)"), el("td", {}, row.rev));
    tr.append(el("td", {}, row.branches.join(", ")), el("td", {}, row.author));
    tr.append(el("td", {}, row.created));
    for (const column of columns) {
      const text = row.values[column.key];
      const d = delta(row, column);
      const cls = d && d.better !== null ? (d.better ? "better" : "worse") : "";
      const cell = el("td", { class: cls }, text);
      if (d) cell.append(el("span", { class: "delta" }, formatDelta(d.change)));
      tr.append(cell);
    }
    return tr;
  });
  const table = el("table", { id: "experiments" }, el("thead", {}, head), el("tbody", {}, body));
  document.getElementById("table").replaceChildren(table);
  document.getElementById("count").textContent =
    `${body.length} of ${DATA.rows.length} rows, ${columns.length} of ${DATA.columns.length} columns`;
}

function toggle(id) {
  if (state.selected.has(id)) state.selected.delete(id);
  else if (state.selected.size < MAX_SELECTED) state.selected.add(id);
  drawTable();
  dashboard.ready = drawPlots();
}

function restrict(spec, revs) {
  // the plot's data and its colour scale (DVC names every revision in it) to `revs`
  if (Array.isArray(spec)) return spec.map((s) => restrict(s, revs));
  if (!spec || typeof spec !== "object") return spec;
  const out = {};
  for (const [k, v] of Object.entries(spec)) out[k] = restrict(v, revs);
  if (out.field === "rev" && out.scale && Array.isArray(out.scale.domain)) {
    const keep = out.scale.domain.map((d, i) => [d, i]).filter(([d]) => revs.has(d));
    const range = out.scale.range;
    out.scale = { ...out.scale, domain: keep.map(([d]) => d) };
    if (Array.isArray(range)) out.scale.range = keep.map(([, i]) => range[i % range.length]);
  }
  if (hasRevValues(out)) out.values = out.values.filter((v) => !("rev" in v) || revs.has(v.rev));
  return out;
}
const hasRevValues = (node) => Array.isArray(node.values) && node.values.some((v) => v && "rev" in v);

async function drawPlots() {
  const rows = DATA.rows.filter((r) => state.selected.has(r.id));
  const revs = new Set(rows.map((r) => r.plot_rev));
  const grid = document.getElementById("plots");
  grid.replaceChildren();
  document.getElementById("selected").textContent = rows.length
    ? `${rows.map(label).join(", ")} (${rows.length} of at most ${MAX_SELECTED})`
    : "none: tick rows of the table";
  const done = DATA.plots.map(async ({ title, spec }) => {
    const box = el("div", { class: "plot", "data-title": title });
    grid.append(box);
    const restricted = restrict(spec, revs);
    const result = await vegaEmbed(box, restricted, { actions: false, renderer: "svg" });
    views[title] = result.view;
    const values = (restricted.data && restricted.data.values) || [];
    drawn[title] = [...new Set(values.map((v) => v.rev))].sort();
  });
  await Promise.all(done);
}

function csv() {
  // the shown table as `dvc exp show --csv` writes it: its column names, its value texts,
  // the csv module's quoting and line ends
  const keys = [...FIXED, ...shownColumns().map((c) => c.key)];
  const quote = (t) => (/[",\r\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t);
  const lines = [keys, ...visibleRows().map((r) => keys.map((k) => cellText(r, k)))];
  return lines.map((cells) => cells.map(quote).join(",")).join("\r\n") + "\r\n";
}

function download() {
  const link = el("a", {
    href: "data:text/csv;charset=utf-8," + encodeURIComponent(csv()),
    download: "experiments.csv",
  });
  document.body.append(link);
  link.click();
  link.remove();
}

function choice(id, name, options, onchange) {
  const select = el("select", { id, onchange: (e) => onchange(e.target.value) });
  for (const [value, text] of options) select.append(el("option", { value }, text));
  return el("label", {}, `${name} `, select);
}

function drawFilters() {
  const list = document.getElementById("filters");
  list.replaceChildren(
    ...state.filters.map((f, i) =>
      el("span", { class: "filter" }, `${f.key} ${f.op} ${f.value} `,
        el("button", { onclick: () => { state.filters.splice(i, 1); drawFilters(); drawTable(); } }, "✕")),
    ),
  );
}

function addFilter(key, op, value) {
  state.filters.push({ key, op, value });
  drawFilters();
  drawTable();
}

function controls() {
  const rowsOptions = DATA.rows.map((r) => [r.id, `${label(r)}${r.kind === "commit" ? " (commit)" : ""}`]);
  const branches = [...new Set(DATA.rows.flatMap((r) => r.branches))].sort();
  const authors = [...new Set(DATA.rows.map((r) => r.author).filter(Boolean))].sort();
  const baseline = choice("baseline", "Baseline", rowsOptions, (v) => {
    state.baseline = Number(v);
    drawTable();
  });
  baseline.querySelector("select").value = String(state.baseline);
  const branch = choice("branch", "Branch", [["", "all"], ...branches.map((b) => [b, b])], (v) => {
    state.branch = v;
    drawTable();
  });
  const author = choice("author", "Author", [["", "all"], ...authors.map((a) => [a, a])], (v) => {
    state.author = v;
    drawTable();
  });
  const keys = [...FIXED, ...DATA.columns.map((c) => c.key)];
  const filterKey = el("select", { id: "filter-key" }, keys.map((k) => el("option", { value: k }, k)));
  const filterOp = el("select", { id: "filter-op" }, [...Object.keys(OPS), "contains"].map((o) => el("option", { value: o }, o)));
  const filterValue = el("input", { id: "filter-value", size: 10 });
  const add = el("button", { id: "filter-add", onclick: () => addFilter(filterKey.value, filterOp.value, filterValue.value) }, "add filter");
  const picker = el("details", { id: "columns" }, el("summary", {}, "Columns"),
    ...["param", "metric"].map((kind) => el("fieldset", {}, el("legend", {}, `${kind}s`),
      DATA.columns.filter((c) => c.kind === kind).map((c) => el("label", { class: "col" },
        el("input", { type: "checkbox", value: c.key, checked: state.shown.has(c.key),
          onchange: (e) => { e.target.checked ? state.shown.add(c.key) : state.shown.delete(c.key); drawTable(); } }),
        c.key)))));
  const exportButton = el("button", { id: "csv", onclick: download }, "Export CSV");
  return el("div", { class: "controls" }, baseline, branch, author,
    el("span", {}, "Filter ", filterKey, filterOp, filterValue, add), el("span", { id: "filters" }),
    exportButton, picker);
}

const app = document.getElementById("app");
app.append(
  el("h2", {}, "Experiments"), controls(), el("p", { id: "count" }), el("div", { id: "table" }),
  el("h2", {}, "Compare"), el("p", {}, "Selected: ", el("span", { id: "selected" })),
  el("div", { id: "plots", class: "grid" }),
  el("h2", {}, `Metrics over the history of ${DATA.branch}`), el("div", { id: "history" }),
);
drawTable();
const dashboard = { state, csv, addFilter, toggle, views, drawn, data: DATA };
dashboard.ready = Promise.all([
  drawPlots(),
  DATA.history.data.values.length
    ? vegaEmbed("#history", DATA.history, { actions: false, renderer: "svg" })
    : Promise.resolve(document.getElementById("history").append("No committed metrics yet.")),
]);
window.dashboard = dashboard;
