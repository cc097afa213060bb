"""The docs' comparison table is generated from the committed metrics, never typed."""

import json

from pwc.ops import report

from ..conftest import ROOT


def test_docs_table_matches_the_metrics(params):
    results = json.loads((ROOT / params.paths.compare).read_text())
    speed = json.loads((ROOT / report.SPEED_FILE).read_text())
    page = (ROOT / report.TABLE_PAGE).read_text()
    expected = report.page_with_table(page, report.compare_table(results, speed))
    assert page == expected, "run `python -m pwc.ops.report --docs` and commit the page"


def test_table_lists_every_peer_on_the_same_rows():
    models = {name: {"spearman": 0.1, "auc_seen_twice": 0.6, "rmse": 0.5} for name in report.LABELS}
    results = {"test": {"rows": 7, "models": models}, "test_head": {"rows": 9, "models": models}}
    table = report.compare_table(results, {"ours": {"passwords_per_second": 1234.0}})
    assert "7 of test, 9 of test_head" in table
    assert table.count("| 0.100 / 0.600 / 0.500 |") == len(report.LABELS)
    assert "| 1,234 |" in table


def test_summary_of_the_committed_run(params, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = report.summary(params)
    assert "gate      passed" in text and "peers     test_head spearman: ours" in text
