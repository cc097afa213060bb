"""`make report`: one self-contained HTML file with DVC Studio's table, read in headless
Chromium. The repository's own page makes no network request; in a scratch DVC repository
with real experiments (`dvc exp save` on two branches, two authors), the page filters on
values, branch and author, colours deltas by direction, compares three selected experiments
in the plots and exports a CSV equal to `dvc exp show --csv` for every shown column."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import threading

import pytest
import yaml

from pwc.evaluation import evaluate
from pwc.ops import dashboard, exp_table
from tests.project import PARAMS
from tests.web.conftest import NODE_MODULES, chromium

from ..conftest import ROOT

BIN = ROOT / ".venv" / "bin"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "dashboard.html"
    cwd = os.getcwd()
    os.chdir(ROOT)  # the repository's params, metrics, plots and history
    try:
        assert dashboard.main(["--branch", "HEAD", "--out", str(out), "--no-fetch"]) == 0
    finally:
        os.chdir(cwd)
    return out


def test_page_is_self_contained(page):
    text = page.read_text()
    assert not re.findall(r"<script[^>]*\ssrc\s*=", text)  # every script inline
    markup = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.S)  # their code aside
    urls = set(re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", markup))
    assert not urls, urls  # nothing to fetch
    assert "default-src 'none'" in text  # and the browser is told to fetch nothing anyway
    assert "vega-embed" in text and "cdn.jsdelivr" not in text


def test_history_is_one_line_per_metric_across_the_renamed_figure():
    rows = dashboard.history(PARAMS.paths.evaluate_metrics.as_posix(), "HEAD")
    commits = {r["commit"] for r in rows}
    assert len(rows) == 4 * len(commits) and commits  # no commit drops out of a line
    assert {r["metric"] for r in rows} == {f"{s} {m}" for s, m in dashboard.HEADLINE}
    # this repository's first metrics measured the model alone, later ones the served scorer
    assert {r["figure"] for r in rows} == {"served", "model alone"}


def test_an_unknown_branch_is_an_error_naming_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "d.html"
    assert dashboard.main(["--branch", "no-such-branch", "--out", str(out), "--no-fetch"]) == 1
    err = capsys.readouterr().err
    assert "no-such-branch" in err and "Traceback" not in err
    assert not out.exists()


# Chromium's own housekeeping (clock, accounts, component updates) still goes out with
# --disable-background-networking; the page's requests would name other hosts (a CDN).
BROWSER_HOSTS = re.compile(r"(^|\.)(google\.com|gvt1\.com|googleapis\.com|gstatic\.com)$")


class _Recorder:
    """A TCP listener standing in for the proxy: records the host of every request."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.hosts: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(2)
            try:
                line = conn.recv(512).split(b"\r\n")[0].decode("latin-1")
                target = line.split()[1]  # CONNECT host:443 / GET http://host/path
                self.hosts.append(target.split("//")[-1].split("/")[0].split(":")[0])
            except (OSError, IndexError):
                self.hosts.append("?")
            conn.close()

    def page_hosts(self) -> set[str]:
        return {h for h in self.hosts if not BROWSER_HOSTS.search(h)}


