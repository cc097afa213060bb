"""The course competition's `Password,Times` CSV through the whole pipeline."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from pwc.data.split import TEST_SETS

from .conftest import SMALL, make_repo, ran_stages, sh

NA_LIKE = ["null", "NaN", "NA", "None", "nan", " ", "0"]


def competition_csv(path, n=6_000, seed=0):
    """Synthetic counts that fall with length, so a model can learn something."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))
    rows, seen = [], set(NA_LIKE)
    while len(rows) < n:
        word = "".join(rng.choice(letters, size=rng.integers(3, 13)))
        if word not in seen:
            seen.add(word)
            times = max(1, int(10 ** (4.5 - 0.45 * len(word) + rng.normal(0, 0.3))))
            rows.append((word, times))
    rows += [(p, 50) for p in NA_LIKE]
    body = "".join(f'"{p}",{t}\n' for p, t in rows)
    path.write_text("Password,Times\n" + body + "broken,-4\n")
    return len(rows) + 1


@pytest.fixture(scope="module")
def csv_repo(tmp_path_factory):
    changes = {
        **SMALL,
        "data": {"source": "csv", "path": "data/raw/passwords.csv", "sample": None, "sha256": None},
        "split": {"test_size": 400, "test_head_size": 400},
        "predict": {"input": "data/split/test_head.parquet", "batch_size": 100},
    }
    repo = make_repo(tmp_path_factory.mktemp("csv"), changes)
    rows = competition_csv(repo / "data/raw/passwords.csv")
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", "add data")
    # the first run belongs to the fixture: each test starts from a repo the whole pipeline
    # has run in, whichever runs first or alone
    return repo, rows, sh(repo, "dvc", "repro")


def test_csv_source_runs_end_to_end_with_rmsle(csv_repo):
    repo, rows, proc = csv_repo
    assert ran_stages(proc.stdout)[0] == "ingest" and ran_stages(proc.stdout)[-1] == "predict"
    report = json.loads((repo / "metrics/validate.json").read_text())
    assert report["rows_in"] == rows
    assert report["quarantined"]["bad_times"] == 1
    metrics = json.loads((repo / "metrics/evaluate/metrics.json").read_text())
    for name in TEST_SETS:
        assert metrics[name]["served"]["rmsle_times"] < metrics[name]["constant"]["rmsle_times"]
    predicted = pq.read_table(repo / "data/predictions/test_head.parquet")
    assert predicted.num_rows == pq.read_metadata(repo / "data/split/test_head.parquet").num_rows
    kept = pq.read_table(repo / "data/validated.parquet")["password"].to_pylist()
    assert set(NA_LIKE) <= set(kept)


def test_new_csv_version_reruns_from_ingest(csv_repo):
    repo, _, _ = csv_repo
    assert ran_stages(sh(repo, "dvc", "repro").stdout) == []  # up to date: nothing reruns
    path = repo / "data/raw/passwords.csv"
    original = path.read_text()
    try:
        path.write_text(original + '"brand new",3\n')
        proc = sh(repo, "dvc", "repro")
        assert ran_stages(proc.stdout)[:2] == ["ingest", "validate"]
    finally:
        path.write_text(original)  # the fixture's data again, for any test after this one
