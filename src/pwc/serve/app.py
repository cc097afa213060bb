"""HTTP API: scores passwords with the pipeline's own model file and scoring code.

Passwords travel only in request bodies. They are never logged, never echoed in responses
(validation errors drop pydantic's `input` field), and never part of a URL or a metric.
"""

import gc
import json
import logging
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from pwc import __version__
from pwc.config import Params, load_params
from pwc.data.split import TEST_SETS
from pwc.predict import Scorer
from pwc.serve.limits import BodySizeLimit

log = logging.getLogger("pwc.serve")


@dataclass(frozen=True)
class Settings:
    """Server settings; every field can be set by an environment variable (PWC_*)."""

    params: Path = Path("params.yaml")
    model: Path | None = None  # default: paths.model from params
    max_batch: int = 1000
    max_length: int | None = None  # default: validate.max_length from params
    max_body_bytes: int = 1 << 20
    git_commit: str | None = None
    lookup: bool | None = None  # default: lookup.enabled from params; PWC_LOOKUP=off disables

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)

        def get(name, cast):
            value = env.get(f"PWC_{name.upper()}")
            return cast(value) if value else getattr(cls, name)

        return cls(
            params=get("params", Path),
            model=get("model", Path),
            max_batch=get("max_batch", int),
            max_length=get("max_length", int),
            max_body_bytes=get("max_body_bytes", int),
            git_commit=get("git_commit", str),
            lookup=get("lookup", lambda v: v.lower() not in {"0", "off", "false", "no"}),
        )


def _utf8(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


class Result(BaseModel):
    guesses_log10: float = Field(description="log10 of the estimated guesses, >= 0")
    guesses: float = Field(description="estimated guesses an attacker needs")
    score: int = Field(ge=0, le=4, description="0 (weakest) to 4, zxcvbn's scale")
    source: Literal["leak", "model"] = Field(
        description="leak: the password is in the leak, its guess rank is exact; "
        "model: not in the leak (or lookup off), estimated by the model"
    )


class ScoreResponse(BaseModel):
    model_version: str
    results: list[Result] = Field(description="one result per password, in request order")


def _request_model(max_batch: int, max_length: int) -> type[BaseModel]:
    password = Annotated[str, Field(max_length=max_length), AfterValidator(_utf8)]
    return create_model(
        "ScoreRequest",
        __config__=ConfigDict(extra="forbid"),
        passwords=(
            list[password],
            Field(min_length=1, max_length=max_batch, description="passwords to score"),
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


def version_info(params: Params, scorer: Scorer, commit: str) -> dict:
    """What produced the model: file hash, code commit, training params and its metrics."""
    metrics = _read_json(params.paths.evaluate_dir / "metrics.json") or {}
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
        "lookup": {
            "enabled": scorer.lookup is not None,
            "sha256": scorer.lookup_sha256,
            "entries": scorer.lookup.entries if scorer.lookup is not None else 0,
        },
    }


_KNOWN_LOC = {"body", "passwords"}


def _safe_loc(loc: tuple) -> list:
    # An unknown key is client text (it could be a password): name it, don't echo it.
    return [p if isinstance(p, int) or p in _KNOWN_LOC else "(unknown field)" for p in loc]


def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    # pydantic puts the offending value in `input`: that would echo a password back.
    detail = [
        {"loc": _safe_loc(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()
    ]
    return JSONResponse(status_code=422, content={"detail": detail})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    params = load_params(settings.params)
    model_path = settings.model or params.paths.model
    max_length = settings.max_length or params.validate_.max_length
    ScoreRequest = _request_model(settings.max_batch, max_length)  # noqa: N806 - a class

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A model that cannot be loaded safely stops start-up: never serve garbage.
        scorer = Scorer.from_params(params, model_path, use_lookup=settings.lookup)
        app.state.scorer = scorer
        app.state.version = version_info(params, scorer, _git_commit(settings.git_commit))
        log.info("model %s loaded from %s", scorer.version, model_path)
        # The model and the app are ~200k long-lived objects: a full collection walking them
        # takes ~60 ms, a stall for every request queued behind it. Frozen, collections only
        # look at what requests allocate.
        gc.collect()
        gc.freeze()
        yield
        gc.unfreeze()
        app.state.scorer = None

    app = FastAPI(
        title="password-complexity",
        version=__version__,
        description="How many guesses a password takes, learned from the RockYou leak.",
        lifespan=lifespan,
    )
    app.state.scorer = None
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_exception_handler(RequestValidationError, _validation_error)

    @app.get("/health")
    def health(request: Request) -> JSONResponse:
        scorer = request.app.state.scorer
        if scorer is None:
            return JSONResponse(status_code=503, content={"status": "loading"})
        return JSONResponse({"status": "ok", "model_version": scorer.version})

    @app.get("/version")
    def version(request: Request) -> dict:
        return request.app.state.version

    # async: scoring takes ~1 ms of CPU; running it on the event loop skips a thread hop
    # (one worker process scores one request at a time either way).
    @app.post("/v1/score", response_model=ScoreResponse)
    async def score(body: ScoreRequest, request: Request) -> ScoreResponse:  # type: ignore[valid-type]
        scorer: Scorer = request.app.state.scorer
        out = scorer(body.passwords)
        results = [
            Result(guesses_log10=g, guesses=n, score=s, source=src)
            for g, n, s, src in zip(
                out["guesses_log10"].tolist(),
                out["guesses"].tolist(),
                out["score"].tolist(),
                out["source"].tolist(),
                strict=True,
            )
        ]
        return ScoreResponse(model_version=scorer.version, results=results)

    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory pwc.serve.app:app` (settings from PWC_* variables)."""
    return create_app()
