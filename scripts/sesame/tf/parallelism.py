"""Terraform's -parallelism from the SES v2 write quota (the rule is in docs/scale.md).

Terraform walks up to `-parallelism` resources at once (10 by default). Each SES resource
operation starts with one SES v2 write (create or put), and a write past the account's
rate comes back 429 and waits in the provider's exponential backoff. More walkers than
writes the quota allows in about one second only queue in backoff, and each 429 doubles
that walker's next wait, so past the quota more parallelism makes an apply slower, not
faster. The rule: parallelism = clamp(ceil(2 x writes per second), 1, 10), i.e. at most two
seconds' worth of writes in flight.
"""

from __future__ import annotations

import math

TERRAFORM_DEFAULT = 10
SECONDS_IN_FLIGHT = 2


def for_ses_write_rate(writes_per_second: float | None) -> int:
    """-parallelism for an account allowing `writes_per_second` (None: unknown, default)."""
    if writes_per_second is None:
        return TERRAFORM_DEFAULT
    wanted = math.ceil(SECONDS_IN_FLIGHT * writes_per_second)
    return max(1, min(TERRAFORM_DEFAULT, wanted))
