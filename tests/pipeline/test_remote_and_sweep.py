"""Remote storage round trip and a two-experiment sweep, with real DVC in temp repos."""

import json
import re
import shutil

import boto3
import yaml

from pwc.ops.experiments import PRIMARY, primary, ranked
from tests.project import PARAMS

from ..conftest import ROOT
from .conftest import output_hashes, ran_stages, sh


def test_committed_config_has_a_local_default_and_no_credentials():
    config = (ROOT / ".dvc/config").read_text()
    assert "remote = local" in config and "s3://" in config
    secret_key = re.compile(
        r"^\s*(access_key_id|secret_access_key|session_token|password)\s*=", re.M
    )
    assert not secret_key.search(config)
    tracked = sh(ROOT, "git", "ls-files").stdout.split()
    assert ".dvc/config.local" not in tracked
    aws_key = re.compile(rb"AKIA[0-9A-Z]{16}|aws_secret_access_key\s*=\s*\S")
    for name in tracked:
        path = ROOT / name
        if path.is_file() and path.stat().st_size < 5_000_000:
            assert not aws_key.search(path.read_bytes()), name


def _round_trip(repo) -> None:
    """push, wipe cache + outputs, `repro --pull --allow-missing` reruns nothing, pull back."""
    before = output_hashes(repo)
    sh(repo, "dvc", "push")
    shutil.rmtree(repo / ".dvc/cache")
    for out in ("data/ingested.parquet", "data/validated.parquet", "models/model.skops"):
        (repo / out).unlink()
    shutil.rmtree(repo / "data/split")
    proc = sh(repo, "dvc", "repro", "--pull", "--allow-missing")
    assert ran_stages(proc.stdout) == []
    sh(repo, "dvc", "pull")
    assert output_hashes(repo) == before
    assert "up to date" in sh(repo, "dvc", "status").stdout


def test_push_wipe_pull_then_nothing_reruns(repo, tmp_path):
    sh(repo, "dvc", "repro")
    sh(repo, "dvc", "remote", "add", "-f", "-d", "store", str(tmp_path / "remote"))
    _round_trip(repo)


def test_s3_remote_round_trip_on_a_real_s3_api(repo, s3_server):
    sh(repo, "dvc", "repro")
    sh(repo, "dvc", "remote", "add", "-f", "-d", "s3test", "s3://pwc-test/dvc")
    # endpoint in the repo's local config, like credentials would be: never committed
    sh(repo, "dvc", "remote", "modify", "--local", "s3test", "endpointurl", s3_server)
    _round_trip(repo)
    listed = boto3.client("s3", endpoint_url=s3_server).list_objects_v2(Bucket="pwc-test")
    assert listed["KeyCount"] > 0


def test_tiny_sweep_ranks_on_validation_applies_the_best_and_shows_them(repo):
    (repo / "sweeps").mkdir(exist_ok=True)
    sweep = {"rank_by": ".".join(PRIMARY), "direction": "max", "grid": {"train.alpha": [3, 30]}}
    (repo / "sweeps" / "tiny.yaml").write_text(yaml.safe_dump(sweep))
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", "state before the sweep", check=False)
    queued = sh(repo, "python", "-m", "pwc.ops.sweeps", "queue", "tiny").stdout
    assert "queued 2 points" in queued, queued
    # The experiments run the code they were queued with, not the working tree's: break it
    # there while they run (this failed every experiment when stages imported the main
    # tree's src through the editable install).
    stage = repo / "src/pwc/stages/evaluate.py"
    good = stage.read_text()
    stage.write_text('raise SystemExit("the working tree\'s code ran")\n' + good)
    try:
        one_thread = {"OMP_NUM_THREADS": "1"}  # as `make sweep`: two experiments, 2 cores
        sh(repo, "dvc", "queue", "start", "-j", "2", env=one_thread)
        sh(repo, "python", "-m", "pwc.ops.experiments", "wait", "400", env=one_thread)
    finally:
        stage.write_text(good)
    results = ranked(
        json.loads(sh(repo, "dvc", "exp", "show", "--json").stdout),
        PARAMS.paths.evaluate_metrics.as_posix(),
    )
    assert len(results) == 2, results
    (best_name, best_value), (other_name, other_value) = results
    assert best_value > other_value
    table = sh(repo, "python", "-m", "pwc.ops.experiments", "show").stdout  # make sweep's view
    rows = [line for line in table.splitlines() if best_name in line or "train.alpha" in line]
    assert len(rows) >= 2 and "validation_head.served.spearman" in table, table
    best = sh(repo, "python", "-m", "pwc.ops.experiments", "best", "tiny").stdout
    assert f"applying {best_name}" in best
    applied = yaml.safe_load((repo / "params.yaml").read_text())["train"]["alpha"]
    assert applied in (3, 30)
    metrics = json.loads((repo / "metrics/evaluate/metrics.json").read_text())
    assert primary(metrics) == best_value  # the workspace holds the best experiment's results
    web = ROOT / "tests/web/node_modules"  # the project's pinned Vega (make web-deps)
    sh(
        repo,
        "python",
        "-m",
        "pwc.ops.dashboard",
        "--out",
        "dashboard.html",
        "--node-modules",
        str(web),
    )
    page = (repo / "dashboard.html").read_text()
    data = json.loads(
        page.split("<script id='data' type='application/json'>", 1)[1].split("</script>", 1)[0]
    )
    names = {row["experiment"] for row in data["rows"]}
    assert {best_name, other_name} <= names
    assert data["rows"][data["best"]]["experiment"] == best_name
    spearman = {row["experiment"]: row["values"][".".join(PRIMARY)] for row in data["rows"]}
    assert float(spearman[best_name]) == best_value and float(spearman[other_name]) == other_value
    # the ROC's data holds HEAD's and both experiments' curves (the page draws the selected)
    roc = next(p["spec"] for p in data["plots"] if p["title"] == "ROC, seen at least twice")
    assert {best_name, other_name} <= {v["rev"] for v in roc["data"]["values"]}
