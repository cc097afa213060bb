"""Request limits: oversized bodies refused with 413 before they are read into memory, and
score requests over the in-flight bound shed with 503 (load shedding)."""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pwc.serve.metrics import IN_FLIGHT, SHED


class BodySizeLimit:
    """Pure ASGI middleware: checks Content-Length, and counts the bytes of streamed bodies."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _reject(self, send: Send) -> None:
        body = json.dumps({"detail": f"request body larger than {self.max_bytes} bytes"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        if declared is not None:
            await self.app(scope, receive, send)  # the server enforces the declared length
            return
        # Streamed (chunked) body: read it here, up to the limit, then replay it.
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                await self._reject(send)
                return
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


def _replay(messages: list[Message], then: Receive) -> Receive:
    """`messages`, then the server's own receive: an app that waits for the client to go away
    (Starlette's file and streaming responses do, while they send) must not be told at once
    that it has."""
    queue = list(messages)

    async def replayed() -> Message:
        if queue:
            return queue.pop(0)
        return await then()

    return replayed


def covered(path: str, paths: tuple[str, ...]) -> bool:
    """Whether a path is one of `paths`; one ending in "/" covers what lies under it."""
    return path in paths or any(p.endswith("/") and path.startswith(p) for p in paths)


class InFlightLimit:
    """Load shedding: at most `max_in_flight` score requests handled at once by this worker.

    One more gets 503 with Retry-After at once, instead of a place in an unbounded queue
    (past capacity every caller waited behind it: docs/api.md, "Load shedding"). Other routes
    (/health, /metrics) are never shed, so a busy server still says it is alive.
    """

    def __init__(self, app: ASGIApp, max_in_flight: int, paths: tuple[str, ...]) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.paths = paths
        self.in_flight = 0
        self.turn = asyncio.Lock()  # FIFO: waiters take their turns in arrival order
        self.body = json.dumps(
            {"detail": f"busy: {max_in_flight} requests in flight, retry in 1 s"}
        ).encode()

    async def _shed(self, send: Send) -> None:
        SHED.inc()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self.body)).encode()),
            (b"retry-after", b"1"),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not covered(scope.get("path", ""), self.paths):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            await self._shed(send)
            return
        self.in_flight += 1
        IN_FLIGHT.inc()
        try:
            # Scoring runs on the event loop without yielding. Requests take turns, and each
            # holds its turn across one more pass of the loop after answering: the loop then
            # reads the sockets between two scorings, so arrivals are counted (and those over
            # the bound refused) within one scoring's time instead of after every admitted
            # request has run, and the bound sees the whole queue.
            async with self.turn:
                await self.app(scope, receive, send)
                await asyncio.sleep(0)
        finally:
            self.in_flight -= 1
            IN_FLIGHT.dec()
