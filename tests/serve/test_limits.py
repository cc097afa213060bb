"""The in-flight bound on the event loop itself (no server): what it counts and when."""

import asyncio

import pytest

from pwc.serve.limits import BodySizeLimit, InFlightLimit
from pwc.serve.metrics import IN_FLIGHT, SHED

SCOPE = {"type": "http", "path": "/v1/score"}


def _run(arrivals: int, bound: int, arriving_while_scoring: int) -> list[int]:
    """Statuses of `arrivals` requests that reach the loop together, and of
    `arriving_while_scoring` more whose bytes the loop receives while the first is scored
    (scheduled from inside it, as a socket read in the next pass of the loop would be)."""
    statuses: list[int] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        tasks: list[asyncio.Task] = []
        scored = []

        async def app(scope, receive, send):  # scores without yielding, as the API does
            if not scored:
                for _ in range(arriving_while_scoring):
                    loop.call_soon(lambda: tasks.append(loop.create_task(request())))
            scored.append(1)
            await send({"type": "http.response.start", "status": 200, "headers": []})

        limit = InFlightLimit(app, max_in_flight=bound, paths=("/v1/score",))

        async def request() -> None:
            async def send(message):
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])

            await limit(SCOPE, None, send)

        tasks.extend(loop.create_task(request()) for _ in range(arrivals))
        while len(statuses) < arrivals + arriving_while_scoring:
            await asyncio.sleep(0)

    asyncio.run(main())
    return statuses


def test_requests_over_the_bound_that_arrive_together_are_shed_before_any_is_scored():
    statuses = _run(arrivals=5, bound=2, arriving_while_scoring=0)
    # the first is scored as it comes; the three over the bound are refused before the
    # second is scored: no work is spent on what will be refused
    assert statuses == [200, 503, 503, 503, 200]


def test_arrivals_while_the_queue_is_scored_are_counted_before_the_next_scoring():
    # Three admitted; two more arrive while the first is scored. The loop reads them before
    # the second is scored: one takes the first's place, the other finds the queue full and
    # is shed at once - not admitted after all three have run (a bound that never sees
    # arrivals while it works leaves them queued in the kernel's socket buffers, unbounded).
    statuses = _run(arrivals=3, bound=3, arriving_while_scoring=2)
    assert statuses == [200, 503, 200, 200, 200]


def test_under_the_bound_every_request_is_accepted():
    assert _run(arrivals=4, bound=6, arriving_while_scoring=2) == [200] * 6


def _call(middleware_of, scope: dict, messages: list[dict]):
    """Run one request through a middleware around a recording app: (what the client was
    sent, what the app received, whether the app ran)."""
    sent, received, ran = [], [], []
    incoming = list(messages)

    async def receive():
        ran.append("read")  # the middleware or the app read a message
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def app(scope, receive, send):
        ran.append(scope["type"])
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        received.append(await receive())  # what comes after the body
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def send(message):
        sent.append(message)

    asyncio.run(middleware_of(app)(scope, receive, send))
    return sent, received, ran


def _json_answer(status: int, body: bytes, *more_headers) -> list[dict]:
    """The two ASGI messages of a JSON error answer, as a client is sent them."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    return [
        {"type": "http.response.start", "status": status, "headers": headers + list(more_headers)},
        {"type": "http.response.body", "body": body},
    ]


def _limited(max_bytes: int):
    return lambda app: BodySizeLimit(app, max_bytes=max_bytes)


def _http(length: int | str | None = None) -> dict:
    headers = [(b"host", b"x")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http", "path": "/v1/score", "headers": headers}


def _body(*chunks: bytes) -> list[dict]:
    return [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]


def test_a_declared_length_over_the_limit_is_refused_unread_with_413():
    sent, received, ran = _call(_limited(10), _http(11), _body(b"x" * 11))
    assert ran == [] and received == []  # not a byte read: refused on the header
    assert sent == _json_answer(413, b'{"detail": "request body larger than 10 bytes"}')


@pytest.mark.parametrize("length", [10, 0, "abc"])
def test_a_declared_length_at_the_limit_or_unreadable_goes_to_the_app(length):
    """At the limit is allowed; a malformed Content-Length is the server's to refuse."""
    sent, received, ran = _call(_limited(10), _http(length), _body(b"x" * 5, b"x" * 5))
    assert ran[0] == "http" and sent[0]["status"] == 200  # the app read first, not the limit
    # passed through as sent, chunk by chunk (not read and replayed)
    assert received == [*_body(b"x" * 5, b"x" * 5), {"type": "http.disconnect"}]


