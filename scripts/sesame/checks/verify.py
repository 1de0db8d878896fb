"""After apply: is the published DNS what SES needs, and can each sender send (only) as itself?

Queries DNS (public DNS in production, the sandbox's DNS server in the sandbox) rather than
the Cloudflare API, parses SPF and DMARC with checkdmarc, talks SMTP to the region's
endpoint with each smtp sender's credentials, and calls SES v2 SendEmail with each api
sender's own key, as an app would. DKIM CNAMEs are checked against the zone SES states
(SigningHostedZone). Every failure names its cause from seed guide 004's troubleshooting
table.
"""

from __future__ import annotations

import fnmatch
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import boto3
import checkdmarc
import dns.exception
import dns.nameserver
import dns.resolver
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from sesame import dkim, names, regions
from sesame.checks.check import Check
from sesame.config import Config
from sesame.dns import spf
from sesame.smtp import smtp_password_v4
from sesame.target import Target

SIMULATOR = "success@simulator.amazonses.com"


def resolver_for(target: Target) -> dns.resolver.Resolver:
    if target.dns_nameserver is None:
        resolver = dns.resolver.Resolver()
    else:
        host, port = target.dns_nameserver
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port)]
    resolver.lifetime = 5.0
    return resolver


def _answers(resolver: dns.resolver.Resolver, name: str, rdtype: str) -> list[Any] | str:
    """Rdata list, or a short reason (NXDOMAIN, no records, timeout)."""
    try:
        return list(resolver.resolve(name, rdtype, raise_on_no_answer=False).rrset or [])
    except dns.resolver.NXDOMAIN:
        return "NXDOMAIN"
    except dns.resolver.NoNameservers:
        return "no nameserver answered"
    except dns.exception.Timeout:
        return "timed out"


def _answers_address(resolver: Any, name: str) -> bool:
    """The name answers A or AAAA: what Cloudflare serves for a proxied record."""
    return any(
        not isinstance(got, str) and got
        for got in (_answers(resolver, name, t) for t in ("A", "AAAA"))
    )


def dkim_checks(domain: str, tokens: list[str], signing_zone: str, resolver: Any) -> list[Check]:
    """Each token's CNAME must point into `signing_zone`, the zone SES states it signs in."""
    out = []
    for n, token in enumerate(tokens, start=1):
        name = f"{token}._domainkey.{domain}"
        want = f"{token}.{signing_zone}"
        got = _answers(resolver, name, "CNAME")
        if (isinstance(got, str) or not got) and _answers_address(resolver, name):
            out.append(
                Check(
                    domain,
                    f"dkim{n}",
                    False,
                    f"{name} answers A/AAAA addresses, not CNAME {want}",
                    "proxied DKIM CNAME (Cloudflare hides it from SES and receivers)",
                    f"set DNS only (proxy off) on {name}, or make apply",
                )
            )
        elif isinstance(got, str) or not got:
            reason = got if isinstance(got, str) else "no CNAME"
            out.append(
                Check(
                    domain,
                    f"dkim{n}",
                    False,
                    f"CNAME {name} is missing ({reason})",
                    "DKIM record not published",
                    f"publish {name} CNAME {want}",
                )
            )
        elif (target := got[0].target.to_text().rstrip(".").lower()) != want:
            on_zone = target.endswith("." + signing_zone) or target == signing_zone
            out.append(
                Check(
                    domain,
                    f"dkim{n}",
                    False,
                    f"CNAME {name} points to {target}, not {want}",
                    "DKIM record wrong"
                    if on_zone
                    else f"DKIM target outside SES's signing hosted zone {signing_zone}",
                    f"set {name} CNAME {want} (make apply)",
                )
            )
        else:
            out.append(Check(domain, f"dkim{n}", True, f"{name} -> {want}"))
    return out


