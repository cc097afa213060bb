"""/v1/score's options beyond the default record (pwc.answer.full): their types for the
query string, and the answer with each source counted."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pwc.answer import full
from pwc.answer.messages import languages
from pwc.scorer import Scorer, response_json
from pwc.serve.metrics import SCORED

Format = Literal["record", "zxcvbn"]
Language = Literal[tuple(languages())]  # type: ignore[valid-type]


def respond(scorer: Scorer, passwords, user_inputs, detail: bool, fmt: str, lang: str) -> bytes:
    """The response body (the default record, on its fast path, when nothing more is
    asked); counts each source in the scored-passwords metric."""
    if detail or user_inputs or fmt != "record":
        content, columns = full.response(scorer, passwords, user_inputs, detail, fmt, lang)
    else:
        columns = scorer(passwords)
        content = response_json(scorer.version, columns)
    for source, n in Counter(columns["source"].tolist()).items():  # Result's fixed sources
        SCORED.labels(source).inc(n)
    return content
