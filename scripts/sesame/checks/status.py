"""What SES says about each domain and the account (seed guide 003's monitoring)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sesame import aws, credentials, output, regions
from sesame import dkim as dkim_zone
from sesame.checks import keys, verify
from sesame.config import Config
from sesame.target import Target

KEY_BITS = {"RSA_1024_BIT": 1024, "RSA_2048_BIT": 2048}


def dkim_cause(got: dict[str, Any], domain: str, region: str, resolver: Any) -> str | None:
    """Why SES does not see the DKIM CNAMEs, from DNS (the first failing token's cause)."""
    attributes = got.get("DkimAttributes") or {}
    if attributes.get("Status") in (None, "SUCCESS", "NOT_STARTED"):
        return None
    zone = dkim_zone.stated_zone(got) or regions.dkim_host(region)
    tokens = attributes.get("Tokens") or []
    failed = [c for c in verify.dkim_checks(domain, tokens, zone, resolver) if not c.ok]
    return f"{failed[0].cause}; fix: {failed[0].fix}" if failed else None


def identity(
    ses: Any, domain: str, region: str | None = None, resolver: Any = None
) -> dict[str, Any]:
    try:
        got = ses.get_email_identity(EmailIdentity=domain)
    except ses.exceptions.NotFoundException:
        return {"domain": domain, "exists": False}
    dkim = got.get("DkimAttributes") or {}
    cause = dkim_cause(got, domain, region, resolver) if resolver is not None and region else None
    mail_from = got.get("MailFromAttributes") or {}
    length = dkim.get("CurrentSigningKeyLength") or dkim.get("NextSigningKeyLength")
    return {
        "domain": domain,
        "exists": True,
        "verified_for_sending": bool(got.get("VerifiedForSendingStatus")),
        "verification_status": got.get("VerificationStatus"),
        "error_type": (got.get("VerificationInfo") or {}).get("ErrorType"),
        "dkim_status": dkim.get("Status"),
        "dkim_cause": cause,
        "dkim_signing_hosted_zone": dkim.get("SigningHostedZone"),
        "dkim_origin": dkim.get("SigningAttributesOrigin"),
        "dkim_key_bits": KEY_BITS.get(length or ""),
        "mail_from_domain": mail_from.get("MailFromDomain"),
        "mail_from_status": mail_from.get("MailFromDomainStatus"),
        "behavior_on_mx_failure": mail_from.get("BehaviorOnMxFailure"),
        "configuration_set": got.get("ConfigurationSetName"),
    }


def account(ses: Any) -> dict[str, Any]:
    got = ses.get_account()
    quota = got.get("SendQuota") or {}
    review = (got.get("Details") or {}).get("ReviewDetails") or {}
    return {
        "review_status": review.get("Status"),
        "review_case_id": review.get("CaseId"),
        "production_access": bool(got.get("ProductionAccessEnabled")),
        "sending_enabled": bool(got.get("SendingEnabled")),
        "enforcement_status": got.get("EnforcementStatus"),
        "max_24_hour_send": quota.get("Max24HourSend"),
        "max_send_rate": quota.get("MaxSendRate"),
        "sent_last_24_hours": quota.get("SentLast24Hours"),
    }


def collect(config: Config, target: Target) -> dict[str, Any]:
    ses = aws.client("sesv2", config.region, target)
    resolver = verify.resolver_for(target)
    creds = (
        credentials.load(target.credentials_path, target.age_key)
        if target.credentials_path.exists()
        else {}
    )
    held = keys.held_keys(config, target)
    return {
        "region": config.region,
        "account": account(ses),
        "domains": [identity(ses, d, config.region, resolver) for d in config.domains],
        "keys": keys.key_rows(held, creds, datetime.now(UTC)),
    }


def table(report: dict[str, Any]) -> str:
    header = ("DOMAIN", "SENDING", "DKIM", "KEY", "MAIL FROM", "MAIL FROM STATUS", "CONFIG SET")
    rows = []
    for d in report["domains"]:
        if not d["exists"]:
            rows.append((d["domain"], "no identity (run make apply)", "", "", "", "", ""))
            continue
        dkim = d["dkim_status"] or "-"
        if d["error_type"]:
            dkim += f" ({d['error_type']})"
        if d.get("dkim_cause"):
            dkim += f" ({d['dkim_cause']})"
        rows.append(
            (
                d["domain"],
                "verified" if d["verified_for_sending"] else "not verified",
                dkim,
                str(d["dkim_key_bits"] or "-"),
                d["mail_from_domain"] or "-",
                d["mail_from_status"] or "-",
                d["configuration_set"] or "-",
            )
        )
    lines = [output.table(header, rows)]
    a = report["account"]
    access = (
        "production access"
        if a["production_access"]
        else "SES sandbox (verified recipients only; request production access)"
    )
    lines.append("")
    lines.append(
        f"account ({report['region']}): {access}; sending "
        f"{'enabled' if a['sending_enabled'] else 'PAUSED'}; quota "
        f"{a['max_24_hour_send']:g}/24h at {a['max_send_rate']:g}/s, "
        f"{a['sent_last_24_hours']:g} sent in the last 24h"
    )
    if a["review_status"]:
        lines.append(f"production access review: {a['review_status']} (case {a['review_case_id']})")
    if report["keys"]:
        header = ("SENDER", "KEY", "GENERATION", "IN USE AS", "STATUS", "AGE")
        rows = [
            (
                k["sender"],
                k["access_key_id"][:8] + "…",
                str(k["generation"] or "-"),
                k["role"],
                k["status"],
                f"{k['age_days']}d",
            )
            for k in report["keys"]
        ]
        lines += ["", output.table(header, rows)]
    return "\n".join(lines)
