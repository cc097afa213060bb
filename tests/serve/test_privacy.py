"""Canary passwords through a real server: never in its logs (access log included) or replies."""

import logging

import httpx
from fastapi.testclient import TestClient

from pwc.counting.hashing import siphash
from pwc.serve.app import Settings, create_app

CANARY = "canary-Zx81-secret"


def requests_with(canary: str) -> list[dict]:
    """Valid and invalid requests that all carry the canary somewhere."""
    return [
        {"json": {"passwords": [canary, canary + "2"]}},
        {"json": {"passwords": [canary + "x" * 200]}},  # too long
        {"json": {"passwords": [canary] * 5000}},  # too many
        {"json": {"passwords": canary}},  # wrong type
        {"json": {"passwords": [canary], canary: 1}},  # unknown field
        {"content": ('{"passwords": ["' + canary + '"').encode()},  # malformed JSON
        {"content": ('{"passwords": ["' + canary + '", 5]}').encode()},
        {"content": ('{"passwords": ["' + canary * 40000 + '"]}').encode()},  # oversized
    ]


def test_canaries_never_reach_logs_or_responses(server):
    replies = []
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for kwargs in requests_with(CANARY):
            headers = {"content-type": "application/json"}
            resp = client.post("/v1/score", headers=headers, **kwargs)
            assert resp.status_code < 500
            replies.append(resp.text)
        assert client.get("/version").status_code == 200
        metrics = client.get("/metrics").text
    assert "pwc_passwords_scored_total" in metrics  # counted, and by fixed labels only
    assert CANARY not in metrics
    assert str(int(siphash([CANARY])[0])) not in metrics and "canary" not in metrics
    log = server.stop()
    assert "POST /v1/score" in log  # the access log is on, so this test means something
    assert CANARY not in log
    assert not [r for r in replies if CANARY in r]


def test_app_loggers_stay_clean_in_process(served, caplog):
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(Settings(params=served))) as client:
        for kwargs in requests_with(CANARY):
            resp = client.post("/v1/score", headers={"content-type": "application/json"}, **kwargs)
            assert CANARY not in resp.text
    assert caplog.records, "expected some log records"
    assert CANARY not in caplog.text
