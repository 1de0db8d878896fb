"""How the sandbox authenticates and authorises AWS callers: SES sends (its SMTP interface
and the SES v2 SendEmail API), and the operator's calls to SES v2 and to moto (iam_gate.py).

- A SigV4-signed request belongs to the moto IAM user with that Active access key, and its
  signature must check out with that key's secret (`authenticate`, with moto's verifier).

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

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from moto.backends import get_backend
from moto.core.exceptions import InvalidClientTokenIdError, SignatureDoesNotMatchError
from moto.iam.access_control import IAMRequest
from moto.iam.models import IAMBackend, User
from moto.utilities.utils import get_partition

from sesame.sandbox.sesv2.models import (
    SIMULATOR_MAILBOXES,
    EmailIdentity,
    SesV2Backend,
)
from sesame.sandbox.smtp import policy

# moto's backends are plain dicts with no locks of their own, and four kinds of thread touch
# them: moto's server, the SES v2 emulator's access checks and sends, the SMTP endpoint's
# logins, feedback's metrics. Whoever reads or writes them holds this. Without it, a 10-shard
# apply of 100 domains measured DescribeAlarms failing with 500 "dictionary changed size
# during iteration" while a PutMetricAlarm added an alarm; the AWS SDK retries a 500, and a
# retried create that had succeeded fails as AlreadyExists. AWS answers neither way.
MOTO_LOCK = threading.RLock()


def message_id() -> str:
    """SES's shape: 0102 + 12 hex digits of epoch milliseconds, a UUID, a 6-digit suffix."""
    return f"0102{int(time.time() * 1000):012x}-{uuid.uuid4()}-000000"


def iam_backend(account_id: str, region: str) -> IAMBackend:
    return get_backend("iam")[account_id][get_partition(region)]


@dataclass(frozen=True)
class Caller:
    """The IAM user a request is signed as."""

    access_key_id: str
    user_name: str
    arn: str


Refusal = Literal["MissingAuthenticationToken", "SignatureDoesNotMatch", "InvalidClientTokenId"]


class NotAuthenticated(Exception):
    """Why a request has no caller; each service words the error its own way."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason)
        self.reason: Refusal = reason


def credential_scope(headers: Mapping[str, str]) -> list[str] | None:
    """SigV4's `Credential=` scope: [key ID, date, region, service, "aws4_request"]."""
    authorization = headers.get("Authorization", "")
    if "Credential=" not in authorization:
        return None
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].strip().split("/")
    return scope if len(scope) == 5 else None


def received_url(environ: Mapping[str, Any]) -> str:
    """The URL as the client signed it: the raw path and query string (werkzeug's RAW_URI),
    not a re-encoded one (`?ResourceArn=arn%3Aaws...` must stay as sent)."""
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        raw = quote(environ.get("PATH_INFO", "")) + (
            f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else ""
        )
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{raw}"


def authenticate(
    account: str, method: str, url: str, body: bytes, headers: Mapping[str, str]
) -> Caller:
    """The user whose Active key signed this request (`url` is the full URL as received).

    Raises NotAuthenticated: unsigned (MissingAuthenticationToken), a key no user holds
    or an Inactive one (InvalidClientTokenId), a signature the key's secret does not give
    (SignatureDoesNotMatch, computed by moto.iam.access_control)."""
    scope = credential_scope(headers)
    if scope is None:
        raise NotAuthenticated("MissingAuthenticationToken")
    key_id, region = scope[0], scope[2]
    with MOTO_LOCK:
        try:
            IAMRequest(
                account_id=account,
                method=method,
                path=url,
                data={},
                body=body,
                headers=dict(headers),
                action="",
            ).check_signature()
        except SignatureDoesNotMatchError:
            raise NotAuthenticated("SignatureDoesNotMatch") from None
        except InvalidClientTokenIdError:
            raise NotAuthenticated("InvalidClientTokenId") from None
        for user in list(iam_backend(account, region).users.values()):
            if any(k.access_key_id == key_id and k.status == "Active" for k in user.access_keys):
                return Caller(key_id, user.name, user.arn)  # an Inactive key is refused too
    raise NotAuthenticated("InvalidClientTokenId")


@dataclass(frozen=True)
class Enforcement:
    """The operator's calls are checked against the caller's IAM policies (docs/sandbox.md).

    `root_access_key_id` is the sandbox's own key (the committed secrets file's): it stands
    for the account's root, which no identity policy limits. The sandbox seeds with it;
    Terraform and sesame's commands get an IAM user's key instead (world.py)."""

    account: str
    root_access_key_id: str

    def is_root(self, headers: Mapping[str, str]) -> bool:
        scope = credential_scope(headers)
        return scope is not None and scope[0] == self.root_access_key_id


def not_authorized(user_arn: str, action: str, resource: str) -> str:
    """AWS's AccessDenied message for an identity policy that does not allow the call."""
    return (
        f"User: {user_arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


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
    with MOTO_LOCK:
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