def test_a_streamed_body_is_counted_then_replayed_whole_or_refused():
    sent, received, ran = _call(_limited(10), _http(), _body(b"abcd", b"efgh", b"ij"))
    # the app's read after the body goes to the server (it waits there until the client
    # goes): a disconnect made up at once cut off file responses (/meter/, test_api)
    assert ran == ["read"] * 3 + ["http", "read"] and sent[0]["status"] == 200
    # one message holding every chunk, then what the server says next
    assert received == [
        {"type": "http.request", "body": b"abcdefghij", "more_body": False},
        {"type": "http.disconnect"},
    ]
    sent, received, ran = _call(_limited(10), _http(), _body(b"abcd", b"efgh", b"ijk"))
    assert ran == ["read"] * 3 and sent[0]["status"] == 413
    # a body without a body field counts as empty
    sent, received, ran = _call(_limited(10), _http(), [{"type": "http.request"}])
    assert received[0] == {"type": "http.request", "body": b"", "more_body": False}


def test_a_client_gone_mid_stream_reaches_the_app_as_a_disconnect():
    gone = [_body(b"ab", b"cd")[0], {"type": "http.disconnect"}]
    sent, received, ran = _call(_limited(10), _http(), gone)
    assert ran == ["read", "read", "http", "read"]
    assert received[:2] == [{"type": "http.disconnect"}, {"type": "http.disconnect"}]


def test_other_scopes_pass_through_untouched():
    lifespan = {"type": "lifespan"}
    seen = []

    async def app(scope, receive, send):
        seen.append((scope, receive, send))

    receive, send = object(), object()  # handed on as they are, never called here
    asyncio.run(BodySizeLimit(app, max_bytes=0)(lifespan, receive, send))
    asyncio.run(InFlightLimit(app, 0, paths=("/v1/score",))(lifespan, receive, send))
    health = {"type": "http", "path": "/health", "headers": []}
    asyncio.run(InFlightLimit(app, 0, paths=("/v1/score",))(health, receive, send))
    assert seen == [(lifespan, receive, send)] * 2 + [(health, receive, send)]
    # an admitted score request reaches the app with its own scope and channels
    seen.clear()
    asyncio.run(InFlightLimit(app, 1, paths=("/v1/score",))(SCOPE, receive, send))
    assert seen == [(SCOPE, receive, send)]


def test_a_shed_request_gets_503_retry_after_and_is_counted_and_others_are_never_shed():
    limit = InFlightLimit(None, max_in_flight=2, paths=("/v1/score",))
    limit.in_flight = 2  # the bound is reached
    sent = []

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})

    limit.app = app
    shed_before = SHED._value.get()
    asyncio.run(limit(SCOPE, None, send))
    body = b'{"detail": "busy: 2 requests in flight, retry in 1 s"}'
    assert sent == _json_answer(503, body, (b"retry-after", b"1"))
    assert SHED._value.get() == shed_before + 1
    sent.clear()
    asyncio.run(limit({"type": "http", "path": "/health"}, None, send))
    assert [m["status"] for m in sent] == [200] and limit.in_flight == 2


def test_the_count_goes_back_down_when_scoring_fails():
    async def failing(scope, receive, send):
        raise RuntimeError("scoring failed")

    limit = InFlightLimit(failing, max_in_flight=1, paths=("/v1/score",))
    in_flight_before = IN_FLIGHT._value.get()
    with pytest.raises(RuntimeError):
        asyncio.run(limit(SCOPE, None, None))
    assert limit.in_flight == 0 and IN_FLIGHT._value.get() == in_flight_before
