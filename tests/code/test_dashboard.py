"""`make report`: one self-contained HTML file; rendered by headless Chromium with every
network request routed to a local recorder, which must see none."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import socket
import subprocess
import threading

import pytest

from pwc import evaluate
from pwc.ops import dashboard, exp_table
from tests.project import PARAMS

from ..conftest import ROOT


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
    assert text.count("<svg") >= 5  # history + the four pipeline plots
    # one inline script (the table's sorting), nothing loaded from anywhere
    assert text.count("<script") == 1 and "<script>" in text and "<script src" not in text
    # the only URLs are SVG/XML namespaces: nothing to fetch
    urls = set(re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", text))
    assert not {u for u in urls if not u.startswith(("#", "data:"))}, urls
    assert "default-src 'none'" in text  # and the browser is told to fetch nothing anyway


def test_history_has_one_point_per_metric_and_commit():
    rows = dashboard.history(PARAMS.paths.evaluate_metrics.as_posix(), "HEAD")
    commits = {r["commit"] for r in rows}
    assert len(rows) == 4 * len(commits) and commits


def test_an_unknown_branch_is_an_error_naming_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert dashboard.main(["--branch", "no-such-branch", "--out", str(tmp_path / "d.html")]) == 1
    err = capsys.readouterr().err
    assert "no-such-branch" in err and "Traceback" not in err
    assert not (tmp_path / "d.html").exists()


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


def _chromium(browser: str, url: str, proxy: _Recorder) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--proxy-server=http://127.0.0.1:{proxy.port}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_chromium_renders_the_plots_without_network(page, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium not installed (Debian package `chromium`): browser check skipped")
    # control: the recorder does see a page's request
    control = tmp_path / "control.html"
    control.write_text('<img src="http://cdn.example.invalid/x.png">')
    proxy = _Recorder()
    _chromium(browser, control.as_uri(), proxy)
    assert "cdn.example.invalid" in proxy.page_hosts()
    proxy.sock.close()

    proxy = _Recorder()
    proc = _chromium(browser, page.as_uri(), proxy)
    proxy.sock.close()
    assert proc.returncode == 0, proc.stderr[-2000:]
    svgs = re.findall(r"<svg.*?</svg>", proc.stdout, flags=re.S)
    assert len(svgs) >= 5
    assert all(re.search(r"<path[^>]+d=\"M", svg) for svg in svgs)  # non-empty drawings
    assert proxy.page_hosts() == set(), proxy.hosts


def _rev(rev: str, alpha: float, spearman: float | None, passed=True, error=None) -> dict:
    metrics = {"m.json": {"data": {}}, "g.json": {"data": {"passed": passed}}}
    if spearman is not None:
        for name in ("validation_head", "test", "test_head"):
            metrics["m.json"]["data"][name] = {
                "served": {"spearman": spearman, "auc_seen_twice": 0.8}
            }
    params = {"params.yaml": {"data": {"train": {"alpha": alpha, "rows": 10}, "seed": 1}}}
    return {"rev": rev, "error": error, "data": {"params": params, "metrics": metrics}}


EXP_SHOW = [
    {"rev": "workspace", "name": None, "data": _rev("w", 3, 0.5)["data"], "experiments": None},
    {
        "rev": "abc1234" * 5,
        "name": "main",
        "data": _rev("b", 3, 0.5)["data"],
        "experiments": [
            {"name": "exp-low", "revs": [_rev("1" * 40, 1, 0.4)]},
            {"name": "exp-high", "revs": [_rev("2" * 40, 10, 0.7, passed=False)]},
            # failed: DVC lists it beside its baseline's metrics
            {"name": "exp-failed", "revs": [_rev("3" * 40, 30, 0.5, error={"msg": "failed"})]},
        ],
    },
]


def test_the_table_lists_experiments_with_the_params_that_differ_and_marks_the_best():
    rows, keys = exp_table.experiment_rows(EXP_SHOW, "m.json", "g.json")
    assert keys == ["train.alpha"]  # rows and seed are the baseline's everywhere
    assert [r["name"] for r in rows] == ["main", "exp-low", "exp-high"]
    assert rows[0]["baseline"] and rows[2]["params"] == {"train.alpha": 10}
    table = exp_table.experiments_table(EXP_SHOW, "m.json", "g.json")
    best = re.search(r"<tr class='best'>(.*?)</tr>", table).group(1)
    assert "exp-high" in best and "FAILED" in best  # best by the ranked figure, gate shown


def test_a_sweeps_metric_and_direction_choose_the_best_and_get_a_column():
    # a figure the table does not show (RMSE), lowest first
    exp_show = copy.deepcopy(EXP_SHOW)
    for rmse, name in ((0.4, "exp-low"), (0.7, "exp-high")):
        rev = next(e for e in exp_show[1]["experiments"] if e["name"] == name)["revs"][0]
        rev["data"]["metrics"]["m.json"]["data"]["validation_head"]["served"]["rmse"] = rmse
    key = ("validation_head", "served", "rmse")
    table = exp_table.experiments_table(exp_show, "m.json", "g.json", key, "min")
    best = re.search(r"<tr class='best'>(.*?)</tr>", table).group(1)
    assert "exp-low" in best and "<td>0.4000</td>" in best
    assert "<th>validation_head.served.rmse</th>" in table and "lowest first" in table
    table = exp_table.experiments_table(exp_show, "m.json", "g.json", key, "max")
    assert "exp-high" in re.search(r"<tr class='best'>(.*?)</tr>", table).group(1)


def test_length_buckets_are_in_numeric_order():
    results = {"test": {"slices": {name: {"rmse": 1.0} for name, *_ in evaluate.LENGTH_BUCKETS}}}
    labels = [row["length"] for row in evaluate.error_by_length(results)]
    assert labels == sorted(labels) == ["01-05", "06-08", "09-12", "13-up"]


def test_chromium_sorts_the_table_by_any_column(tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium not installed (Debian package `chromium`): browser check skipped")
    page = tmp_path / "table.html"
    page.write_text(
        dashboard.render(
            [("Experiments", exp_table.experiments_table(EXP_SHOW, "m.json", "g.json"))]
        )
    )
    order = {}
    for direction in ("asc", "desc"):
        proxy = _Recorder()
        url = f"{page.as_uri()}#sort=validation_head.served.spearman:{direction}"
        proc = _chromium(browser, url, proxy)
        proxy.sock.close()
        assert proc.returncode == 0, proc.stderr[-2000:]
        order[direction] = re.findall(r"<tr[^>]*><td>([\w-]+)", proc.stdout)
    assert order["asc"] == ["exp-low", "main", "exp-high"]
    assert order["desc"] == ["exp-high", "main", "exp-low"]


def test_the_roc_and_length_plots_are_the_overlaid_ones():
    import yaml

    titles = dashboard.overlay_titles(yaml.safe_load((ROOT / "dvc.yaml").read_text()))
    assert titles == {"ROC, seen at least twice", "RMSE by password length"}


def test_build_ranks_by_the_named_sweeps_metric_and_direction(tmp_path, monkeypatch):
    """`make report SWEEP=name` end to end through `build`: the sweep file's metric and
    direction choose the table's best row and the experiments drawn over HEAD."""
    from pwc.ops import sweeps

    monkeypatch.chdir(ROOT)  # the repository's params.yaml, dvc.yaml and history
    monkeypatch.setattr(sweeps, "SWEEPS_DIR", tmp_path)
    doc = "rank_by: validation_head.served.rmse\ndirection: min\ngrid:\n  train.alpha: [1, 3]\n"
    (tmp_path / "low-rmse.yaml").write_text(doc)
    names = {"m.json": dashboard.metrics_file(), "g.json": PARAMS.paths.gate.as_posix()}
    exp_show = json.loads(json.dumps(EXP_SHOW).replace('"m.json"', json.dumps(names["m.json"])))
    exp_show = json.loads(json.dumps(exp_show).replace('"g.json"', json.dumps(names["g.json"])))
    for rmse, name in ((0.4, "exp-low"), (0.7, "exp-high")):
        rev = next(e for e in exp_show[1]["experiments"] if e["name"] == name)["revs"][0]
        rev["data"]["metrics"][names["m.json"]]["data"]["validation_head"]["served"]["rmse"] = rmse
    overlaid = []

    def fake_dvc(*args):
        if args[:2] == ("exp", "show"):
            return json.dumps(exp_show)
        if args[:2] == ("plots", "diff"):
            overlaid.append(args[3:-1])
        return "{}"

    monkeypatch.setattr(dashboard, "dvc", fake_dvc)
    monkeypatch.setattr(dashboard, "experiment_baselines", lambda: ["a" * 40])
    best = {}
    for sweep in (None, "low-rmse"):
        page = dashboard.build("HEAD", svg=lambda spec: "<svg/>", fetch=False, sweep=sweep)
        best[sweep] = re.search(r"<tr class='best'>(.*?)</tr>", page).group(1)
    assert "exp-high" in best[None] and "exp-low" in best["low-rmse"]
    # the overlaid experiments, best first: by validation_head Spearman, then by its RMSE
    assert overlaid[0][0] == "exp-high" and overlaid[1][0] == "exp-low"