def mail_from_checks(domain: str, mail_from: str, region: str, resolver: Any) -> list[Check]:
    out = []
    want = regions.mail_from_mx(region)
    mx = _answers(resolver, mail_from, "MX")
    exchanges = [] if isinstance(mx, str) else [r.exchange.to_text().rstrip(".") for r in mx]
    if exchanges == [want]:
        out.append(Check(domain, "mail_from_mx", True, f"{mail_from} MX 10 {want}"))
    else:
        shown = ", ".join(exchanges) or (mx if isinstance(mx, str) else "none")
        out.append(
            Check(
                domain,
                "mail_from_mx",
                False,
                f"{mail_from} MX is {shown}, SES needs exactly {want}",
                "MAIL FROM domain not set up",
                f"publish exactly one MX 10 {want}",
            )
        )
    txt = _answers(resolver, mail_from, "TXT")
    records = [] if isinstance(txt, str) else [b"".join(r.strings).decode() for r in txt]
    spfs = [r for r in records if spf.is_spf(r)]
    if len(spfs) == 1 and spf.SES_INCLUDE in spfs[0].split():
        out.append(Check(domain, "mail_from_spf", True, f"{mail_from} TXT {spfs[0]}"))
    else:
        out.append(
            Check(
                domain,
                "mail_from_spf",
                False,
                f"{mail_from} has {len(spfs)} SPF record(s) {spfs or ''}".rstrip(),
                "MAIL FROM SPF missing",
                f'publish {mail_from} TXT "v=spf1 include:amazonses.com ~all"',
            )
        )
    return out


def _invalid(domain: str, check: str, result: dict[str, Any], cause: str, fix: str) -> Check:
    """checkdmarc's verdict on a record it could not accept."""
    return Check(domain, check, False, str(result.get("error")), cause, fix)


def spf_check(domain: str, resolver: Any) -> Check:
    result = checkdmarc.check_spf(domain, resolver=resolver, timeout=5.0)
    if not result.get("valid"):
        fix = "keep one SPF record within 10 DNS lookups that includes amazonses.com"
        return _invalid(domain, "spf", result, "apex SPF invalid", fix)
    record = result["record"]
    if spf.SES_INCLUDE not in record.split():
        return Check(
            domain,
            "spf",
            False,
            f"SPF does not include amazonses.com: {record}",
            "apex SPF missing SES",
            "add include:amazonses.com before the all mechanism",
        )
    return Check(domain, "spf", True, f"{record} ({result['dns_lookups']} of 10 lookups)")


def dmarc_check(domain: str, policy: str | None, resolver: Any) -> Check:
    result = checkdmarc.check_dmarc(domain, resolver=resolver, timeout=5.0)
    if not result.get("valid"):
        fix = f"publish a valid _dmarc.{domain} TXT (make apply)"
        return _invalid(domain, "dmarc", result, "DMARC record invalid", fix)
    got = result["tags"]["p"]["value"]
    if policy is not None and got != policy:
        return Check(
            domain,
            "dmarc",
            False,
            f"policy is p={got}, configuration says p={policy}",
            "DMARC differs from configuration",
            "make apply",
        )
    return Check(domain, "dmarc", True, result["record"])


def domain_checks(config: Config, target: Target, ses: Any) -> list[Check]:
    resolver = resolver_for(target)
    out: list[Check] = []
    for domain, d in config.domains.items():
        try:
            identity = ses.get_email_identity(EmailIdentity=domain)
        except ses.exceptions.NotFoundException:
            out.append(
                Check(
                    domain,
                    "identity",
                    False,
                    "SES has no such identity",
                    "identity not created",
                    "make apply",
                )
            )
            continue
        tokens = (identity.get("DkimAttributes") or {}).get("Tokens") or []
        zone = dkim.stated_zone(identity) or regions.dkim_host(config.region)
        out += dkim_checks(domain, tokens, zone, resolver)
        out += mail_from_checks(domain, f"{d.mail_from}.{domain}", config.region, resolver)
        out.append(spf_check(domain, resolver))
        policy = None if d.dmarc.existing == "keep" else d.dmarc.policy
        out.append(dmarc_check(domain, policy, resolver))
    return out


# -- SMTP -----------------------------------------------------------------------------


def smtp_context(target: Target) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if target.smtp_ca_pem:
        context = ssl.create_default_context(cadata=target.smtp_ca_pem)
    return context


