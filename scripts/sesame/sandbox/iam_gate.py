"""moto (IAM, STS, SNS, CloudWatch, SSM, Secrets Manager) behind a gate that enforces the
caller's IAM identity policies before moto answers, as AWS does.

Why not moto's own IAM authorization mode (`INITIAL_NO_AUTH_ACTION_COUNT`): moto 5.2.5
judges every action against the resource `*` (moto/iam/access_control.py lists "add
support for the Resource and Condition parts of IAM policies" as a TODO; only IAM role
actions name their role), so a least-privilege policy, whose statements name resources,
is refused nearly everything it allows. The gate finds the resource each call acts on
(`resources`, after AWS's service authorization reference) and judges it with the
evaluator the SES v2 emulator and the SMTP endpoint use (authorization.py).

- S3 requests pass: they are R2's, and r2.py admits only R2's own key.
- Unsigned requests pass: moto's /moto-api/ endpoints are the sandbox's, not AWS's.
- The root key passes (`Enforcement.root_access_key_id`), and so does
  sts:GetCallerIdentity, which AWS allows whatever the policies say.
- Any other caller must be an IAM user with an Active key whose secret gives the
  signature (403 InvalidClientTokenId / SignatureDoesNotMatch), and its policies must
  allow the action on every resource (403 AccessDenied; SNS says AuthorizationError).
- IAM's size quotas hold for every caller, root included, which moto does not check: a
  managed policy's document, and the inline policies of a user, group or role together
  (`over_quota`; 409 LimitExceeded).
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from moto.backends import get_backend
from moto.iam.models import IAMBackend
from werkzeug.wrappers import Request, Response

from sesame.sandbox import authorization
from sesame.sandbox.calls import AwsCall, aws_call

GOVERNED = frozenset({"iam", "sts", "sns", "cloudwatch", "ssm", "secretsmanager"})
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})
# IAM actions on a user that act on the caller itself when UserName is left out.
_SELF_USER_ACTIONS = frozenset(
    {"GetUser", "CreateAccessKey", "ListAccessKeys", "DeleteAccessKey", "UpdateAccessKey"}
)


def _first(call: AwsCall, name: str) -> str | None:
    value = call.params.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value if isinstance(value, str) else None


def _members(call: AwsCall, name: str) -> list[str]:
    """A query-protocol list (`AlarmNames.member.1`, ...) or a JSON list."""
    if call.json:
        value = call.params.get(name)
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    prefix = f"{name}.member."
    keys = sorted((k for k in call.params if k.startswith(prefix)), key=lambda k: k[len(prefix) :])
    return [call.params[k][0] for k in keys]


def _iam_resources(
    call: AwsCall, iam: IAMBackend, account: str, caller: authorization.Caller
) -> list[str]:
    base = f"arn:aws:iam::{account}:"
    user_name = _first(call, "UserName")
    if user_name is not None:
        user = iam.users.get(user_name)
        if user is not None:
            return [user.arn]
        path = (_first(call, "Path") or "/") if call.action == "CreateUser" else "/"
        return [f"{base}user{path}{user_name}"]
    role_name = _first(call, "RoleName")
    if role_name is not None:
        role = next((r for r in iam.roles.values() if r.name == role_name), None)
        return [role.arn if role is not None else f"{base}role/{role_name}"]
    if call.action == "SimulatePrincipalPolicy":
        return [_first(call, "PolicySourceArn") or "*"]
    if call.action in _SELF_USER_ACTIONS:
        return [caller.arn]
    return ["*"]


def resources(
    call: AwsCall, region: str, account: str, iam: IAMBackend, caller: authorization.Caller
) -> list[str]:
    """The ARNs a call acts on (`["*"]` for actions without resource-level permissions)."""
    if call.service == "iam":
        return _iam_resources(call, iam, account, caller)
    if call.service == "sns":
        if call.action == "CreateTopic":
            return [f"arn:aws:sns:{region}:{account}:{_first(call, 'Name')}"]
        subscription = _first(call, "SubscriptionArn")
        if subscription is not None:  # a subscription's actions are the topic's
            return [subscription.rpartition(":")[0]]
        arn = _first(call, "TopicArn") or _first(call, "ResourceArn")
        return [arn or "*"]
    if call.service == "cloudwatch":
        alarm = f"arn:aws:cloudwatch:{region}:{account}:alarm:"
        names = _members(call, "AlarmNames")
        if _first(call, "AlarmName") is not None:
            names = [_first(call, "AlarmName") or ""]
        if names and call.action != "DescribeAlarms":
            return [alarm + n for n in names]
        return [_first(call, "ResourceARN") or "*"]
    if call.service == "ssm":
        names = _members(call, "Names") or [n for n in [_first(call, "Name")] if n]
        parameter = f"arn:aws:ssm:{region}:{account}:parameter"
        return [parameter + (n if n.startswith("/") else f"/{n}") for n in names] or ["*"]
    if call.service == "secretsmanager":
        return _secret_resources(call, region, account)
    return ["*"]


# A secret's ARN is its name, "-" and six random characters (Secrets Manager User Guide,
# "Secret ARN"); a secret that does not exist yet is judged as one that would have them.
_NEW_SECRET_SUFFIX = "-000000"


def _secret_resources(call: AwsCall, region: str, account: str) -> list[str]:
    """The secret a Secrets Manager call names (`Name` on create, `SecretId` otherwise: a
    name or an ARN), as its full ARN when it exists."""
    named = _first(call, "SecretId") or _first(call, "Name")
    if named is None:
        return ["*"]
    if named.startswith("arn:"):
        return [named]
    secret = get_backend("secretsmanager")[account][region].secrets.get(named)
    if secret is not None:
        return [secret.arn]
    return [f"arn:aws:secretsmanager:{region}:{account}:secret:{named}{_NEW_SECRET_SUFFIX}"]


# IAM's size quotas, in characters with white space not counted (IAM User Guide, "IAM and
# AWS STS quotas"): a managed policy's document; the aggregate of one entity's inline
# policies, per kind of entity (action -> kind, its name parameter, quota).
MANAGED_POLICY_SIZE = 6144
INLINE_POLICY_SIZE = {
    "PutUserPolicy": ("user", "UserName", 2048),
    "PutGroupPolicy": ("group", "GroupName", 5120),
    "PutRolePolicy": ("role", "RoleName", 10240),
}


def policy_size(document: str) -> int:
    return len("".join(document.split()))


def _inline(iam: IAMBackend, kind: str, name: str) -> dict[str, str]:
    """An entity's inline policies (name -> document) as moto holds them."""
    if kind == "user":
        entity: Any = iam.users.get(name)
    elif kind == "group":
        entity = iam.groups.get(name)
    else:
        entity = next((r for r in iam.roles.values() if r.name == name), None)
    return dict(getattr(entity, "policies", None) or {})


