"""How SES authorises a send, shared by its SMTP interface and the SES v2 SendEmail API.

- The From address must be covered by a verified identity: itself, its domain or a parent
  domain (`verified_identity`).
- The caller's IAM identity policies (inline and attached, the user's and its groups')
  must allow the action (`ses:SendRawEmail` over SMTP, `ses:SendEmail` over the API) on
  that identity and on the configuration set in use, with `ses:FromAddress` and friends in
  the request context (`denied_resource`, with smtp/policy.py's evaluator).
- An account still in the SES sandbox may only send to verified identities and to the
  mailbox simulator (`unverified_recipients`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from moto.backends import get_backend
from moto.iam.models import IAMBackend, User
from moto.utilities.utils import get_partition

from sesame.sandbox.sesv2.models import EmailIdentity, SesV2Backend

SIMULATOR_DOMAIN = "simulator.amazonses.com"
SIMULATOR_MAILBOXES = frozenset(
    f"{box}@{SIMULATOR_DOMAIN}" for box in ("success", "bounce", "complaint", "ooto")
) | {f"suppressionlist@{SIMULATOR_DOMAIN}"}


def message_id() -> str:
    """SES's shape: 0102 + 12 hex digits of epoch milliseconds, a UUID, a 6-digit suffix."""
    return f"0102{int(time.time() * 1000):012x}-{uuid.uuid4()}-000000"


def iam_backend(account_id: str, region: str) -> IAMBackend:
    return get_backend("iam")[account_id][get_partition(region)]


def user_policies(iam: IAMBackend, user: User) -> list[str]:
    """Inline and attached managed policies of the user and of its groups."""

    def managed(policies: dict[str, Any]) -> list[str]:
        return [
            version.document
            for managed_policy in policies.values()
            for version in managed_policy.versions
            if version.is_default
        ]

    documents = list(user.policies.values()) + managed(user.managed_policies)
    for group in iam.groups.values():
        if user in group.users:
            documents += list(group.policies.values()) + managed(group.managed_policies)
    return documents


def verified_identity(
    ses: SesV2Backend, account: str, region: str, address: str
) -> EmailIdentity | None:
    """The verified identity that covers an address: itself, its domain or a parent."""
    candidates = [address]
    labels = address.rpartition("@")[2].lower().split(".")
    candidates += [".".join(labels[i:]) for i in range(len(labels) - 1)]
    for name in candidates:
        identity = ses.get_identity(account, region, name)
        if identity is None:
            continue
        if ses.identity_status(account, region, identity) == "SUCCESS":
            return identity
    return None


def denied_resource(
    iam: IAMBackend,
    user_name: str,
    action: str,
    resources: list[str],
    context: Mapping[str, Any],
) -> str | None:
    """The first resource the user may not act on (None: allowed on all of them)."""
    from sesame.sandbox.smtp import policy  # the smtp package imports this module

    user = iam.users.get(user_name)
    documents = user_policies(iam, user) if user is not None else []
    for resource in resources:
        request = policy.Request(action=action, resource=resource, context=context)
        if not policy.is_allowed(documents, request):
            return resource
    return None


def unverified_recipients(
    ses: SesV2Backend, account: str, region: str, recipients: list[str]
) -> list[str]:
    """Recipients a sandbox (non-production) account may not send to; [] in production."""
    if ses.region_state(account, region).account.production_access:
        return []
    return [
        rcpt
        for rcpt in recipients
        if rcpt.lower() not in SIMULATOR_MAILBOXES
        and verified_identity(ses, account, region, rcpt) is None
    ]
