"""After apply: is the published DNS what SES needs, and can each sender send (only) as itself?

Queries DNS (public DNS in production, the sandbox's DNS server in the sandbox) rather than
the Cloudflare API, parses SPF and DMARC with checkdmarc, talks SMTP to the region's
endpoint with each smtp sender's credentials, and calls SES v2 SendEmail with each api
sender's own key, as an app would. DKIM CNAMEs are checked against the zone SES states
(SigningHostedZone). Every failure names its cause from seed guide 004's troubleshooting
table, and its own fix: two SPF records at a name are not "missing", void lookups are not
the 10-lookup limit. SPF is evaluated by spf_eval (the evaluator the preflight uses, so the
preflight is never looser than this).
"""

from __future__ import annotations

import fnmatch
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import boto3
import dns.exception
import dns.resolver
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from checkdmarc import dmarc as checkdmarc_dmarc

from sesame import aws, dkim, names, regions
from sesame.checks.check import Check
from sesame.config import Config, Domain
from sesame.dns import dmarc, spf, spf_eval
from sesame.dns.resolver import lookup_for, resolver_for
from sesame.smtp import smtp_password_v4
from sesame.target import Target

SIMULATOR = "success@simulator.amazonses.com"


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


def _mx_check(domain: str, mail_from: str, want: str, resolver: Any) -> Check:
    mx = _answers(resolver, mail_from, "MX")
    if isinstance(mx, str) or not mx:
        reason = mx if isinstance(mx, str) else "no MX"
        return Check(
            domain,
            "mail_from_mx",
            False,
            f"{mail_from} has no MX ({reason})",
            "MAIL FROM MX missing",
            f"publish {mail_from} MX 10 {want} (make apply)",
        )
    exchanges = [r.exchange.to_text().rstrip(".") for r in mx]
    if exchanges == [want]:
        return Check(domain, "mail_from_mx", True, f"{mail_from} MX 10 {want}")
    if len(exchanges) > 1:
        others = ", ".join(e for e in exchanges if e != want) or ", ".join(exchanges)
        return Check(
            domain,
            "mail_from_mx",
            False,
            f"{mail_from} has {len(exchanges)} MX records ({', '.join(exchanges)})",
            "several MX at the MAIL FROM name: SES needs exactly one (MAIL FROM fails)",
            f"delete the other MX ({others}) or choose another mail_from",
        )
    return Check(
        domain,
        "mail_from_mx",
        False,
        f"{mail_from} MX is {exchanges[0]}, SES needs {want}",
        "MAIL FROM MX points elsewhere",
        f"set {mail_from} MX 10 {want} (make apply)",
    )


def _mail_from_spf_check(domain: str, mail_from: str, resolver: Any) -> Check:
    want = f'{mail_from} TXT "v=spf1 include:amazonses.com ~all"'
    txt = _answers(resolver, mail_from, "TXT")
    records = [] if isinstance(txt, str) else [b"".join(r.strings).decode() for r in txt]
    spfs = [r for r in records if spf.is_spf(r)]
    if not spfs:
        return Check(
            domain,
            "mail_from_spf",
            False,
            f"{mail_from} has no SPF record",
            "MAIL FROM SPF missing",
            f"publish {want} (make apply)",
        )
    if len(spfs) > 1:
        return Check(
            domain,
            "mail_from_spf",
            False,
            f"{mail_from} has {len(spfs)} SPF records {spfs}",
            "two SPF records at the MAIL FROM name: receivers get permerror (RFC 7208 §4.5)",
            "delete the record that is not sesame's, or choose another mail_from",
        )
    if spf.SES_INCLUDE not in spfs[0].split():
        return Check(
            domain,
            "mail_from_spf",
            False,
            f"{mail_from} TXT {spfs[0]}",
            "MAIL FROM SPF does not include amazonses.com",
            f"publish {want} (make apply)",
        )
    return Check(domain, "mail_from_spf", True, f"{mail_from} TXT {spfs[0]}")


def mail_from_checks(domain: str, mail_from: str, region: str, resolver: Any) -> list[Check]:
    return [
        _mx_check(domain, mail_from, regions.mail_from_mx(region), resolver),
        _mail_from_spf_check(domain, mail_from, resolver),
    ]


