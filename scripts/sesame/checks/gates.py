"""Policy gates on a plan report, checked by every apply on the plan it is about to apply.

- no destroy (or replace) of an SES identity, a DNS record or a sender's IAM user, key or
  policy without --allow-destroy (removing a domain or a sender is such a destroy);
- no IAM policy wider than ses:SendRawEmail/ses:SendEmail on a configured domain's
  identities and configuration set (not overridable);
- no DMARC weakened (a lower policy, or a lower pct) without --allow-weaker-dmarc, judged
  as receivers see it (RFC 7489 §6.6.3): a new `_dmarc.<subdomain>` is compared with the
  organizational domain's sp= (or p=) that receivers apply to it today.

Production refuses a plan that fails a gate (GateError, nothing applied). The sandbox is a
rehearsal with nothing to lose: it applies the plan and says, in one line, what production
would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sesame import output
from sesame.checks.check import Check
from sesame.config import Config
from sesame.dns import dmarc
from sesame.dns.txt import unquote
from sesame.errors import GateError
from sesame.names import configuration_set_name

# What a destroy gate protects, most important first (the first failure is the one shown),
# and which of the banner's actions (delete, replace, forget) it stops.
PROTECTED = {
    "aws_sesv2_email_identity": ("delete", "replace", "forget"),
    "cloudflare_dns_record": ("delete", "replace", "forget"),
    # A sender's credentials, which its apps hold.
    "aws_iam_user": ("delete", "replace"),
    "aws_iam_access_key": ("delete", "replace"),
    # Its policy only when the sender goes (a policy replaced to follow the role the
    # configuration now names is the change asked for).
    "aws_iam_user_policy": ("delete",),
    "aws_iam_role_policy": ("delete",),
}
SEND_ACTIONS = {"ses:SendRawEmail", "ses:SendEmail"}


def _dmarc(content: str | None) -> dmarc.Policy | None:
    return dmarc.parse(unquote(content)) if content else None


def _shown(policy: dmarc.Policy) -> str:
    return f"p={policy.p}" + (f" pct={policy.pct}" if policy.pct != 100 else "")


def _resource_ok(arn: str, domains: list[str]) -> bool:
    m = re.fullmatch(r"arn:[\w-]+:ses:[\w-]+:\d*:(identity|configuration-set)/(.+)", arn)
    if not m:
        return False
    kind, name = m.groups()
    if kind == "configuration-set":
        return True  # the set is checked by name below
    return name in domains or any(name == f"*@{d}" for d in domains)


def line(failure: Check) -> str:
    """A failed gate as the plan report and apply print it: `gate: <what>; fix: <fix>`."""
    return f"gate: {failure.detail}; fix: {failure.fix}"


def _destroys(report: dict[str, Any], retired: frozenset[str]) -> list[Check]:
    failures = []
    for kind, actions in PROTECTED.items():
        for b in report["banner"]:
            asked = b["action"] == "delete" and any(b["address"].endswith(r) for r in retired)
            if f".{kind}." in f".{b['address']}" and b["action"] in actions and not asked:
                failures.append(
                    Check(
                        b["address"],
                        "destroy",
                        False,
                        f"plan would {b['action']} {b['address']} ({kind})",
                        fix="re-run with --allow-destroy if that is intended",
                    )
                )
    return failures


# Terraform's streamed planned_change actions in the plan JSON's words (its JSON UI's
# ChangeAction, internal/command/views/json/change.go: a forget streams as "remove")
STREAMED_ACTIONS = {"delete": "delete", "replace": "replace", "remove": "forget"}


def destroys_planned(planned: list[tuple[str, str]], retired: frozenset[str]) -> list[Check]:
    """The destroy gate on a streamed plan's (action, address) pairs (terraform.Summary),
    without `terraform show -json`: what `sesame apply` will stop on unless given
    --allow-destroy. The other gates need the plan's values (`sesame plan --report`)."""
    banner = [
        {"address": address, "action": STREAMED_ACTIONS[action]}
        for action, address in planned
        if action in STREAMED_ACTIONS
    ]
    return _destroys({"banner": banner}, retired)


def _iam_widening(report: dict[str, Any], domains: list[str]) -> list[Check]:
    set_names = {configuration_set_name(d) for d in domains}
    failures = []
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
                Check(
                    p["address"],
                    "send only",
                    False,
                    f"{p['address']} would allow {extra or ''}{' on ' if outside else ''}"
                    f"{outside or ''} beyond sending as its own domain",
                    fix="senders may only have ses:SendRawEmail/ses:SendEmail on their "
                    "domain's identity and configuration set",
                )
            )
    return failures


def _dmarc_weakened(
    report: dict[str, Any], dmarc_before: Mapping[str, dmarc.Effective]
) -> list[Check]:
    failures = []
    for d in report["dns"]:
        new = _dmarc(d["new"])
        if new is None:
            continue
        before = dmarc_before.get(d["name"])
        old = _dmarc(d["old"])
        if old is not None:
            weaker, was = new.strength() < old.strength(), _shown(old)
        elif before is not None and before.policy is not None:
            weaker, was = new.strength() < before.strength, before.describe()
        else:
            continue
        if weaker:
            failures.append(
                Check(
                    d["name"],
                    "dmarc",
                    False,
                    f"{d['name']} would weaken DMARC ({was} -> {_shown(new)})",
                    fix="re-run with --allow-weaker-dmarc if that is intended",
                )
            )
    return failures


def check(
    report: dict[str, Any],
    config: Config,
    *,
    allow_destroy: bool,
    allow_weaker_dmarc: bool,
    dmarc_before: Mapping[str, dmarc.Effective] | None = None,
    retired: frozenset[str] = frozenset(),
) -> list[Check]:
    """Every gate the plan fails, one failed Check each (empty: the plan may be applied);
    `line` renders one as the report and apply print it.

    `dmarc_before`: per _dmarc name, the policy receivers apply today (zones.preflight).
    `retired`: previous-generation access keys `sesame rotate --retire` asked to delete."""
    failures = [] if allow_destroy else _destroys(report, retired)
    failures += _iam_widening(report, list(config.domains))
    if not allow_weaker_dmarc:
        failures += _dmarc_weakened(report, dmarc_before or {})
    return failures


def enforce(failures: list[Check], env: str) -> None:
    """Production: refuse a plan that fails a gate. Sandbox: apply it, saying so in one line."""
    if not failures:
        return
    first = line(failures[0])
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    if env == "production":
        raise GateError(first + more)
    # a notice: shown at once even from a shard whose other lines are held back
    output.notice(f"sandbox: applying what production would refuse: {first}{more}")
