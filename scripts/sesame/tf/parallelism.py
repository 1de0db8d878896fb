"""Terraform's -parallelism from the SES v2 write quota and the provider's retry budget
(the rule and its measurements are in docs/scale.md).

Each SES resource operation starts with one SES v2 write; a write past the account's rate
comes back 429 and waits in the provider's backoff (full jitter, rand x 2^attempt seconds,
at most 20 s) for up to `attempts` attempts. A walker can wait out about `window(attempts)`
seconds of refusals, and `parallelism` walkers share `writes_per_second`, so a write waits
about parallelism / writes_per_second seconds for its turn. The rule keeps that wait inside
the window: parallelism = clamp(floor(writes_per_second x window), 1, 10).

Measured: with the provider's default 25 attempts the window is minutes, so the rule gives
Terraform's 10, and 10 beat 4 at write=2 (lower parallelism only serialised the apply).
"""

from __future__ import annotations

import math

from sesame.aws import MAX_BACKOFF_SECONDS, PROVIDER_DEFAULT_ATTEMPTS

TERRAFORM_DEFAULT = 10


def window(attempts: int) -> float:
    """Expected seconds of backoff over `attempts` attempts (the SDK's full-jitter rule)."""
    total = 0.0
    for attempt in range(1, attempts):
        cap = 2.0**attempt
        # E[min(M, U * cap)] for U uniform on [0, 1)
        total += (
            cap / 2
            if cap <= MAX_BACKOFF_SECONDS
            else (MAX_BACKOFF_SECONDS - MAX_BACKOFF_SECONDS**2 / (2 * cap))
        )
    return total


def for_ses_write_rate(writes_per_second: float | None, attempts: int | None = None) -> int:
    """-parallelism for an account allowing `writes_per_second` (None: unknown, default),
    with the provider making `attempts` attempts (None: its default)."""
    if writes_per_second is None:
        return TERRAFORM_DEFAULT
    budget = window(attempts or PROVIDER_DEFAULT_ATTEMPTS)
    return max(1, min(TERRAFORM_DEFAULT, math.floor(writes_per_second * budget)))
