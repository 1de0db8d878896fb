"""SES follows DNS, as SES does: DKIM and MAIL FROM statuses come from what the sandbox's
DNS server answers, not from a flag a test sets."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from sesame.sandbox.sesv2.models import SesV2Backend

Resolve = Callable[[str, str], list[str]]  # (name, rdtype) -> answers


def dkim_status(
    resolve: Resolve, ses: SesV2Backend, account: str, region: str, identity: Any
) -> str:
    """PENDING until the three CNAMEs resolve; losing one after SUCCESS: TEMPORARY_FAILURE."""
    if identity.identity_type != "DOMAIN" or not identity.dkim_tokens:
        return "SUCCESS"
    host = ses.signing_hosted_zone(region)  # where SES itself looks
    published = all(
        resolve(f"{t}._domainkey.{identity.name}", "CNAME") in ([f"{t}.{host}."], [f"{t}.{host}"])
        for t in identity.dkim_tokens
    )
    if published:
        identity.sandbox_verified = True
        return "SUCCESS"
    return "TEMPORARY_FAILURE" if getattr(identity, "sandbox_verified", False) else "PENDING"


def mail_from_status(resolve: Resolve, account: str, region: str, identity: Any) -> str:
    """SES needs exactly one MX on the MAIL FROM domain."""
    if not identity.mail_from_domain:
        return "FAILED"
    mx = resolve(identity.mail_from_domain, "MX")
    if len(mx) == 1:
        identity.sandbox_mail_from_ok = True
        return "SUCCESS"
    if len(mx) > 1:
        return "FAILED"
    return "TEMPORARY_FAILURE" if getattr(identity, "sandbox_mail_from_ok", False) else "PENDING"


def follow_dns(ses: SesV2Backend, resolve: Resolve) -> None:
    ses.dkim_status_resolver = partial(dkim_status, resolve, ses)
    ses.mail_from_status_resolver = partial(mail_from_status, resolve)
