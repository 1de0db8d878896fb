"""What SES says about each domain and the account (seed guide 003's monitoring), and the
account's reputation: each configuration set's bounce and complaint rates against the
alarm thresholds, and the suppression list's size.

Reputation facts: SES publishes `Reputation.BounceRate` and `Reputation.ComplaintRate` to
CloudWatch (namespace `AWS/SES`) as fractions from 0 to 1, per configuration set with
reputation metrics enabled under the dimension `ses:configuration-set` (SES Developer Guide,
"Creating reputation monitoring alarms using CloudWatch"; terraform/aws enables them and
alarms on them). A rate is shown as sesame's alarm judges it: the average over the last
hour (period 3600 s), flagged at or above the configured threshold (`alarms:` in
sesame.yaml). The suppression list is SES v2 ListSuppressedDestinations, every page.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sesame import aws, credentials, output, regions
from sesame import dkim as dkim_zone
from sesame.checks import keys, verify
from sesame.checks.check import Check, as_json
from sesame.config import Config
from sesame.names import configuration_set_name
from sesame.target import Target

NAMESPACE = "AWS/SES"
SET_DIMENSION = "ses:configuration-set"
ALARM_PERIOD = 3600  # seconds: terraform/aws/main.tf, aws_cloudwatch_metric_alarm.reputation
# (check name, CloudWatch metric, threshold field of config.alarms, cause, fix)
RATES = (
    (
        "bounce rate",
        "Reputation.BounceRate",
        "bounce_rate",
        "at or above the alarm threshold (SES reviews an account at 5 %, pauses it at 10 %)",
        "stop sending to addresses that bounced and clean the lists you send to "
        "(docs/operating.md)",
    ),
    (
        "complaint rate",
        "Reputation.ComplaintRate",
        "complaint_rate",
        "at or above the alarm threshold (SES reviews an account at 0.1 %, pauses it at 0.5 %)",
        "send only to recipients who asked for the mail and make unsubscribing easy "
        "(docs/operating.md)",
    ),
)

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
    # NextSigningKeyLength: "the key length of the future DKIM key pair to be generated"
    # (SES API Reference, DkimSigningAttributes): an adopted 1024-bit identity signs with
    # 1024 until SES generates its next key.
    upcoming = dkim.get("NextSigningKeyLength") or length
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
        "dkim_next_key_bits": KEY_BITS.get(upcoming or ""),
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


def percent(fraction: float) -> str:
    return f"{fraction * 100:.3g} %"


def last_hour_rate(cloudwatch: Any, metric: str, set_name: str, now: datetime) -> float | None:
    """The metric's average over the last hour for one configuration set (what the alarm
    compares with its threshold), as a fraction; None when SES published nothing."""
    got = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=metric,
        Dimensions=[{"Name": SET_DIMENSION, "Value": set_name}],
        StartTime=now - timedelta(seconds=ALARM_PERIOD),
        EndTime=now + timedelta(minutes=1),
        Period=ALARM_PERIOD,
        Statistics=["Average"],
    )
    points = sorted(got["Datapoints"], key=lambda p: p["Timestamp"])
    return float(points[-1]["Average"]) if points else None


def reputation(config: Config, cloudwatch: Any, now: datetime) -> list[dict[str, Any]]:
    """One row per configuration set and metric: its rate (None: no data) and threshold."""
    rows = []
    for set_name in sorted({configuration_set_name(d) for d in config.domains}):
        for name, metric, field, _, _ in RATES:
            rows.append(
                {
                    "configuration_set": set_name,
                    "check": name,
                    "metric": metric,
                    "rate": last_hour_rate(cloudwatch, metric, set_name, now),
                    "threshold": getattr(config.alarms, field),
                }
            )
    return rows


def rate_check(row: dict[str, Any]) -> Check:
    """A reputation row judged as its alarm judges it (at or above the threshold: flagged)."""
    _, _, _, cause, fix = next(r for r in RATES if r[0] == row["check"])
    rate, threshold = row["rate"], row["threshold"]
    alarm = f"alarm at {percent(threshold)}"
    if rate is None:
        return Check(row["configuration_set"], row["check"], True, f"no data this hour ({alarm})")
    shown = f"{percent(rate)} over the last hour ({alarm})"
    if rate < threshold:
        return Check(row["configuration_set"], row["check"], True, shown)
    return Check(row["configuration_set"], row["check"], False, shown, cause, fix)


def suppression(ses: Any) -> dict[str, int]:
    """The account-level suppression list's size, by reason (BOUNCE, COMPLAINT)."""
    reasons: Counter[str] = Counter()
    token: dict[str, str] = {}
    while True:
        page = ses.list_suppressed_destinations(PageSize=1000, **token)
        reasons.update(s["Reason"] for s in page.get("SuppressedDestinationSummaries") or [])
        if not page.get("NextToken"):
            return {"total": sum(reasons.values()), **dict(sorted(reasons.items()))}
        token = {"NextToken": page["NextToken"]}


def suppression_check(counts: dict[str, int]) -> Check:
    by = ", ".join(f"{n} {reason.lower()}" for reason, n in counts.items() if reason != "total")
    detail = f"{counts['total']} addresses" + (f" ({by})" if by else "")
    return Check("account", "suppression list", True, detail)


def collect(config: Config, target: Target) -> dict[str, Any]:
    ses = aws.client("sesv2", config.region, target)
    resolver = verify.resolver_for(target)
    creds = (
        credentials.load(target.credentials_path, target.age_key)
        if target.credentials_path.exists()
        else {}
    )
    held = keys.held_keys(config, target)
    now = datetime.now(UTC)
    rates = reputation(config, aws.client("cloudwatch", config.region, target), now)
    suppressed = suppression(ses)
    return {
        "region": config.region,
        "account": account(ses),
        "domains": [identity(ses, d, config.region, resolver) for d in config.domains],
        "keys": keys.key_rows(held, creds, now),
        "reputation": rates,
        "suppression": suppressed,
        "checks": as_json([rate_check(r) for r in rates] + [suppression_check(suppressed)]),
    }


def _key_bits(d: dict[str, Any]) -> str:
    """`2048`, or `1024 (2048 next)` while SES has yet to generate the longer key."""
    now, upcoming = d["dkim_key_bits"], d.get("dkim_next_key_bits")
    if now and upcoming and upcoming != now:
        return f"{now} ({upcoming} next)"
    return str(now or "-")


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
        rows.append(
            (
                d["domain"],
                "verified" if d["verified_for_sending"] else "not verified",
                dkim,
                _key_bits(d),
                d["mail_from_domain"] or "-",
                # SES keeps a status for a MAIL FROM domain it no longer has
                (d["mail_from_status"] or "-") if d["mail_from_domain"] else "-",
                d["configuration_set"] or "-",
            )
        )
    lines = [output.table(header, rows)]
    # A cause is a sentence with its fix: under the table, not stretching a column.
    lines += [
        f"{d['domain']}: DKIM {d['dkim_status']}: {d['dkim_cause']}"
        for d in report["domains"]
        if d.get("exists") and d.get("dkim_cause")
    ]
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
    lines += ["", *(Check(**c).line() for c in report["checks"])]
    return "\n".join(lines)
