"""Property-based API tests generated from the committed schema (docs/openapi.json) by
schemathesis, against a real server on 127.0.0.1: every response is one the schema
documents (status, content type, body), no request gets a 5xx, valid requests are accepted
and invalid ones refused, and no password comes back in a response."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from ..conftest import ROOT
from .conftest import Server, free_port

# the committed schema: what users read is what is tested
schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.json")


@schemathesis.check
def no_password_echoed(ctx, response, case) -> None:
    """A password sent is never in the reply. Only passwords of 16+ characters count: shorter
    generated ones turned up inside pydantic's own messages by chance (a false alarm seen in
    a run); the canary test in test_privacy.py checks echoes of every kind exactly."""
    body = case.body if isinstance(case.body, dict) else {}
    passwords = body.get("passwords")
    if not isinstance(passwords, list):
        return
    text = response.text
    echoed = [p for p in passwords if isinstance(p, str) and len(p) >= 16 and p in text]
    if echoed:
        raise AssertionError(f"{len(echoed)} password(s) echoed in a {response.status_code}")


@pytest.fixture(scope="module")
def live(served, tmp_path_factory):
    port = free_port()
    server = Server(
        ["password-complexity", "serve", "--host", "127.0.0.1", "--port", str(port)],
        {"PWC_PARAMS": str(served)},
        tmp_path_factory.mktemp("schema") / "server.log",
        port,
    )
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@schema.parametrize()
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_response_is_documented(case, live):
    case.call_and_validate(base_url=live.url, additional_checks=[no_password_echoed])
