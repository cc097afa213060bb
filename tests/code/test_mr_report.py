"""Merge-request report: changed plots to PNG offline, and the GitLab calls, checked against
a local server on 127.0.0.1 that records every request (tests/pipeline/test_mr_report_dvc.py
runs it on real DVC output)."""

from __future__ import annotations

import json

from pwc.ops import mr_report

SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "mark": "line",
    "encoding": {
        "x": {"field": "fpr", "type": "quantitative"},
        "y": {"field": "tpr", "type": "quantitative"},
    },
}


def plots(new_tpr: float) -> dict:
    values = [
        {"fpr": 0.0, "tpr": 0.0, "rev": "workspace"},
        {"fpr": 1.0, "tpr": new_tpr, "rev": "workspace"},
        {"fpr": 0.0, "tpr": 0.0, "rev": "main"},
        {"fpr": 1.0, "tpr": 1.0, "rev": "main"},
    ]
    return {"data": {"ROC": [{"type": "vega", "content": {**SPEC, "data": {"values": values}}}]}}


def test_only_changed_plots_are_rendered_to_png():
    assert mr_report.changed_plots(plots(1.0)) == []
    (plot,) = mr_report.changed_plots(plots(0.9))
    assert plot.title == "ROC" and plot.png.startswith(b"\x89PNG\r\n\x1a\n")


def test_report_is_posted_as_a_note_with_uploaded_plots(gitlab_api, monkeypatch, capsys):
    served = {"validation_head.served.spearman": {"old": 0.6, "new": 0.7, "diff": 0.1}}
    outputs = {
        # the shape of DVC's --md tables: header, separator, rows
        ("params", False): "| Path | Param | main | workspace |\n|--|--|--|--|\n"
        "| p.yaml | train.alpha | 3 | 30 |",
        ("metrics", False): "| Path | Metric | main | workspace |\n|--|--|--|--|\n"
        "| m.json | spearman | 0.6 | 0.7 |",
        ("metrics", True): json.dumps({"metrics/evaluate/metrics.json": served}),
        ("plots", True): json.dumps(plots(0.8)),
    }
    monkeypatch.setattr(mr_report, "dvc", lambda *args: outputs[args[0], "--json" in args])
    assert mr_report.main(["--base", "main", "--post"]) == 0
    upload, note = gitlab_api
    assert upload["path"] == "/api/v4/projects/42/uploads"
    assert b"\x89PNG" in upload["body"]
    assert note["path"] == "/api/v4/projects/42/merge_requests/7/notes"
    assert {upload["token"], note["token"]} == {"glpat-test-token"}
    body = json.loads(note["body"])["body"]
    lead, *folded = body.split("<details><summary>")
    assert "| validation_head | 0.7000 (+0.1000) | n/a |" in lead
    sections = {part.split(":", 1)[0]: part for part in folded}
    assert list(sections) == ["Params", "Metrics", "Plots"]
    # each of DVC's tables whole, in its own section; the uploaded plot where GitLab put it
    assert outputs["params", False] in sections["Params"] and "spearman" not in sections["Params"]
    assert outputs["metrics", False] in sections["Metrics"] and "alpha" not in sections["Metrics"]
    assert "![plot](/uploads/abc/plot-0.png)" in sections["Plots"]
    assert "glpat-test-token" not in capsys.readouterr().out


def test_tables_without_rows_say_nothing_changed():
    """With nothing changed DVC still prints a header and a separator: not a table to show."""
    empty = "| Path | Metric | main | workspace |\n|--|--|--|--|\n"
    body = mr_report.markdown("main", empty, empty, [])
    assert "No params changed." in body and "No metrics changed." in body
    assert "No plot changed." in body and "| Path |" not in body


def test_a_gitlab_error_ends_in_one_line_naming_the_call(gitlab_api, monkeypatch, capsys):
    from tests.conftest import Recorder

    Recorder.status = 403
    monkeypatch.setattr(mr_report, "dvc", lambda *args: "{}" if args[0] == "plots" else "")
    assert mr_report.main(["--base", "main", "--post"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: GitLab note failed: HTTP 403"]
    assert len(gitlab_api) == 1  # it stopped at the refused call


def test_missing_ci_variables_are_named(monkeypatch, capsys):
    for name in ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", "PWC_GITLAB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(mr_report, "dvc", lambda *args: "{}" if args[0] == "plots" else "")
    assert mr_report.main(["--post"]) == 1
    assert "set CI_API_V4_URL, CI_PROJECT_ID" in capsys.readouterr().err


def test_the_note_leads_with_the_answer_in_at_most_fifteen_lines():
    served = {
        f"{name}.served.{metric}": {"old": 0.5, "new": 0.55}
        for name in ("validation", "validation_head")
        for metric in ("spearman", "auc_seen_twice")
    }
    gate = {
        "passed": False,
        "checks": [
            {
                "check": "validation_head.served.spearman",
                "passed": True,
                "rule": ">=",
                "threshold": 0.55,
                "value": 0.7,
            },
            {
                "check": "validation.served.spearman",
                "passed": False,
                "rule": ">=",
                "threshold": 0.6,
                "value": 0.55,
            },
        ],
    }
    lead = mr_report.headline("main", served, gate, "v0.0.3")
    rows = "\n".join(f"| m.json | metric_{i} | 0.1 | 0.2 |" for i in range(70))
    table = "| Path | Metric | main | workspace |\n|--|--|--|--|\n" + rows
    body = mr_report.markdown("main", "", table, [], lead)
    first_screen = body.split("<details>")[0].strip().splitlines()
    assert len(first_screen) <= 15
    assert "| validation | 0.5500 (+0.0500) | 0.5500 (+0.0500) |" in first_screen
    assert "**Gate: failed** (" in body and "0.55 >= 0.6 **(failed)**" in body
    assert "would replace `model` v0.0.3 in prod" in body
    assert all(f"metric_{i} " in body for i in range(70))  # every changed metric still there
    assert "<summary>Metrics: 70 changed</summary>" in body
    none = mr_report.headline("main", {}, None, None)
    assert "no `model` version in prod yet" in none[-1] and "n/a" in none[2]
    assert none[4] == "" and none[5].startswith("**Gate:**")  # the table ends before
