"""Prometheus metrics at /metrics (prometheus-client): requests by route and status, latency,
requests shed, requests in flight, passwords scored by source. Labels are fixed names (the
route template, never the raw path, a password or its hash).

With several worker processes (`serve --workers N`), each worker writes its samples to
PROMETHEUS_MULTIPROC_DIR (the CLI creates one) and /metrics, answered by any worker,
aggregates them all.
"""

from __future__ import annotations

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ROUTES = ("/v1/score", "/health", "/version", "/metrics", "/docs", "/openapi.json")
# Latency buckets around the service goals (p99 <= 5 ms, 10 ms, 20 ms; shed within 10 ms)
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

REQUESTS = Counter("pwc_requests", "HTTP requests answered", ["route", "status"])
LATENCY = Histogram("pwc_request_seconds", "Time to answer a request", ["route"], buckets=BUCKETS)
SHED = Counter("pwc_requests_shed", "Requests answered 503 because too many were in flight")
IN_FLIGHT = Gauge(
    "pwc_requests_in_flight", "Score requests being handled", multiprocess_mode="livesum"
)
SCORED = Counter("pwc_passwords_scored", "Passwords scored, by answer source", ["source"])


RANGE_ROUTE = "/range/{prefix}"
RANGE_ANSWERS = Counter("pwc_range_answers", "Range API answers, by digest mode", ["mode"])


def route_of(scope: Scope) -> str:
    """The route template a request is counted under: a known route or "other"."""
    path = scope.get("path", "")
    if path.startswith("/range/"):
        return RANGE_ROUTE
    return path if path in ROUTES else "other"


class RequestMetrics:
    """Pure ASGI middleware: counts every HTTP response and times it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = route_of(scope)
            REQUESTS.labels(route, str(status)).inc()
            LATENCY.labels(route).observe(time.perf_counter() - start)


def metrics_response(_: Request) -> Response:
    """The exposition text: this process's metrics, or every worker's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
