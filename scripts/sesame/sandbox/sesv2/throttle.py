"""SES v2 control-plane rate limits: a token bucket per account and operation group.

AWS throttles SES management calls per account and Region and answers a call past the
rate with HTTP 429 `TooManyRequestsException` (see docs/scale.md for the published
quotas). The emulator does the same when a rate is configured, so an apply of hundreds
of identities goes through the provider's retries as it would against AWS.

A rate is given as `group=requests-per-second[/burst]` items, comma-separated, e.g.
`read=5,write=1/2`; `all=1` sets both groups; `each=1` gives every operation its own
bucket (the SES v1 API reference's "no more than once per second" per operation). An
empty setting turns throttling off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .exceptions import TooManyRequestsException

SETTING = "SESAME_SANDBOX_SES_RATES"
GROUPS = ("read", "write")
KEYS = (*GROUPS, "all", "each")
# Sending has its own quota (emails per second, the quotas page's sending table), not
# emulated here; these settings are the management API's.
SENDING = frozenset({"SendEmail", "SendBulkEmail"})


def group_of(operation: str) -> str:
    """The quota group of an operation: Get*/List* read, everything else writes."""
    return "read" if operation.startswith(("Get", "List")) else "write"


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: float


def parse_rates(setting: str) -> dict[str, Rate]:
    """`read=5,write=1/2` -> {group: Rate}; ValueError with the offending item otherwise."""
    rates: dict[str, Rate] = {}
    for item in filter(None, (part.strip() for part in setting.split(","))):
        group, _, value = item.partition("=")
        group = group.strip()
        if group not in KEYS or not value:
            raise ValueError(
                f"{SETTING}: '{item}' is not group=rate[/burst] with group one of "
                f"{', '.join(KEYS)} (e.g. read=5,write=1)"
            )
        per_second, _, burst = value.partition("/")
        try:
            rate = Rate(float(per_second), float(burst or per_second))
        except ValueError as exc:
            raise ValueError(f"{SETTING}: '{item}' has a rate that is not a number") from exc
        if rate.per_second <= 0 or rate.burst < 1:
            raise ValueError(f"{SETTING}: '{item}' needs a rate > 0 and a burst >= 1")
        for name in GROUPS if group == "all" else (group,):
            rates[name] = rate
    return rates


class Throttle:
    """Token buckets keyed (account, group); `take` raises past the rate."""

    def __init__(self, rates: dict[str, Rate], clock: Callable[[], float] = time.monotonic) -> None:
        self.rates = rates
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # tokens, last refill
        self.throttled = 0  # calls answered 429, for benches and tests

    def write_rate(self) -> float | None:
        """Writes per second one operation may make (None: writes are not limited)."""
        rate = self.rates.get("each") or self.rates.get("write")
        return rate.per_second if rate else None

    def take(self, account: str, operation: str) -> None:
        if operation in SENDING:
            return
        group = group_of(operation)
        rate = self.rates.get(group)
        if "each" in self.rates:
            group, rate = operation, self.rates["each"]
        if rate is None:
            return
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get((account, group), (rate.burst, now))
            tokens = min(rate.burst, tokens + (now - last) * rate.per_second)
            if tokens < 1:
                self._buckets[account, group] = (tokens, now)
                self.throttled += 1
                raise TooManyRequestsException("Too many requests have been made to the operation.")
            self._buckets[account, group] = (tokens - 1, now)
