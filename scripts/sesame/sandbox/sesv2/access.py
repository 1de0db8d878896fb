"""Who may call which SES v2 operation: the caller's IAM identity policies, judged by the
evaluator the SMTP endpoint uses for senders (authorization.py, smtp/policy.py), on the
resource the operation acts on, as AWS's service authorization reference lists them:

- an identity's operations (and CreateEmailIdentity): `identity/<name>`;
- a configuration set's and its event destinations': `configuration-set/<name>`;
- TagResource, UntagResource, ListTagsForResource: the `ResourceArn` they name;
- ListEmailIdentities, ListConfigurationSets, GetAccount, PutAccountDetails: `*` (no
  resource-level permissions).

SendEmail is judged by sending.py (it needs the From address in the context).
"""

from __future__ import annotations

from typing import Any

from flask import Request

from sesame.sandbox import authorization

from .exceptions import AccessDeniedException
from .models import configuration_set_arn, identity_arn
from .sending import refusal


def resources(operation: str, account: str, region: str, params: dict[str, Any]) -> list[str]:
    """The ARNs an operation acts on (`["*"]` when it has no resource-level permissions)."""
    if params.get("ResourceArn"):
        return [params["ResourceArn"]]
    if params.get("EmailIdentity"):
        return [identity_arn(account, region, params["EmailIdentity"])]
    if params.get("ConfigurationSetName"):
        return [configuration_set_arn(account, region, params["ConfigurationSetName"])]
    return ["*"]


def check(
    enforcement: authorization.Enforcement,
    request: Request,
    operation: str,
    region: str,
    params: dict[str, Any],
) -> None:
    """Raise SES's 403 unless the caller's policies allow `ses:<operation>` on its resources.

    The root key passes; an unsigned, unknown or mis-signed request gets SES's
    authentication errors (sending.refusal)."""
    headers = dict(request.headers.items())
    if enforcement.is_root(headers):
        return
    try:
        who = authorization.authenticate(
            enforcement.account,
            request.method,
            authorization.received_url(request.environ),
            request.get_data(cache=True),
            headers,
        )
    except authorization.NotAuthenticated as exc:
        raise refusal(exc.reason) from None
    action = f"ses:{operation}"
    iam = authorization.iam_backend(enforcement.account, region)
    targets = resources(operation, enforcement.account, region, params)
    context = {"aws:username": who.user_name}
    denied = authorization.denied_resource(iam, who.user_name, action, targets, context)
    if denied is not None:
        raise AccessDeniedException(authorization.not_authorized(who.arn, action, denied))
