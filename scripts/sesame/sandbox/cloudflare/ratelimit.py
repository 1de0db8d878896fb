"""Cloudflare's global API rate limit, as the real API applies it.

Facts (developers.cloudflare.com/fundamentals/api/reference/limits, read 2026-12-04):
1,200 requests per five minutes per user or account token, counted across dashboard,
keys and tokens; over it, every call is refused with HTTP 429 for the next five minutes.
Every REST answer carries `Ratelimit: "default";r=<remaining>;t=<seconds to reset>` and
`Ratelimit-Policy: "default";q=<quota>;w=<window seconds>`; a 429 adds `Retry-After`
(seconds, rounded up). The 429 body's message is the one users report ("More than 1200
requests per 300 seconds reached. Please wait and consider throttling your request
speed", code 971).

The emulator counts per bearer token in fixed windows that start at a window's first
call. The counters live in the backend, so they survive between sandbox commands as
Cloudflare's do between tools. The limit is set per command from
SESAME_SANDBOX_CLOUDFLARE_LIMIT: `requests/seconds` (default `1200/300`, Cloudflare's), or
`off`.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from .exceptions import CloudflareError

SETTING = "SESAME_SANDBOX_CLOUDFLARE_LIMIT"
DEFAULT = "1200/300"
OFF = "off"


@dataclass(frozen=True)
class Limit:
    requests: int
    seconds: int  # the window; a token over the limit is also blocked this long


@dataclass
class Window:
    started: float
    count: int = 0
    blocked_until: float = 0.0


class RateLimited(CloudflareError):
    """A token over the global limit: every call refused until the block ends."""

    code = 971
    status = 429

    def __init__(self, limit: Limit, retry_after: int, headers: dict[str, str]) -> None:
        super().__init__(
            f"More than {limit.requests} requests per {limit.seconds} seconds reached. "
            "Please wait and consider throttling your request speed"
        )
        self.retry_after = retry_after
        self._headers = headers

    @property
    def headers(self) -> dict[str, str]:
        # No x-should-retry: both SDKs retry a 429 after Retry-After, as against Cloudflare.
        return {
            "Content-Type": "application/json",
            "Retry-After": str(self.retry_after),
            **self._headers,
        }


def parse_limit(setting: str) -> Limit | None:
    """`1200/300` -> Limit(1200, 300); `off` -> None; empty -> Cloudflare's default.
    ValueError naming the setting otherwise."""
    setting = setting.strip() or DEFAULT
    if setting.lower() == OFF:
        return None
    requests, _, seconds = setting.partition("/")
    try:
        limit = Limit(int(requests), int(seconds))
    except ValueError:
        limit = Limit(0, 0)
    if limit.requests < 1 or limit.seconds < 1:
        raise ValueError(
            f"{SETTING}={setting}: not requests/seconds (e.g. {DEFAULT}, Cloudflare's) or "
            f"{OFF}; fix: set it like that or unset it"
        )
    return limit


def token_key(token: str) -> str:
    """Counters are kept by the token's digest, not the token."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def take(
    windows: dict[str, Window],
    limit: Limit,
    token: str,
    clock: Callable[[], float] = time.time,
) -> dict[str, str]:
    """Count one call of `token`: its rate-limit headers, or RateLimited (429) when the
    token is blocked or this call goes over the limit (which blocks it for the window)."""
    now = clock()
    key = token_key(token)
    window = windows.get(key)
    if window is None or (now >= window.started + limit.seconds and now >= window.blocked_until):
        window = windows[key] = Window(started=now)
    policy = {"Ratelimit-Policy": f'"default";q={limit.requests};w={limit.seconds}'}
    if now < window.blocked_until:
        wait = math.ceil(window.blocked_until - now)
        raise RateLimited(limit, wait, {**policy, "Ratelimit": f'"default";r=0;t={wait}'})
    window.count += 1
    reset = max(1, math.ceil(window.started + limit.seconds - now))
    if window.count > limit.requests:
        window.blocked_until = now + limit.seconds
        raise RateLimited(
            limit, limit.seconds, {**policy, "Ratelimit": f'"default";r=0;t={limit.seconds}'}
        )
    remaining = limit.requests - window.count
    return {**policy, "Ratelimit": f'"default";r={remaining};t={reset}'}