def spf_check(domain: str, resolver: Any) -> Check:
    """The apex SPF as receivers evaluate it (spf_eval: the preflight's evaluator)."""
    lookup = lookup_for(resolver)
    try:
        records = [t for t in lookup(domain, "TXT") if spf_eval.is_spf(t)]
    except spf_eval.TempError as exc:
        return Check(
            domain,
            "spf",
            False,
            f"{domain} TXT: {exc}",
            "DNS did not answer",
            "check the zone's name servers, then run verify again",
        )
    if not records:
        return Check(
            domain,
            "spf",
            False,
            f"{domain} has no SPF record",
            "apex SPF missing",
            f'publish {domain} TXT "v=spf1 include:amazonses.com ~all" (make apply)',
        )
    if len(records) > 1:
        return Check(
            domain,
            "spf",
            False,
            f"{domain} has {len(records)} SPF records {records}",
            "two SPF records at one name: receivers get permerror (RFC 7208 §4.5)",
            "merge them into one record that includes amazonses.com",
        )
    [record] = records
    ev = spf_eval.evaluate(domain, lookup, record=record)
    if ev.over_lookups or ev.over_voids:
        full = spf_eval.evaluate(domain, lookup, record=record, limits=False)
        if ev.over_lookups:
            return Check(
                domain,
                "spf",
                False,
                f"{record}: requires {full.lookups}/{spf_eval.LOOKUP_LIMIT} maximum DNS lookups",
                f"SPF over the {spf_eval.LOOKUP_LIMIT}-lookup limit: receivers get permerror",
                f"remove or flatten includes: {full.chain()}",
            )
        return Check(
            domain,
            "spf",
            False,
            f"{record}: {full.voids} void lookups ({', '.join(full.void_names)})",
            f"SPF over the {spf_eval.VOID_LIMIT}-void-lookup limit: receivers get permerror",
            f"remove the terms naming {', '.join(full.void_names)} (they do not exist)",
        )
    if ev.result == "temperror":
        return Check(
            domain,
            "spf",
            False,
            f"{record}: {ev.reason}",
            "DNS did not answer for a name the SPF includes",
            "check that every include/redirect name resolves, then run verify again",
        )
    if ev.result == "permerror":
        return Check(
            domain,
            "spf",
            False,
            f"{record}: {ev.reason}",
            "SPF invalid: receivers get permerror",
            "correct the record (syntax, or an include whose name has no SPF record)",
        )
    if spf.SES_INCLUDE not in record.split():
        return Check(
            domain,
            "spf",
            False,
            f"SPF does not include amazonses.com: {record}",
            "apex SPF missing SES",
            "add include:amazonses.com before the all mechanism",
        )
    return Check(domain, "spf", True, f"{record} ({ev.lookups} of 10 lookups)")


_DMARC_CAUSES: list[tuple[type[Exception], str, str]] = [
    (
        checkdmarc_dmarc.MultipleDMARCRecords,
        "several DMARC records: receivers apply none (RFC 7489 §6.6.3)",
        "keep exactly one _dmarc TXT record (make apply)",
    ),
    (
        checkdmarc_dmarc.DMARCRecordNotFound,
        "DMARC record missing",
        "publish _dmarc (make apply)",
    ),
    (
        checkdmarc_dmarc.UnrelatedTXTRecordFoundAtDMARC,
        "another TXT record at _dmarc",
        "delete the TXT record at _dmarc that is not DMARC",
    ),
    (
        checkdmarc_dmarc.DMARCSyntaxError,
        "DMARC record invalid",
        "publish a valid _dmarc TXT (make apply)",
    ),
]


