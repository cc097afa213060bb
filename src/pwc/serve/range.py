"""GET /range/{prefix}: Have I Been Pwned's Pwned Passwords range API, over the range index.

A client hashes the password, sends the first 5 hex characters of the digest and looks for
the rest in the answer, so the password and its digest never reach the server. The answer
is HIBP's: `SUFFIX:COUNT` lines (upper-case hex, CRLF between lines), `?mode=ntlm` for NTLM
digests, `Add-Padding: true` for 800-1,000 lines whatever the prefix holds (the extra ones
count 0). The indexes are memory-mapped: worker processes share their pages. Only a valid
prefix ever reaches a log line (the access log's path is redacted otherwise) or a metric.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from pwc.breach import answer, index
from pwc.breach.hashes import MODES
from pwc.serve.metrics import RANGE_ANSWERS

PATH = "/range/"
MODE_RULE = f"mode must be one of {', '.join(sorted(MODES))}"


def load_indexes(paths, modes: list[str]) -> dict[str, index.RangeIndex]:
    """The range stage's indexes that exist (a mode without one answers 404)."""
    found = {m: paths.range_index(m) for m in modes}
    return {m: index.RangeIndex(p) for m, p in found.items() if Path(p).is_file()}


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail})


def router(indexes: dict[str, index.RangeIndex]) -> APIRouter:
    routes = APIRouter()

    @routes.get(
        PATH + "{prefix}",
        response_class=PlainTextResponse,
        responses={
            200: {"description": "SUFFIX:COUNT lines", "content": {"text/plain": {}}},
            400: {"description": "not a 5-hex-character prefix, or an unknown mode"},
            404: {"description": "no index for this mode"},
        },
        summary="HIBP-compatible range search: digests under a 5-hex-character prefix",
    )
    async def range_search(
        # the rules are in the schema (pattern, enum) and checked here, so that a bad prefix
        # is HIBP's 400 naming the rule rather than FastAPI's 422
        prefix: Annotated[str, PathParam(json_schema_extra={"pattern": answer.PREFIX_PATTERN})],
        mode: Annotated[
            str, Query(description=MODE_RULE, json_schema_extra={"enum": sorted(MODES)})
        ] = "sha1",
        add_padding: Annotated[str | None, Header(alias="Add-Padding")] = None,
    ) -> Response:
        try:
            start = answer.parse_prefix(prefix)
        except ValueError as exc:
            return _problem(400, str(exc))  # the rule, never the text sent
        if mode not in MODES:
            return _problem(400, MODE_RULE)
        if mode not in indexes:
            return _problem(404, f"no {mode} range index on this server")
        pad = (add_padding or "").strip().lower() == "true"
        RANGE_ANSWERS.labels(mode).inc()
        return PlainTextResponse(answer.answer(indexes[mode], start, pad))

    return routes


def redact_access_log() -> None:
    """Install the filter on uvicorn's access log once (apps are created more than once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactRangePaths) for f in access.filters):
        access.addFilter(RedactRangePaths())


class RedactRangePaths(logging.Filter):
    """uvicorn's access log names the path: keep a /range/ path only when it is a prefix."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2]
            if path.startswith(PATH) and not _is_prefix(path[len(PATH) :].split("?")[0]):
                record.args = (*args[:2], PATH + "(not a prefix)", *args[3:])
        return True


def _is_prefix(text: str) -> bool:
    try:
        answer.parse_prefix(text)
    except ValueError:
        return False
    return True
