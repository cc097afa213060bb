"""The documented shapes of the full answer and of the zxcvbn-shaped one (the API's schema;
pwc.answer.full builds the values)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Kind = Literal[
    "leaked_password",
    "word",
    "name",
    "l33t",
    "user_input",
    "keyboard_walk",
    "repeat",
    "sequence",
    "date",
    "other",
]


class Message(BaseModel):
    code: str = Field(description="stable code (pwc/answer/messages/en.json)")
    text: str = Field(description="its text in the language asked for")


class Feedback(BaseModel):
    warning: Message | None = Field(description="at most one; none for a strong password")
    suggestions: list[Message]


class Span(BaseModel):
    kind: Kind
    start: int = Field(description="first character (code points from 0)")
    end: int = Field(description="one past the last character")
    guesses_log10: float = Field(description="the span's own guess estimate")


class Detail(BaseModel):
    """What `detail=true` adds to each result."""

    feedback: Feedback
    crack_times_seconds: dict[str, float] = Field(description="zxcvbn's four scenarios")
    crack_times_display: dict[str, str]
    sequence: list[Span] = Field(description="the spans behind the estimate, in order")


class ZxcvbnFeedback(BaseModel):
    warning: str
    suggestions: list[str]


class ZxcvbnResult(BaseModel):
    """`format=zxcvbn`: the zxcvbn package's result keys, with this project's estimates; the
    password and matched text come back as that many `*`."""

    password: str
    guesses: float
    guesses_log10: float
    sequence: list[dict[str, Any]] = Field(description="zxcvbn's matches, text masked")
    calc_time: float = Field(description="milliseconds")
    crack_times_seconds: dict[str, float]
    crack_times_display: dict[str, str]
    score: int
    feedback: ZxcvbnFeedback
