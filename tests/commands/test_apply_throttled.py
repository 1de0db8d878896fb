"""An apply of many domains against SES's control-plane rate limits (emulated, AWS's 429
TooManyRequestsException) succeeds through the AWS provider's retries and sesame's own."""

from __future__ import annotations

import json
from collections import Counter

from testing import Sesame, domain, make_config

DOMAINS = 20


def test_an_apply_of_many_domains_succeeds_through_throttling(sesame: Sesame) -> None:
    domains: dict = {}
    for n in range(DOMAINS):
        domains.update(domain(f"tenant{n:02d}.example.net"))
    sesame.write(make_config(domains))
    # Two writes a second per account: far below what 20 domains ask for at once. Reads
    # come one at a time (no burst): sesame's own preflight reads, one per domain, are
    # throttled too (at 300 domains they failed the apply before Terraform ran).
    rates = {"SESAME_SANDBOX_SES_RATES": "read=5/1,write=2"}
    sesame.ok("apply", env=rates)
    lines = (sesame.top / ".sesame/sandbox/sandbox-calls.jsonl").read_text().splitlines()
    calls = Counter(action for service, action in map(json.loads, lines) if service == "ses")
    # Every identity exists once, and the rate was really hit: creations were refused and
    # retried (the call log counts each attempt).
    status = json.loads(sesame.ok("status", "--json").stdout)
    assert sorted(d["domain"] for d in status["domains"] if d["exists"]) == sorted(domains)
    assert calls["CreateEmailIdentity"] + calls["CreateConfigurationSet"] > 2 * DOMAINS
