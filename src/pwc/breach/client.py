"""The k-anonymity client: how often each password is in a breach corpus, asking an
HIBP-compatible range server (this project's /range/, or api.pwnedpasswords.com) with only
the first 5 hex characters of each digest. Passwords and full digests stay in this process;
answers are padded (Add-Padding) so their size says nothing either."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from pwc.breach.hashes import MODES
from pwc.errors import PwcError

TIMEOUT_S = 10.0


def parse(text: str) -> dict[str, int]:
    """An HIBP range answer -> {suffix (upper case): count}."""
    out = {}
    for line in text.splitlines():
        suffix, _, count = line.strip().partition(":")
        if suffix:
            out[suffix.upper()] = int(count)
    return out


def counts(
    passwords: Sequence[str],
    base_url: str,
    mode: str = "sha1",
    pad: bool = True,
    client: httpx.Client | None = None,
) -> list[int]:
    """Each password's count on the server (0: not in its corpus); one request per prefix."""
    if mode not in MODES:
        raise PwcError(f"mode must be one of {', '.join(sorted(MODES))}")
    kind = MODES[mode]
    hexes = [bytes(d).hex().upper() for d in kind.digests(list(passwords))]
    answers: dict[str, dict[str, int]] = {}
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT_S)
    headers = {"Add-Padding": "true"} if pad else {}
    params = {"mode": mode} if mode != "sha1" else {}
    try:
        for prefix in sorted({h[:5] for h in hexes}):
            url = f"{base_url.rstrip('/')}/range/{prefix}"
            try:
                reply = http.get(url, params=params, headers=headers)
            except httpx.HTTPError as exc:
                raise PwcError(f"cannot reach {base_url}: {type(exc).__name__}") from None
            if reply.status_code != 200:
                raise PwcError(f"{base_url} answered {reply.status_code} for a range request")
            answers[prefix] = parse(reply.text)
    finally:
        if own:
            http.close()
    return [answers[h[:5]].get(h[5:], 0) for h in hexes]
