"""Policy gates on a plan report, checked before a reviewed plan is applied.

- no destroy (or replace) of an SES identity or a DNS record without --allow-destroy;
- no IAM policy wider than ses:SendRawEmail/ses:SendEmail on a configured domain's
  identities and configuration set (not overridable);
- no DMARC weakened (a lower policy, or a lower pct) without --allow-weaker-dmarc.
"""

from __future__ import annotations

import re
from typing import Any

from sesame.config import Config
from sesame.dns import dmarc
from sesame.names import configuration_set_name

PROTECTED = ("aws_sesv2_email_identity", "cloudflare_dns_record")
SEND_ACTIONS = {"ses:SendRawEmail", "ses:SendEmail"}


def _resource_ok(arn: str, domains: list[str]) -> bool:
    m = re.fullmatch(r"arn:[\w-]+:ses:[\w-]+:\d*:(identity|configuration-set)/(.+)", arn)
    if not m:
        return False
    kind, name = m.groups()
    if kind == "configuration-set":
        return True  # the set is checked by name below
    return name in domains or any(name == f"*@{d}" for d in domains)


def check(
    report: dict[str, Any], config: Config, *, allow_destroy: bool, allow_weaker_dmarc: bool
) -> list[str]:
    """Every gate the plan fails, one line each (empty: the plan may be applied)."""
    failures = []
    for b in report["banner"]:
        kind = next((t for t in PROTECTED if f".{t}." in f".{b['address']}"), None)
        if kind and not allow_destroy:
            failures.append(
                f"gate: plan would {b['action']} {b['address']} ({kind}); fix: re-run with "
                "--allow-destroy if that is intended"
            )
    domains = list(config.domains)
    set_names = {configuration_set_name(d) for d in domains}
    for p in report["iam"]:
        new = p["new"]
        if not new:
            continue
        extra = sorted(set(new["actions"]) - SEND_ACTIONS)
        outside = [
            r
            for r in new["resources"]
            if not _resource_ok(r, domains)
            or ("configuration-set/" in r and r.rsplit("/", 1)[1] not in set_names)
        ]
        if extra or outside:
            failures.append(
                f"gate: {p['address']} would allow {extra or ''}{' on ' if outside else ''}"
                f"{outside or ''} beyond sending as its own domain; fix: senders may only have "
                "ses:SendRawEmail/ses:SendEmail on their domain's identity and configuration set"
            )
    for d in report["dns"]:
        old, new = dmarc.strength(d["old"]), dmarc.strength(d["new"])
        if old and new and new < old and not allow_weaker_dmarc:
            failures.append(
                f"gate: {d['name']} would weaken DMARC ({d['old']} -> {d['new']}); fix: re-run "
                "with --allow-weaker-dmarc if that is intended"
            )
    return failures
