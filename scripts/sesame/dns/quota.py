"""Cloudflare's API quota, as the API states it, and the calls a run will make against it.

Cloudflare allows 1,200 API calls per five minutes per user or token, counted across the
dashboard and every tool; one call over it blocks **every** call of that user for five
minutes (developers.cloudflare.com/fundamentals/api/reference/limits). Every answer says
where the caller stands, as RFC 9651 structured fields: `Ratelimit: "default";r=<left>;
t=<seconds to the next window>` and `Ratelimit-Policy: "default";q=<quota>;w=<window
seconds>`. sesame reads the quota from those headers (an Enterprise account's raised limit
included) rather than assuming 1,200.

Before Terraform starts, sesame counts the calls the run will make (`needed`): its own
preflight (zone lookups and record listings) and the provider's refresh, one read per
record in state (measured: docs/scale.md). A run that cannot fit in one window is refused
before its first burst; one that fits but not in what is left waits for the next window.
Runs of one command (shards) share one `Budget` per token, so parallel shards are paced
instead of blocking the token for everyone.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import http_sf

from sesame import output
from sesame.errors import PreflightError

STATE = "Ratelimit"
POLICY = "Ratelimit-Policy"
LISTINGS_PER_ZONE = 2  # a listing pages until an empty page: one full page, one empty
RECORDS_PER_PAGE = 100  # a record listing's default page size (Cloudflare's API reference)
READS_PER_IMPORT = 2  # measured: the provider reads a record it imports twice in one plan


@dataclass(frozen=True)
class Quota:
    """One window of the token's quota, as the last answer stated it."""

    limit: int  # q: calls per window
    window: int  # w: seconds
    remaining: int  # r: calls left in this window
    reset_at: float  # time.monotonic() when the next window starts (t seconds after it)


def _items(value: str | None) -> dict[str, dict[str, object]]:
    if not value:
        return {}
    try:
        parsed = http_sf.parse(value.encode(), tltype="list")
    except ValueError:
        return {}
    return {str(name): params for name, params in parsed if isinstance(params, dict)}


def parse(headers: Mapping[str, str], now: float) -> Quota | None:
    """The quota an answer states (its `default` policy, else its first one); None when
    the answer carries no usable rate-limit headers."""
    policies, states = _items(headers.get(POLICY)), _items(headers.get(STATE))
    name = "default" if "default" in policies else next(iter(policies), None)
    if name is None or name not in states:
        return None
    policy, state = policies[name], states[name]
    try:
        q, w = int(policy["q"]), int(policy["w"])  # type: ignore[call-overload]
        r, t = int(state["r"]), int(state["t"])  # type: ignore[call-overload]
    except (KeyError, TypeError, ValueError):
        return None
    return Quota(limit=q, window=w, remaining=r, reset_at=now + t)


@dataclass(frozen=True)
class Needed:
    """The Cloudflare calls one run makes, by kind (docs/scale.md measured them)."""

    lookups: int = 0  # sesame's zone lookups by name
    listings: int = 0  # sesame's record listings (pages)
    reads: int = 0  # the provider's refresh: one read per record in state, one per import
    writes: int = 0  # the provider's creates, updates and deletes

    @property
    def total(self) -> int:
        return self.lookups + self.listings + self.reads + self.writes

    def describe(self) -> str:
        kinds = (
            (self.lookups, "zone lookups"),
            (self.listings, "record listings"),
            (self.reads, "record reads"),
            (self.writes, "record changes"),
        )
        return ", ".join(f"{n:,} {what}" for n, what in kinds if n)


class Budget:
    """What is left of one token's window, shared by the runs of one command.

    `observe` takes every answer's headers; `reserve` counts calls a run is about to make,
    waits for the next window when they do not fit in what is left, and refuses calls
    that no window holds. Without rate-limit headers (an API that states none) nothing is
    counted."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.quota: Quota | None = None
        self._available = 0  # in the current window, after this command's reservations

    def observe(self, headers: Mapping[str, str]) -> None:
        now = self._clock()
        stated = parse(headers, now)
        if stated is None:
            return
        with self._lock:
            current = self.quota
            if current is None or now >= current.reset_at or stated.reset_at > current.reset_at + 1:
                self._available = stated.remaining  # a new window
            else:  # others may spend too: trust whichever says less is left
                self._available = min(self._available, stated.remaining)
            self.quota = stated

    def reserve(self, needed: Needed, what: str, made: Needed | None = None) -> None:
        """Count `needed` calls of `what` (e.g. "this run"), of which `made` were already
        made (and counted by Cloudflare); wait for the next window when the rest do not fit
        in what is left. PreflightError when no window holds them all."""
        total = needed.total
        calls = max(0, total - (made.total if made else 0))
        while True:
            with self._lock:
                quota = self.quota
                if quota is None or calls == 0:
                    return
                if total > quota.limit:
                    raise PreflightError(
                        f"{what} needs about {total:,} Cloudflare API calls "
                        f"({needed.describe()}), over the token's limit of {quota.limit:,} "
                        f"per {quota.window} s (Cloudflare's Ratelimit-Policy); going over "
                        f"blocks every call of the token for {quota.window} s; fix: split the "
                        "domains into shards (`shards:` in sesame.yaml, docs/scale.md) and "
                        "plan changed shards (--changed-since), or ask Cloudflare for a "
                        "higher limit (nothing was changed)"
                    )
                now = self._clock()
                if now >= quota.reset_at:
                    self._available = quota.limit
                    self.quota = Quota(quota.limit, quota.window, quota.limit, now + quota.window)
                if calls <= self._available:
                    self._available -= calls
                    return
                wait = max(1.0, quota.reset_at - now)
                left = self._available
            output.notice(
                f"{output.elapsed()} Cloudflare API: {what} needs about {calls:,} more calls and "
                f"{left:,} of {quota.limit:,} per {quota.window} s are left; waiting "
                f"{wait:.0f} s for the next window (going over blocks the token)"
            )
            self._sleep(wait)


_budgets: dict[str, Budget] = {}
_budgets_lock = threading.Lock()


def budget_for(base_url: str | None, token: str) -> Budget:
    """The one Budget of this process for a token at an API endpoint (shards share it)."""
    key = hashlib.sha256(f"{base_url}\0{token}".encode()).hexdigest()
    with _budgets_lock:
        return _budgets.setdefault(key, Budget())
