"""SendEmail (POST /v2/email/outbound-emails), authenticated and authorised as SES does.

- The request must be SigV4-signed with an Active access key of a moto IAM user; the
  signature is checked with moto's own verifier (moto.iam.access_control), so a wrong
  secret is refused as SES refuses it (403 SignatureDoesNotMatch) and an unknown key
  too (403 UnrecognizedClientException).
- Then the same rules as the SMTP interface (authorization.py): a verified identity covers
  the From address, the configuration set exists, the caller's IAM policies allow
  `ses:SendEmail` on the identity and on the configuration set with `ses:FromAddress` in
  the context, and a sandbox account sends only to verified addresses and the simulator.
- Simple and Raw content are accepted; Template content needs templates, which the
  emulator does not keep (400, said so). Accepted messages join the sent list that
  GetAccount counts.
"""

from __future__ import annotations

import base64
import email.utils
from email import policy as email_policy
from email.parser import BytesHeaderParser
from typing import Any

from flask import Request

from sesame.sandbox import authorization

from . import feedback
from .exceptions import (
    AccessDeniedException,
    BadRequestException,
    MessageRejected,
    MissingAuthenticationToken,
    NotFoundException,
    SesV2Error,
    SignatureDoesNotMatch,
    UnrecognizedClientException,
)
from .models import SesV2Backend, configuration_set_arn, identity_arn

ACTION = "ses:SendEmail"


def caller(request: Request, account: str) -> tuple[str, str, str]:
    """(access key ID, IAM user name, user ARN) of a correctly signed request."""
    try:
        who = authorization.authenticate(
            account,
            request.method,
            authorization.received_url(request.environ),
            request.get_data(cache=True),
            dict(request.headers.items()),
        )
    except authorization.NotAuthenticated as exc:
        raise refusal(exc.reason) from None
    return who.access_key_id, who.user_name, who.arn


def refusal(reason: authorization.Refusal) -> SesV2Error:
    """SES's error for a request without a caller."""
    if reason == "MissingAuthenticationToken":
        return MissingAuthenticationToken("Missing Authentication Token")
    if reason == "SignatureDoesNotMatch":
        return SignatureDoesNotMatch(
            "The request signature we calculated does not match the signature you "
            "provided. Check your AWS Secret Access Key and signing method."
        )
    return UnrecognizedClientException("The security token included in the request is invalid.")


def _addresses(values: list[str] | None) -> list[str]:
    return [addr for _, addr in email.utils.getaddresses(values or []) if addr]


def _content(params: dict[str, Any]) -> tuple[str | None, list[str], str | None, bytes | None]:
    """(From header address, header recipients, subject, raw bytes) of the message."""
    content = params.get("Content") or {}
    if content.get("Template") is not None:
        raise BadRequestException(
            "Template content is not supported by the sesame sandbox (it keeps no templates)."
        )
    raw = (content.get("Raw") or {}).get("Data")
    if raw is not None:
        data = base64.b64decode(raw) if isinstance(raw, str) else bytes(raw)
        headers = BytesHeaderParser(policy=email_policy.default).parsebytes(data)
        sender = _addresses([str(headers.get("From", ""))])
        rcpts = _addresses([str(headers.get(h, "")) for h in ("To", "Cc", "Bcc")])
        return (sender[0] if sender else None), rcpts, headers.get("Subject"), data
    simple = content.get("Simple")
    if simple is None:
        raise BadRequestException("Content must have exactly one of Simple, Raw or Template.")
    return None, [], (simple.get("Subject") or {}).get("Data"), None


def send_email(
    ses: SesV2Backend,
    account: str,
    region: str,
    principal: tuple[str, str, str],
    params: dict[str, Any],
) -> dict[str, Any]:
    key_id, user_name, user_arn = principal
    header_from, header_rcpts, subject, raw = _content(params)
    sender = params.get("FromEmailAddress") or header_from
    if not sender:
        raise BadRequestException("Missing required FromEmailAddress.")
    destination = params.get("Destination") or {}
    listed = [destination.get(k) or [] for k in ("ToAddresses", "CcAddresses", "BccAddresses")]
    recipients = _addresses([a for addresses in listed for a in addresses]) or header_rcpts
    if not recipients:
        raise BadRequestException("Missing required Destination.")

    _, from_address = email.utils.parseaddr(sender)
    identity = authorization.verified_identity(ses, account, region, from_address)
    if identity is None:
        raise MessageRejected(
            "Email address is not verified. The following identities failed the check in "
            f"region {region.upper()}: {from_address}"
        )
    set_name = params.get("ConfigurationSetName") or identity.configuration_set_name
    if set_name is not None and ses.find_configuration_set(account, region, set_name) is None:
        raise NotFoundException(f"Configuration set <{set_name}> does not exist.")

    resources = [identity_arn(account, region, identity.name)]
    if set_name is not None:
        resources.append(configuration_set_arn(account, region, set_name))
    context = {
        "ses:FromAddress": from_address,
        "ses:Recipients": recipients,
        "ses:FromDisplayName": email.utils.parseaddr(sender)[0],
        "ses:ApiVersion": "2",
        "aws:username": user_name,
    }
    iam = authorization.iam_backend(account, region)
    denied = authorization.denied_resource(iam, user_name, ACTION, resources, context)
    if denied is not None:
        raise AccessDeniedException(
            f"User `{user_arn}' is not authorized to perform `{ACTION}' on resource `{denied}'"
        )
    unverified = authorization.unverified_recipients(ses, account, region, recipients)
    if unverified:
        raise MessageRejected(
            "Email address is not verified. The following identities failed the check in "
            f"region {region.upper()}: {', '.join(unverified)}"
        )
    ses_message_id = authorization.message_id()
    ses.record_sent_message(
        account,
        region,
        {
            "MessageId": ses_message_id,
            "Source": from_address,
            "From": from_address,
            "Destinations": recipients,
            "Subject": subject,
            "Raw": raw,
            "User": user_arn,
            "UserName": user_name,
            "AccessKeyId": key_id,
            "Identity": identity.name,
            "ConfigurationSetName": set_name,
            "Api": "SendEmail",
        },
    )
    feedback.record(ses, account, region, set_name, recipients)
    return {"MessageId": ses_message_id}