def _dump_dom(browser: str, url: str, proxy: _Recorder) -> subprocess.CompletedProcess:
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    return subprocess.run(
        [browser, *args, f"--proxy-server=http://127.0.0.1:{proxy.port}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_chromium_renders_every_plot_without_network(page, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium not installed (Debian package `chromium`): browser check skipped")
    control = tmp_path / "control.html"  # control: the recorder does see a page's request
    control.write_text('<img src="http://cdn.example.invalid/x.png">')
    proxy = _Recorder()
    _dump_dom(browser, control.as_uri(), proxy)
    assert "cdn.example.invalid" in proxy.page_hosts()
    proxy.sock.close()
    proxy = _Recorder()
    proc = _dump_dom(browser, page.as_uri(), proxy)
    proxy.sock.close()
    assert proc.returncode == 0 and proxy.page_hosts() == set(), proxy.hosts
    plots = len(yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"])
    run = chromium(page.as_uri(), [{"eval": DRAWN}], tmp_path)
    assert run["errors"] == []
    drawn = run["results"][0]
    assert len(drawn["plots"]) == plots and all(n > 0 for n in drawn["plots"].values()), drawn
    assert drawn["history"] > 0


# Per plot, how many marks with a drawn path it has (a blank plot has axes only, no marks).
MARKS = "g.mark-line path, g.mark-area path, g.mark-symbol path, g.mark-rect path"
DRAWN = f"""dashboard.ready.then(() => {{
  const marks = (box) => [...box.querySelectorAll('{MARKS}')]
    .filter((p) => (p.getAttribute('d') || '').length > 8).length;
  const plots = {{}};
  for (const b of document.querySelectorAll('#plots .plot')) plots[b.dataset.title] = marks(b);
  return {{plots, history: marks(document.getElementById('history'))}};
}})"""


def _rev(alpha: float, spearman: float | None, passed=True, error=None) -> dict:
    metrics = {"m.json": {"data": {}}, "g.json": {"data": {"passed": passed}}}
    if spearman is not None:
        for name in ("validation_head", "test", "test_head"):
            metrics["m.json"]["data"][name] = {
                "served": {"spearman": spearman, "auc_seen_twice": 0.8, "rmse": 1e-05}
            }
    params = {"params.yaml": {"data": {"train": {"alpha": alpha, "rows": 10}, "seed": 1}}}
    return {"error": error, "data": {"params": params, "metrics": metrics}}


EXP_SHOW = [
    {"rev": "workspace", "name": None, **_rev(3, 0.5), "experiments": None},
    {
        "rev": "abc1234" * 5 + "abcde",
        "name": "main",
        **_rev(3, 0.5),
        "experiments": [
            {"name": "exp-low", "revs": [{"rev": "1" * 40, **_rev(1, 0.4)}]},
            {"name": "exp-high", "revs": [{"rev": "2" * 40, **_rev(10, 0.7, passed=False)}]},
            # failed: DVC lists it beside its baseline's metrics
            {"name": "exp-failed", "revs": [{"rev": "3" * 40, **_rev(30, 0.5, error={"m": 1})}]},
        ],
    },
]


def test_the_table_has_a_row_per_commit_and_finished_experiment_and_dvcs_column_names():
    data = exp_table.table(EXP_SHOW, "m.json")
    assert [(r["experiment"], r["rev"]) for r in data["rows"]] == [
        ("", "main"),
        ("exp-low", "1111111"),
        ("exp-high", "2222222"),
    ]
    by_key = {c["key"]: c for c in data["columns"]}
    assert by_key["train.alpha"]["shown"] and not by_key["train.rows"]["shown"]  # differs or not
    assert by_key["validation_head.served.spearman"]["direction"] == "max"
    assert (
        by_key["test.served.rmse"]["direction"] == "min" and not by_key["test.served.rmse"]["shown"]
    )
    assert data["rows"][1]["values"]["test.served.rmse"] == "1e-05"  # str() of the value, as DVC
    assert data["rows"][2]["values"]["passed"] == "False"
    assert data["rows"][data["best"]]["experiment"] == "exp-high"  # best by the ranked figure
    low = exp_table.table(EXP_SHOW, "m.json", order="min")
    assert low["rows"][low["best"]]["experiment"] == "exp-low"


def test_a_name_in_two_files_gets_its_file_as_dvc_does():
    shown = json.loads(json.dumps(EXP_SHOW))
    shown[1]["data"]["metrics"]["other.json"] = {"data": {"seed": 2, "train": {"alpha": 0.5}}}
    keys = [c["key"] for c in exp_table.columns(shown)]
    assert "other.json:seed" in keys and "params.yaml:seed" in keys and "seed" not in keys
    assert "params.yaml:train.alpha" in keys and "train.rows" in keys


def test_length_buckets_are_in_numeric_order():
    results = {"test": {"slices": {name: {"rmse": 1.0} for name, *_ in evaluate.LENGTH_BUCKETS}}}
    labels = [row["length"] for row in evaluate.error_by_length(results)]
    assert labels == sorted(labels) == ["01-05", "06-08", "09-12", "13-up"]


def test_experiments_are_read_from_the_baselines_their_refs_name(monkeypatch):
    """DVC's own refs under refs/exps are not experiments; each baseline is asked once."""
    a, b = "ab" + "1" * 38, "cd" + "2" * 38
    refs = [
        f"refs/exps/{a[:2]}/{a[2:]}/exp-one",
        f"refs/exps/{a[:2]}/{a[2:]}/exp-two",
        f"refs/exps/{b[:2]}/{b[2:]}/exp-three",
        "refs/exps/celery/stash",
        "refs/exps/exec/EXEC_BASELINE",
    ]
    monkeypatch.setattr(dashboard, "git", lambda *args: "\n".join(refs) + "\n")
    assert dashboard.experiment_baselines() == [a, b]


# A scratch DVC repository with real experiments: the project's params.yaml, the evaluate
# and gate metrics files the dashboard reads, one more metrics file whose names collide with
# params (DVC then names both by file), one plot. Values chosen to test text: 1e-05,
# 0.30000000000000004, an int, a bool, a string with a comma.
def _metrics(spearman: float, rmse: float) -> dict:
    served = {"spearman": spearman, "auc_seen_twice": 0.8, "rmse": rmse}
    return {s: {"served": served} for s in ("validation_head", "test", "test_head")}


POINTS = {  # name -> (author, train.alpha, spearman, rmse)
    "e-low": ("Ann", 1, 0.41, 1e-05),
    "e-mid": ("Ann", 2, 0.30000000000000004, 1.5),
    "e-high": ("Ann", 3, 0.75, 0.9),
    "e-bob": ("Bob", 4, 0.6, 2),
}


def _git(repo, *args, author="Ann"):
    env = {**os.environ, "GIT_AUTHOR_NAME": author, "GIT_COMMITTER_NAME": author}
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    )  # fmt: skip


def _dvc(repo, *args):
    proc = subprocess.run(
        [str(BIN / "dvc"), *args], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _save(repo, name: str, author: str, alpha, spearman, rmse):
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    raw["train"]["alpha"] = alpha
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    metrics = repo / PARAMS.paths.evaluate_metrics
    metrics.write_text(json.dumps(_metrics(spearman, rmse)))
    _git(repo, "config", "user.name", author)  # DVC commits experiments as git's user
    _dvc(repo, "exp", "save", "-q", "-n", name)
    _git(repo, "config", "user.name", "Ann")
    _git(repo, "checkout", "-q", "--", ".")


@pytest.fixture(scope="module")
def exp_repo(tmp_path_factory):
    repo = tmp_path_factory.mktemp("exps") / "repo"
    repo.mkdir()
    shutil.copy2(ROOT / "params.yaml", repo / "params.yaml")
    evaluate_metrics, gate = PARAMS.paths.evaluate_metrics, PARAMS.paths.gate
    roc = evaluate_metrics.parent / "plots/custom/roc_test_head.json"
    stage = {
        "cmd": "true",
        "params": ["train.alpha", {"labels.yaml": ["label"]}],
        "metrics": [{str(p): {"cache": False}} for p in (evaluate_metrics, gate, "extra.json")],
        "plots": [{str(roc): {"cache": False}}],
    }
    plots = [{"ROC": {"x": "fpr", "y": {str(roc): "tpr"}}}]
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"evaluate": stage}, "plots": plots}))
    (repo / "labels.yaml").write_text('label: "a, b"\n')  # the CSV quotes it
    (repo / evaluate_metrics).parent.mkdir(parents=True)
    (repo / evaluate_metrics).write_text(json.dumps(_metrics(0.5, 1.0)))
    (repo / gate).write_text(json.dumps({"passed": True}))
    (repo / "extra.json").write_text(json.dumps({"label": 7, "seed": 3}))  # both params' names
    (repo / roc).parent.mkdir(parents=True)
    (repo / roc).write_text(json.dumps([{"fpr": x / 4, "tpr": (x / 4) ** 0.5} for x in range(5)]))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "dev@example.invalid")
    _git(repo, "config", "user.name", "Ann")
    _dvc(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "main's model")
    for name in ("e-low", "e-mid"):
        _save(repo, name, *POINTS[name])
    _git(repo, "checkout", "-q", "-b", "feature")
    (repo / evaluate_metrics).write_text(json.dumps(_metrics(0.55, 0.95)))
    _git(repo, "commit", "-qam", "a better model on a branch")
    for name in ("e-high", "e-bob"):
        _save(repo, name, *POINTS[name])
    out = repo / "dashboard.html"
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    args = [
        "--target",
        "main",
        "--no-fetch",
        "--out",
        str(out),
        "--node-modules",
        str(NODE_MODULES),
    ]
    proc = subprocess.run(
        [str(BIN / "python"), "-m", "pwc.ops.dashboard", *args],
        cwd=repo,
        env=env | {"PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return repo, out


def _rows(csv_text: str) -> dict[tuple[str, str], dict]:
    return {(r["Experiment"], r["rev"]): r for r in csv.DictReader(io.StringIO(csv_text))}


# the rows shown, as "experiment@rev"
VISIBLE = (
    "[...document.querySelectorAll('#experiments tbody tr')]"
    ".map(tr => tr.cells[1].textContent + '@' + tr.cells[2].textContent)"
)


def _set(select: str, value: str) -> str:
    return (
        f"(() => {{ const s = document.querySelector('{select}'); s.value = {json.dumps(value)};"
        " s.dispatchEvent(new Event('change')); return s.value; })()"
    )


def test_studio_table_filters_colours_compares_three_and_exports_dvcs_csv(exp_repo, tmp_path):
    repo, page = exp_repo
    spearman = "validation_head.served.spearman"
    select_three = (
        "(() => { dashboard.state.selected.clear(); dashboard.data.rows"
        ".filter(r => ['e-low', 'e-high', 'e-bob'].includes(r.experiment))"
        ".forEach(r => dashboard.toggle(r.id));"
        " return dashboard.ready.then(() => dashboard.drawn); })()"
    )
    to_target = (
        "(() => { const s = document.querySelector('#baseline');"
        " s.value = String(dashboard.data.target); s.dispatchEvent(new Event('change'));"
        " return dashboard.data.rows[dashboard.state.baseline].rev; })()"
    )
    roc_revs = "[...new Set(dashboard.views['ROC'].data('source_0').map(d => d.rev))].sort()"
    line_colours = (
        "new Set([...document.querySelector('#plots .plot').querySelectorAll("
        "'g.mark-line path')].map(p => p.getAttribute('stroke'))).size"
    )
    steps = [
        {"eval": "dashboard.ready.then(() => true)"},
        {"eval": VISIBLE},
        {"eval": f"(dashboard.addFilter('{spearman}', '>', '0.45'), {VISIBLE})"},
        {"eval": "(dashboard.state.filters.length = 0, true)"},
        {"eval": _set("#branch", "main")},
        {"eval": VISIBLE},
        {"eval": _set("#branch", "")},
        {"eval": _set("#author", "Bob")},
        {"eval": VISIBLE},
        {"eval": _set("#author", "")},
        {"eval": to_target},  # deltas against main's commit (Spearman 0.5)
        {"eval": _cell_class("e-bob", spearman)},
        {"eval": _cell_class("e-low", spearman)},
        {"eval": select_three},
        {"eval": roc_revs},
        {"eval": line_colours},
        {"eval": "(document.querySelector('#csv').click(), dashboard.csv())"},
    ]
    run = chromium(page.as_uri(), steps, tmp_path)
    assert run["errors"] == []
    r = run["results"]
    commits = {"(commit)@feature", "(commit)@main"}
    assert set(r[1]) == commits | {f"{n}@{_short(repo, n)}" for n in POINTS}
    assert {v.split("@")[0] for v in r[2]} == {"(commit)", "e-high", "e-bob"}  # 0.55, 0.75, 0.6
    # main's rows: its commit (feature's holds it too) and the experiments run on it
    assert set(r[5]) == {"(commit)@main"} | {f"{n}@{_short(repo, n)}" for n in ("e-low", "e-mid")}
    assert [v.split("@")[0] for v in r[8]] == ["e-bob"]
    assert r[10] == "main" and r[11] == "better" and r[12] == "worse"  # 0.6 and 0.41 vs 0.5
    assert r[13]["ROC"] == ["e-bob", "e-high", "e-low"]  # the three, and only them, drawn
    assert r[14] == ["e-bob", "e-high", "e-low"] and r[15] == 3  # three lines, three colours

    exported = _rows(r[16])
    revs = [a for sha in dashboard_revs(repo) for a in ("--rev", sha)]
    dvcs = _rows(_dvc(repo, "exp", "show", "--csv", *revs))
    dvcs.pop(("", "workspace"))
    assert exported.keys() == dvcs.keys()
    shown = list(csv.reader(io.StringIO(r[16])))[0]
    assert spearman in shown and "train.alpha" in shown and "passed" in shown
    assert "extra.json:seed" not in shown  # the same in every row: hidden at first
    for key, row in exported.items():
        for column in shown:
            assert row[column] == dvcs[key][column], (key, column)  # to the last digit
    assert exported[("e-mid", _short(repo, "e-mid"))][spearman] == "0.30000000000000004"


def _cell_class(experiment: str, key: str) -> str:
    """JS: the class of `experiment`'s cell in column `key` (better, worse or none)."""
    return (
        "(() => { const heads = [...document.querySelectorAll('#experiments thead th')]"
        ".map(h => h.dataset.key); const tr = [...document.querySelectorAll("
        f"'#experiments tbody tr')].find(t => t.cells[1].textContent === '{experiment}');"
        f" return tr.cells[heads.indexOf('{key}')].className; }})()"
    )


def _short(repo, name: str) -> str:
    """The experiment's rev as DVC's CSV names it."""
    return next(rev for exp, rev in _rows(_dvc(repo, "exp", "show", "-A", "--csv")) if exp == name)


def dashboard_revs(repo) -> list[str]:
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        return dashboard.shown_revs("main")
    finally:
        os.chdir(cwd)


def test_every_column_can_be_shown_and_its_csv_still_matches_dvc(exp_repo, tmp_path):
    repo, page = exp_repo
    show_all = (
        "(() => { document.querySelectorAll('#columns input[type=checkbox]')"
        ".forEach(b => { if (!b.checked) b.click(); }); return dashboard.csv(); })()"
    )
    run = chromium(page.as_uri(), [{"eval": show_all}], tmp_path)
    assert run["errors"] == []
    exported = _rows(run["results"][0])
    revs = [a for sha in dashboard_revs(repo) for a in ("--rev", sha)]
    dvcs = _rows(_dvc(repo, "exp", "show", "--csv", *revs))
    columns = list(csv.reader(io.StringIO(run["results"][0])))[0]
    # names in two files, named by file as DVC does; every column DVC shows is there
    names = {"extra.json:seed", "params.yaml:seed", "extra.json:label", "labels.yaml:label"}
    assert names <= set(columns)
    assert set(columns) == set(next(iter(dvcs.values()))) - {"typ", "Created", "parent"}
    assert exported[("", "main")]["labels.yaml:label"] == "a, b"
    for key, row in exported.items():
        assert {c: row[c] for c in columns} == {c: dvcs[key][c] for c in columns}, key
