"""Crack times for zxcvbn's four attack scenarios: seconds and a plain-words display (its
units and rounding), from the guesses the scorer answered."""

from __future__ import annotations

from pwc.answer.messages import DEFAULT, text

# zxcvbn's scenarios: guesses per second
SCENARIOS = {
    "online_throttling_100_per_hour": 100 / 3600,
    "online_no_throttling_10_per_second": 10.0,
    "offline_slow_hashing_1e4_per_second": 1e4,
    "offline_fast_hashing_1e10_per_second": 1e10,
}
_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_MONTH = 31 * _DAY
_YEAR = 12 * _MONTH
UNITS = ((_YEAR, "year"), (_MONTH, "month"), (_DAY, "day"), (_HOUR, "hour"))
UNITS += ((_MINUTE, "minute"), (1, "second"))


def seconds(guesses: float) -> dict[str, float]:
    """Each scenario's seconds to make `guesses` guesses."""
    return {name: guesses / rate for name, rate in SCENARIOS.items()}


def display(secs: float, language: str = DEFAULT) -> str:
    """`secs` in plain words: "less than a second", "3 hours", "centuries"."""
    if secs < 1:
        return text("time.instant", language)
    if secs >= 100 * _YEAR:
        return text("time.centuries", language)
    unit, name = next((u, n) for u, n in UNITS if secs >= u)
    n = round(secs / unit)
    return text(f"time.{name}" if n == 1 else f"time.{name}s", language, n=n)


def crack_times(guesses: float, language: str = DEFAULT) -> tuple[dict, dict]:
    """(seconds, display) per scenario."""
    secs = seconds(guesses)
    return secs, {name: display(s, language) for name, s in secs.items()}