def _delegated(domain: str, resolver: Any, found: str) -> Check | None:
    """The failure to report when `_dmarc.<domain>` is a CNAME (DMARC delegated to a
    reporting service, which sesame keeps and never publishes over: dns.zones) through which
    no record of the domain's own is found (`found`: what discovery found instead); None
    when it is not a CNAME."""
    try:
        answer = resolver.resolve(f"_dmarc.{domain}", "CNAME")
    except dns.exception.DNSException:
        return None
    target = answer[0].target.to_text().rstrip(".")
    return Check(
        domain,
        "dmarc",
        False,
        f"_dmarc.{domain} is a CNAME to {target} (DMARC delegated), and no DMARC record is "
        f"found through it ({found})",
        "delegated DMARC record missing",
        f"have the DMARC service publish its record at {target}, or delete the CNAME so "
        f"that sesame publishes _dmarc.{domain} (make apply)",
    )


def dmarc_check(domain: str, policy: str | None, resolver: Any) -> Check:
    """The policy receivers apply (RFC 7489 discovery: the domain, else its organization).
    A failure is named by what sesame can do about it: a delegated `_dmarc` is the
    service's to publish, a DNS server that gives no answer is not a DMARC record."""
    try:
        found = checkdmarc_dmarc.get_dmarc_record(domain, resolver=resolver, timeout=5.0)
    except checkdmarc_dmarc.DMARCError as exc:
        delegated = _delegated(domain, resolver, str(exc))
        if delegated is not None:
            return delegated
        if policy is None and isinstance(exc, checkdmarc_dmarc.DMARCRecordNotFound):
            org = dmarc.organizational_domain(domain)
            return Check(
                domain,
                "dmarc",
                False,
                f"no DMARC policy applies to {domain}: it has no `dmarc:` (so sesame publishes "
                f"none for it) and neither it nor {org} publishes one",
                "DMARC record missing",
                f"add `dmarc:` to {domain} in sesame.yaml (sesame then publishes "
                f"_dmarc.{domain}), or publish one at _dmarc.{org}",
            )
        if type(exc) is checkdmarc_dmarc.DMARCError:  # checkdmarc's wrap of a DNS failure
            return Check(
                domain,
                "dmarc",
                False,
                f"DNS gave no answer while looking up DMARC for {domain} ({exc})",
                "DNS lookup failed",
                "check that the resolver answers (verify queries public DNS) and run it again",
            )
        cause, fix = next(
            ((c, f) for kind, c, f in _DMARC_CAUSES if isinstance(exc, kind)),
            ("DMARC record invalid", f"publish a valid _dmarc.{domain} TXT (make apply)"),
        )
        return Check(domain, "dmarc", False, str(exc), cause, fix)
    got = found["parsed"]["tags"]["p"]["value"]
    location = found["location"]
    if location != domain:
        inherited = dmarc.parse(found["record"])
        shown = inherited.subdomain if inherited else got
        if policy is None:
            return Check(
                domain, "dmarc", True, f"p={shown} inherited from _dmarc.{location} (sp/p)"
            )
        delegated = _delegated(domain, resolver, f"receivers apply _dmarc.{location}")
        if delegated is not None:
            return delegated
        return Check(
            domain,
            "dmarc",
            False,
            f"no _dmarc.{domain}: receivers apply _dmarc.{location} (p={shown})",
            "DMARC record missing",
            "make apply",
        )
    if policy is not None and got != policy:
        return Check(
            domain,
            "dmarc",
            False,
            f"policy is p={got}, configuration says p={policy}",
            "DMARC differs from configuration",
            "make apply",
        )
    return Check(domain, "dmarc", True, found["record"])


def _configured_policy(domain: str, d: Domain, resolver: Any) -> str | None:
    """The p= sesame publishes; None where it publishes none (kept, delegated, inherited)."""
    inherits = "dmarc" not in d.model_fields_set
    if d.dmarc.existing == "keep" or (inherits and dmarc.organizational_domain(domain) != domain):
        return None
    cname = _answers(resolver, f"_dmarc.{domain}", "CNAME")
    if not isinstance(cname, str) and cname:
        return None  # delegated to a reporting service: kept as it is
    return d.dmarc.policy


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
        out.append(dmarc_check(domain, _configured_policy(domain, d, resolver), resolver))
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
    limit = aws.throttle_attempts(target)
    return aws.retry_throttling(ses, limit), aws.retry_throttling(sts, limit)


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
    allowed = names.from_address(entry["from"])
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
