"""The docs' comparison table is generated from the committed metrics, never typed."""

import json

from pwc.evaluation.evaluate import RANK_BUCKETS
from pwc.ops import report

from ..conftest import ROOT


def test_docs_table_matches_the_metrics(params):
    results = json.loads((ROOT / params.paths.compare).read_text())
    speed = json.loads((ROOT / report.SPEED_FILE).read_text())
    page = (ROOT / report.TABLE_PAGE).read_text()
    expected = report.page_with_table(page, report.compare_table(results, speed))
    assert page == expected, "run `python -m pwc.ops.report --docs` and commit the page"


def test_table_lists_every_peer_on_the_same_rows():
    slices = {name: {"n": 5, "spearman": 0.2, "rmse": 0.4} for name, *_ in RANK_BUCKETS}
    slices["rank_to_1e3"] = {"n": 0}  # no rows there: no figure
    models = {
        name: {
            "spearman": 0.1,
            "auc_seen_twice": 0.6,
            "rmse": 0.5,
            "spearman_weighted": 0.3,
            "rank_slices": slices,
        }
        for name in report.LABELS
    }
    models["zxcvbn"] = {**models["zxcvbn"], "spearman_weighted": 0.25}
    results = {"test": {"rows": 7, "models": models}, "test_head": {"rows": 9, "models": models}}
    table = report.compare_table(results, {"ours": {"passwords_per_second": 1234.0}})
    assert "7 of test, 9 of test_head" in table
    assert table.count("| 0.100 / 0.600 / 0.500 |") == len(report.LABELS)
    assert "| 1,234 |" in table
    none = " / ".join(["–"] * len(report.SLICE_PEERS))
    assert f"| ≤ 10^3 | 0 / 0 | {none} | {none} | {none} | {none} |" in table
    half = " | ".join(" / ".join([v] * len(report.SLICE_PEERS)) for v in ("0.200", "0.400"))
    assert f"| 10^5 – 10^6.5 | 5 / 5 | {half} |" in table
    assert "| > 10^6.5 |" in table
    assert (
        "| all, Spearman weighted by count | | 0.300 / 0.300 / 0.300 / 0.250 / 0.300 |  |" in table
    )


def test_summary_of_the_committed_run(params, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = report.summary(params)
    assert "gate      passed" in text and "peers     test_head spearman: ours" in text
    assert "meter     web/meter: meter-" in text