def test_experiments_are_read_from_the_baselines_their_refs_name(monkeypatch):
    """Only commits with experiments are asked about (not every commit, as --all-commits
    does); DVC's own refs under refs/exps are not experiments."""
    a, b = "ab" + "1" * 38, "cd" + "2" * 38
    refs = [
        f"refs/exps/{a[:2]}/{a[2:]}/exp-one",
        f"refs/exps/{a[:2]}/{a[2:]}/exp-two",
        f"refs/exps/{b[:2]}/{b[2:]}/exp-three",
        "refs/exps/celery/stash",
        "refs/exps/exec/EXEC_BASELINE",
    ]
    monkeypatch.setattr(dashboard, "git", lambda *args: "\n".join(refs) + "\n")
    asked = []

    def dvc(*args):
        asked.append(args)
        return json.dumps([{"rev": args[-1], "experiments": []}])

    monkeypatch.setattr(dashboard, "dvc", dvc)
    assert dashboard.experiment_baselines() == [a, b]
    assert dashboard.all_experiments() == [
        {"rev": a, "experiments": []},
        {"rev": b, "experiments": []},
    ]
    assert asked == [("exp", "show", "--json", "--rev", a), ("exp", "show", "--json", "--rev", b)]
    monkeypatch.setattr(dashboard, "git", lambda *args: "")
    assert dashboard.all_experiments() == []
