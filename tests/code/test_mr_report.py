"""Merge-request report: changed plots to PNG offline, and the GitLab calls, checked against
a local server on 127.0.0.1 that records every request."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pwc import mr_report

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


class Recorder(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append(
            {"path": self.path, "token": self.headers.get("PRIVATE-TOKEN"), "body": body}
        )
        reply = {"markdown": "![plot](/uploads/abc/plot-0.png)"} if "uploads" in self.path else {}
        data = json.dumps({"id": 1, **reply}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def gitlab(monkeypatch):
    Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CI_API_V4_URL", f"http://127.0.0.1:{server.server_port}/api/v4")
    monkeypatch.setenv("CI_PROJECT_ID", "42")
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", "7")
    monkeypatch.setenv("PWC_GITLAB_TOKEN", "glpat-test-token")
    yield Recorder.requests
    server.shutdown()
    thread.join()


def test_report_is_posted_as_a_note_with_uploaded_plots(gitlab, monkeypatch, capsys):
    outputs = {
        "params": "| Path | Param | main | workspace |\n| params.yaml | train.alpha | 3 | 30 |",
        "metrics": "| Path | Metric | main | workspace |\n| m.json | spearman | 0.6 | 0.65 |",
        "plots": json.dumps(plots(0.8)),
    }
    monkeypatch.setattr(mr_report, "dvc", lambda *args: outputs[args[0]])
    assert mr_report.main(["--base", "main", "--post"]) == 0
    upload, note = gitlab
    assert upload["path"] == "/api/v4/projects/42/uploads"
    assert b"\x89PNG" in upload["body"]
    assert note["path"] == "/api/v4/projects/42/merge_requests/7/notes"
    assert {upload["token"], note["token"]} == {"glpat-test-token"}
    body = json.loads(note["body"])["body"]
    assert "train.alpha" in body and "spearman" in body
    assert "![plot](/uploads/abc/plot-0.png)" in body
    assert "glpat-test-token" not in capsys.readouterr().out


def test_missing_ci_variables_are_named(monkeypatch, capsys):
    for name in ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", "PWC_GITLAB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(mr_report, "dvc", lambda *args: "{}" if args[0] == "plots" else "")
    assert mr_report.main(["--post"]) == 1
    assert "set CI_API_V4_URL, CI_PROJECT_ID" in capsys.readouterr().err