def over_quota(call: AwsCall, iam: IAMBackend) -> str | None:
    """IAM's LimitExceeded message when the call's policy document passes a size quota
    (the inline policy it replaces does not count), else None."""
    document = _first(call, "PolicyDocument")
    if call.service != "iam" or document is None:
        return None
    if call.action in ("CreatePolicy", "CreatePolicyVersion"):
        if policy_size(document) > MANAGED_POLICY_SIZE:
            return f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}"
        return None
    if call.action not in INLINE_POLICY_SIZE:
        return None
    kind, parameter, quota = INLINE_POLICY_SIZE[call.action]
    name = _first(call, parameter) or ""
    with authorization.MOTO_LOCK:
        held = _inline(iam, kind, name)
    held.pop(_first(call, "PolicyName") or "", None)
    total = policy_size(document) + sum(policy_size(str(d)) for d in held.values())
    if total > quota:
        return f"Maximum policy size of {quota} bytes exceeded for {kind} {name}"
    return None


def _refused(call: AwsCall, status: int, code: str, message: str) -> Response:
    if call.json:
        body = json.dumps({"__type": code, "message": message})
        return Response(
            body,
            status=400 if code.startswith("AccessDenied") else status,
            headers={"X-Amzn-ErrorType": code},
            content_type="application/x-amz-json-1.1",
        )
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return Response(xml, status=status, content_type="text/xml")


_AUTHENTICATION = {
    "MissingAuthenticationToken": "Request is missing Authentication Token",
    "InvalidClientTokenId": "The security token included in the request is invalid.",
    "SignatureDoesNotMatch": (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method."
    ),
}


class IamGate:
    """WSGI middleware in front of moto: judge each governed call, pass the rest on."""

    def __init__(self, app: Any, enforcement: authorization.Enforcement) -> None:
        self.app, self.enforcement = app, enforcement

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        call = aws_call(environ, body)
        refused = self._judge(environ, body, call) if call is not None else None
        if refused is None and call is not None and call.service == "iam":
            iam = authorization.iam_backend(self.enforcement.account, "us-east-1")
            limit = over_quota(call, iam)
            if limit is not None:
                refused = _refused(call, 409, "LimitExceeded", limit)
        if refused is not None:
            return refused(environ, start_response)
        return self.app(environ, start_response)

    def _judge(self, environ: dict[str, Any], body: bytes, call: AwsCall) -> Response | None:
        action = f"{call.service}:{call.action}"
        request = Request(environ)
        headers = dict(request.headers.items())
        if call.service not in GOVERNED or action in ALWAYS_ALLOWED:
            return None
        if self.enforcement.is_root(headers):
            return None
        account = self.enforcement.account
        try:
            url = authorization.received_url(environ)
            caller = authorization.authenticate(account, request.method, url, body, headers)
        except authorization.NotAuthenticated as exc:
            return _refused(call, 403, exc.reason, _AUTHENTICATION[exc.reason])
        scope = authorization.credential_scope(headers) or ["", "", "us-east-1"]
        iam = authorization.iam_backend(account, scope[2])
        targets = resources(call, scope[2], account, iam, caller)
        context = {"aws:username": caller.user_name}
        denied = authorization.denied_resource(iam, caller.user_name, action, targets, context)
        if denied is None:
            return None
        code = "AuthorizationError" if call.service == "sns" else "AccessDenied"
        if call.json:
            code = "AccessDeniedException"
        return _refused(call, 403, code, authorization.not_authorized(caller.arn, action, denied))
