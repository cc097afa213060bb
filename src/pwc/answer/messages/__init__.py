"""Message files: one JSON file per language, each a stable code -> its text (English is
`en.json`; another language is another file, no code). Texts may hold `{name}` fields."""

from __future__ import annotations

import functools
import json
from pathlib import Path

HERE = Path(__file__).parent
DEFAULT = "en"


def languages() -> list[str]:
    """The languages shipped: the message files' names."""
    return sorted(p.stem for p in HERE.glob("*.json"))


@functools.cache
def catalog(language: str = DEFAULT) -> dict[str, str]:
    """A language's texts, with English for any code its file lacks."""
    if language not in languages():
        raise ValueError(f"no messages for language {language!r} (have: {languages()})")
    texts = json.loads((HERE / "en.json").read_text(encoding="utf-8"))
    texts.update(json.loads((HERE / f"{language}.json").read_text(encoding="utf-8")))
    return texts


def text(code: str, language: str = DEFAULT, **fields) -> str:
    """The text of `code` in `language`, its `{fields}` filled."""
    return catalog(language)[code].format(**fields)