def _message(sender: str, to: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content("Sent by `sesame verify` to the SES mailbox simulator.\n")
    return msg


def _auth_cause(entry: dict[str, Any], secret: str | None, region: str) -> tuple[str, str]:
    """Why SES said 535, from seed guide 004's table."""
    user, password = entry["SMTP_USERNAME"], entry["SMTP_PASSWORD"]
    if not (user.startswith(("AKIA", "ASIA")) and len(user) == 20):
        return (
            "key ID vs user name: the SMTP user name is the access key ID, not the IAM user name",
            "use SMTP_USERNAME = the access key ID",
        )
    if secret is not None and password == secret:
        return (
            "the secret access key was used as the password",
            "use the SMTP password derived from it (sesame credentials)",
        )
    if secret is not None:
        for other in sorted(regions.SES_REGIONS - {region}):
            if password == smtp_password_v4(secret, other):
                return (
                    f"wrong region: the password was derived for {other}, the endpoint is {region}",
                    f"derive the password for {region} (make apply)",
                )
    return ("credentials invalid (deleted or inactive key?)", "make apply to rotate the key")


def _disallowed_from(patterns: list[str], domain: str) -> str:
    """An address the sender must NOT be able to send as."""
    for local in ("sesame-verify-not-allowed", "postmaster-x"):
        address = f"{local}@{domain}"
        if not any(fnmatch.fnmatchcase(address, p) for p in patterns):
            return address
    return "sesame-verify@not-your-domain.invalid"


def _refusal_cause(message: str) -> str:
    text = message.lower()
    if "not verified" in text and "simulator" not in text:
        return "unverified identity (or, in the SES sandbox, an unverified recipient)"
    if "access denied" in text or "not authorized" in text:
        return "From not allowed by the sender's IAM policy"
    return "refused"


def sender_checks(
    name: str,
    entry: dict[str, Any],
    target: Target,
    region: str,
    *,
    send: bool,
    secret_of: Callable[[str], str | None] = lambda _name: None,
) -> list[Check]:
    host, port = target.smtp_endpoint or (regions.smtp_host(region), 587)
    allowed = names.from_address(entry["from"])
    if allowed is None:
        allowed = entry["from"][0].replace("*", "verify").replace("?", "v")
    out: list[Check] = []
    try:
        smtp = smtplib.SMTP(host, port, timeout=15)
    except OSError as exc:
        return [
            Check(
                name,
                "connect",
                False,
                f"{host}:{port}: {exc}",
                "endpoint unreachable",
                "check the network and the region",
            )
        ]
    with smtp:
        smtp.ehlo()
        smtp.starttls(context=smtp_context(target))
        smtp.ehlo()
        try:
            smtp.login(entry["SMTP_USERNAME"], entry["SMTP_PASSWORD"])
        except smtplib.SMTPAuthenticationError as exc:
            cause, fix = _auth_cause(entry, secret_of(name), region)
            msg = exc.smtp_error.decode(errors="replace")
            return [Check(name, "auth", False, f"{exc.smtp_code} {msg}", cause, fix)]
        shown = entry["SMTP_USERNAME"][:8] + "…"  # enough to tell keys apart
        out.append(Check(name, "auth", True, f"AUTH as {shown} on {host}:{port}"))
        if not send:
            return out
        try:
            smtp.send_message(_message(allowed, SIMULATOR, "sesame verify"))
            out.append(Check(name, "send", True, f"{allowed} -> {SIMULATOR} accepted"))
        except smtplib.SMTPException as exc:
            text = str(exc)
            out.append(
                Check(
                    name,
                    "send",
                    False,
                    f"{allowed} -> {SIMULATOR}: {text}",
                    _refusal_cause(text),
                    "see the cause",
                )
            )
            return out
        other = _disallowed_from(entry["from"], entry["domain"])
        try:
            smtp.send_message(_message(other, SIMULATOR, "sesame verify (must be refused)"))
            out.append(
                Check(
                    name,
                    "least privilege",
                    False,
                    f"From {other} was accepted",
                    "the sender's policy allows more than its from list",
                    "make apply to restore the policy",
                )
            )
        except (
            smtplib.SMTPDataError,
            smtplib.SMTPSenderRefused,
            smtplib.SMTPRecipientsRefused,
        ) as exc:
            code = getattr(exc, "smtp_code", None) or 554
            out.append(Check(name, "least privilege", True, f"From {other} refused ({code})"))
    return out


# -- SES v2 API -----------------------------------------------------------------------

_API_CAUSES = {
    "SignatureDoesNotMatch": (
        "the secret access key does not match the key ID",
        "make apply to rotate the key, then export the credentials again",
    ),
    "UnrecognizedClientException": (
        "credentials invalid (deleted or inactive key?)",
        "make apply to rotate the key",
    ),
    "InvalidClientTokenId": (
        "credentials invalid (deleted or inactive key?)",
        "make apply to rotate the key",
    ),
    "AccessDeniedException": (
        "From not allowed by the sender's IAM policy",
        "make apply to restore the policy, or add the address to the sender's from list",
    ),
    "MessageRejected": (
        "unverified identity (or, in the SES sandbox, an unverified recipient)",
        "make apply, then check `sesame status`",
    ),
}


def _api_failure(name: str, check: str, what: str, exc: ClientError) -> Check:
    code = exc.response.get("Error", {}).get("Code", "Error")
    message = exc.response.get("Error", {}).get("Message", "")
    cause, fix = _API_CAUSES.get(code, ("refused", "see the message"))
    return Check(name, check, False, f"{what}: {code}: {message}", cause, fix)


def api_clients(entry: dict[str, Any], target: Target, region: str) -> tuple[Any, Any]:
    """The sender's own SES v2 and STS clients, with its own key (never sesame's)."""
    kwargs: dict[str, Any] = {
        "region_name": region,
        "aws_access_key_id": entry["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": entry["AWS_SECRET_ACCESS_KEY"],
        "config": BotoConfig(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=20),
    }
    ses = boto3.client("sesv2", endpoint_url=target.aws_endpoints.get("sesv2"), **kwargs)
    sts = boto3.client("sts", endpoint_url=target.aws_endpoints.get("sts"), **kwargs)
    return ses, sts


def _api_send(ses: Any, sender: str, subject: str) -> str:
    body = "Sent by `sesame verify` to the SES mailbox simulator.\n"
    return ses.send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": [SIMULATOR]},
        Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": body}}}},
    )["MessageId"]


def api_sender_checks(
    name: str, entry: dict[str, Any], target: Target, region: str, *, send: bool
) -> list[Check]:
    """As an app would: its key is known to AWS, SendEmail from an allowed From is accepted,
    and one from outside its from list is refused with AccessDenied."""
    ses, sts = api_clients(entry, target, region)
    shown = entry["AWS_ACCESS_KEY_ID"][:8] + "…"
    try:
        arn = sts.get_caller_identity()["Arn"]
    except ClientError as exc:
        return [_api_failure(name, "auth", f"key {shown}", exc)]
    except (BotoCoreError, OSError) as exc:
        return [
            Check(name, "connect", False, str(exc), "endpoint unreachable", "check the network")
        ]
    out = [Check(name, "auth", True, f"key {shown} is {arn}")]
    if not send:
        return out
    allowed = next((a for a in entry["from"] if "*" not in a and "?" not in a), None)
    if allowed is None:
        allowed = entry["from"][0].replace("*", "verify").replace("?", "v")
    try:
        _api_send(ses, allowed, "sesame verify")
        out.append(Check(name, "send", True, f"SendEmail {allowed} -> {SIMULATOR} accepted"))
    except ClientError as exc:
        out.append(_api_failure(name, "send", f"SendEmail {allowed} -> {SIMULATOR}", exc))
        return out
    other = _disallowed_from(entry["from"], entry["domain"])
    try:
        _api_send(ses, other, "sesame verify (must be refused)")
        out.append(
            Check(
                name,
                "least privilege",
                False,
                f"SendEmail From {other} was accepted",
                "the sender's policy allows more than its from list",
                "make apply to restore the policy",
            )
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "AccessDeniedException":
            out.append(Check(name, "least privilege", True, f"SendEmail From {other} refused"))
        else:
            out.append(_api_failure(name, "least privilege", f"SendEmail From {other}", exc))
    return out
