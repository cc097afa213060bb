"""The in-flight bound on the event loop itself (no server): what it counts and when."""

import asyncio

from pwc.serve.limits import InFlightLimit

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
