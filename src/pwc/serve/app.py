"""HTTP API: scores passwords with the pipeline's own model file and scoring code.

Passwords travel only in request bodies. They are never logged, never echoed in responses
(validation errors drop pydantic's `input` field), and never part of a URL or a metric.
"""

import gc
import json
import logging
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from pwc import __version__
from pwc.answer.explain import MAX_USER_INPUT_LENGTH, MAX_USER_INPUTS
from pwc.breach.lookup import with_breach_index
from pwc.config import Params, load_params
from pwc.data.split import TEST_SETS
from pwc.scorer import Scorer, ScoreResponse
from pwc.serve import range as range_api
from pwc.serve.answers import Format, Language, respond
from pwc.serve.limits import BodySizeLimit, InFlightLimit
from pwc.serve.metrics import RequestMetrics, metrics_response
from pwc.serve.schemas import Health, Invalid, Refused
from pwc.text import check_utf8

log = logging.getLogger("pwc.serve")


class Settings(BaseSettings):
    """Server settings; each can be set by an environment variable (PWC_PARAMS, PWC_LOOKUP=off,
    ...). Empty variables count as unset. Defaults of None come from params.yaml."""

    model_config = SettingsConfigDict(env_prefix="PWC_", env_ignore_empty=True, frozen=True)

    params: Path = Path("params.yaml")
    model: Path | None = None  # default: paths.model from params
    max_batch: int = Field(default=1000, gt=0)
    max_length: int | None = Field(default=None, gt=0)  # default: validate.max_length
    max_body_bytes: int = Field(default=1 << 20, gt=0)
    # score requests one worker holds at once; more get 503 + Retry-After (docs/api.md,
    # "Load shedding": sized from the measured capacity)
    max_in_flight: int = Field(default=12, gt=0)
    git_commit: str | None = None
    lookup: bool | None = None  # default: lookup.enabled from params
    # a breach corpus's SHA-1 range index answering "leak" after the lookup (docs/breach.md)
    breach_index: Path | None = None
    # the registry version and stages of the model baked into the image (its build args;
    # `make release` / `make promote` make them: pwc.ops.registry)
    registry_version: str | None = None
    registry_stages: str | None = None  # comma-separated


def _request_model(max_batch: int, max_length: int) -> type[BaseModel]:
    password = Annotated[str, Field(max_length=max_length), AfterValidator(check_utf8)]
    user_input = Annotated[str, Field(max_length=MAX_USER_INPUT_LENGTH), AfterValidator(check_utf8)]
    return create_model(
        "ScoreRequest",
        __config__=ConfigDict(extra="forbid"),
        passwords=(
            list[password],
            Field(min_length=1, max_length=max_batch, description="passwords to score"),
        ),
        user_inputs=(
            list[user_input],
            Field(
                default_factory=list,
                max_length=MAX_USER_INPUTS,
                description="the site's name, the user's name and e-mail, ...: a password "
                "built on one scores low (source user_input). Secrets like the passwords",
            ),
        ),
    )


def _git_commit(explicit: str | None) -> str:
    if explicit:
        return explicit
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def version_info(params: Params, scorer: Scorer, commit: str, registry: dict) -> dict:
    """What produced the model: file hash, code commit, training params and its metrics."""
    metrics = _read_json(params.paths.evaluate_metrics) or {}
    headline = {name: metrics[name]["served"] for name in TEST_SETS if name in metrics}
    return {
        "package_version": __version__,
        "model_version": scorer.version,
        "model_sha256": scorer.model_sha256,
        "git_commit": commit,
        "params": {
            "seed": params.seed,
            "data": params.data.model_dump(mode="json"),
            "train": params.train.model_dump(mode="json"),
        },
        "metrics": headline,
        "gate": _read_json(params.paths.gate),
        "registry": registry,
        "lookup": {
            "enabled": scorer.lookup is not None,
            "sha256": scorer.lookup_sha256,
            "entries": scorer.lookup.entries if scorer.lookup is not None else 0,
        },
    }


_KNOWN_LOC = {"body", "passwords", "user_inputs", "query", "detail", "format", "lang"}


def _safe_loc(loc: tuple) -> list:
    # An unknown key is client text (it could be a password): name it, don't echo it.
    return [p if isinstance(p, int) or p in _KNOWN_LOC else "(unknown field)" for p in loc]


