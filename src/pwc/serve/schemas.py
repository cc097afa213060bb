"""The API's documented bodies besides the score record (pwc.scorer): health, refusals and
validation problems."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok", "loading"]
    model_version: str | None = None


class Refused(BaseModel):
    """413 (body too large) and 503 (busy): the reason, in words."""

    detail: str


class Problem(BaseModel):
    loc: list[int | str] = Field(description="where: body, passwords, index (never a value)")
    msg: str
    type: str


class Invalid(BaseModel):
    detail: list[Problem]