def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    # pydantic puts the offending value in `input`: that would echo a password back.
    detail = [
        {"loc": _safe_loc(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()
    ]
    return JSONResponse(status_code=422, content={"detail": detail})


async def _http_error(request: Request, exc: StarletteHTTPException):
    # FastAPI answers 400 when a body cannot be decoded at all (not UTF-8): a malformed body
    # like any other, so 422 in the documented shape, as for JSON that does not parse
    if exc.status_code == 400:
        problem = {"loc": ["body"], "msg": "body is not UTF-8 JSON", "type": "json_invalid"}
        return JSONResponse(status_code=422, content={"detail": [problem]})
    return await http_exception_handler(request, exc)


METER_PATH = "/meter"


def _lifespan(settings: Settings, params, model_path):
    """Start-up and shut-down: the scorer loaded, warmed up and versioned."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A model that cannot be loaded safely stops start-up: never serve garbage.
        scorer = Scorer.from_params(params, model_path, use_lookup=settings.lookup)
        if settings.breach_index:
            scorer = with_breach_index(scorer, settings.breach_index)
        # one password through every path first: what the first call builds (the trees'
        # single-row tables) is built before the server says it is ready
        scorer(["warm-up", "warm-up-2"])
        scorer(["warm-up"])
        app.state.scorer = scorer
        stages = [s for s in (settings.registry_stages or "").split(",") if s]
        registry = {"version": settings.registry_version, "stages": stages}
        commit = _git_commit(settings.git_commit)
        app.state.version = version_info(params, scorer, commit, registry)
        log.info("model %s loaded from %s", scorer.version, model_path)
        # The model and the app are many long-lived objects: a full collection walking them
        # stalls every request queued behind it (benchmarks/RESULTS.md, "Figures behind the
        # code's choices"). Frozen, collections only look at what requests allocate.
        gc.collect()
        gc.freeze()
        yield
        gc.unfreeze()
        app.state.scorer = None

    return lifespan


def _routes(app: FastAPI, ScoreRequest) -> None:  # noqa: N803 - a class
    """/health, /version and /v1/score."""

    @app.get(
        "/health",
        responses={
            200: {"description": "the model is loaded", "model": Health},
            503: {"description": "the model is still loading", "model": Health},
        },
    )
    def health(request: Request) -> JSONResponse:
        scorer = request.app.state.scorer
        if scorer is None:
            return JSONResponse(status_code=503, content={"status": "loading"})
        return JSONResponse({"status": "ok", "model_version": scorer.version})

    @app.get("/version")
    def version(request: Request) -> dict:
        return request.app.state.version

    # async: scoring is short CPU work; running it on the event loop skips a thread hop
    # (one worker process scores one request at a time either way).
    @app.post("/v1/score", response_model=ScoreResponse, responses=_SCORE_RESPONSES)
    async def score(
        body: ScoreRequest,  # type: ignore[valid-type]
        request: Request,
        detail: Annotated[bool, Query(description=DETAIL_HELP)] = False,
        fmt: Annotated[Format, Query(alias="format", description=FORMAT_HELP)] = "record",
        lang: Annotated[Language, Query(description="the feedback's language")] = "en",
    ) -> Response:
        scorer: Scorer = request.app.state.scorer
        # ScoreResponse's bytes without a model per password (response_model: the schema)
        content = respond(scorer, body.passwords, body.user_inputs, detail, fmt, lang)
        return Response(content, media_type="application/json")


DETAIL_HELP = "add feedback (codes and texts), crack times and the spans behind each estimate"
FORMAT_HELP = "zxcvbn: each result in the Python zxcvbn package's shape, with these estimates"

_SCORE_RESPONSES = {
    413: {"description": "body over PWC_MAX_BODY_BYTES", "model": Refused},
    503: {
        "description": "busy: PWC_MAX_IN_FLIGHT requests in flight; retry after the "
        "Retry-After header's seconds",
        "model": Refused,
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
    422: {
        "description": "not a valid request (malformed JSON included): where and "
        "why, never the value",
        "model": Invalid,
    },
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    params = load_params(settings.params)
    model_path = settings.model or params.paths.model
    max_length = settings.max_length or params.validate_.max_length
    app = FastAPI(
        title="password-complexity",
        version=__version__,
        description="How many guesses a password takes, learned from the RockYou leak.",
        lifespan=_lifespan(settings, params, model_path),
    )
    app.state.scorer = None
    # the last added runs first: metrics see every answer, shed ones included
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    shed = ("/v1/score", range_api.PATH)
    app.add_middleware(InFlightLimit, max_in_flight=settings.max_in_flight, paths=shed)
    app.add_middleware(RequestMetrics)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    _routes(app, _request_model(settings.max_batch, max_length))
    app.add_api_route(
        "/metrics",
        metrics_response,
        methods=["GET"],
        response_class=Response,
        responses={200: {"description": "Prometheus metrics", "content": {"text/plain": {}}}},
        summary="Prometheus metrics (no password, no hash: fixed labels only)",
    )
    # HIBP's range API over the range_index stage's memory-mapped files (docs/breach.md)
    app.include_router(range_api.router(range_api.load_indexes(params.paths, params.range.modes)))
    range_api.redact_access_log()
    # The browser meter's bundle (the `meter` stage's output): pages import /meter/meter.js
    # and score in the browser; its demo is /meter/demo.html. Static files, no password here.
    if Path(params.paths.meter).is_dir():
        app.mount(METER_PATH, StaticFiles(directory=params.paths.meter), name="meter")
    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory pwc.serve.app:app` (settings from PWC_* variables)."""
    return create_app()
