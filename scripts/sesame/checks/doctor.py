"""Before apply (seed guide 000's "Verify Permissions"): can every credential do its job?

Each check is one line: ok, or what is wrong and the fix. Read-only, except a probe TXT
record that is created and deleted again to prove the Cloudflare token can edit DNS.
"""

from __future__ import annotations

import secrets as pyrandom
from collections.abc import Callable
from typing import Any

import cloudflare
from botocore.exceptions import BotoCoreError, ClientError

from sesame import aws
from sesame.checks.check import Check
from sesame.config import Config
from sesame.dns import zones
from sesame.errors import FatalError
from sesame.target import Target


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", "error")
    return type(exc).__name__


def aws_identity(config: Config, target: Target) -> Check:
    try:
        who = aws.client("sts", config.region, target).get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        source = (
            "AWS_* in secrets.yaml"
            if target.secrets.get("AWS_ACCESS_KEY_ID")
            else "the instance role"
        )
        return Check(
            "aws",
            "identity",
            False,
            f"STS refused the credentials ({_code(exc)})",
            f"credentials from {source} are invalid",
            "put valid AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in secrets.yaml",
        )
    return Check("aws", "identity", True, f"credentials belong to {who['Arn']}")


def ses_account(config: Config, target: Target) -> Check:
    try:
        got = aws.client("sesv2", config.region, target).get_account()
    except (ClientError, BotoCoreError) as exc:
        return Check(
            "aws",
            "ses",
            False,
            f"SES in {config.region} refused ({_code(exc)})",
            "missing SES permissions or SES unavailable in the region",
            "attach the policy `sesame admin-policy` prints",
        )
    quota = got.get("SendQuota") or {}
    access = "production access" if got.get("ProductionAccessEnabled") else "SES sandbox"
    return Check(
        "aws",
        "ses",
        True,
        f"{config.region}: {access}, {quota.get('Max24HourSend', 0):g}/24h at "
        f"{quota.get('MaxSendRate', 0):g}/s",
    )


def _head_bucket(config: Config, target: Target, key_id: str, secret: str) -> str | None:
    s3 = aws.r2_client(target, key_id, secret, attempts=1)
    try:
        s3.head_bucket(Bucket=config.backend.bucket)
    except (ClientError, BotoCoreError) as exc:
        return _code(exc)
    return None


def r2_bucket(config: Config, target: Target) -> list[Check]:
    s = target.secrets
    out = []
    err = _head_bucket(config, target, s.get("R2_ACCESS_KEY_ID"), s.get("R2_SECRET_ACCESS_KEY"))
    if err is None:
        out.append(
            Check("r2", "state bucket", True, f"{config.backend.bucket} reachable with R2's keys")
        )
    else:
        swapped = s.get("R2_ACCESS_KEY_ID").startswith(("AKIA", "ASIA"))
        out.append(
            Check(
                "r2",
                "state bucket",
                False,
                f"{config.backend.bucket} refused R2_ACCESS_KEY_ID ({err})",
                "R2 and AWS keys look swapped" if swapped else "R2 keys invalid or bucket missing",
                "R2_* must be an R2 API token's keys for this bucket (R2 > Manage API tokens)",
            )
        )
    if s.get("AWS_ACCESS_KEY_ID"):
        err = _head_bucket(
            config, target, s.get("AWS_ACCESS_KEY_ID"), s.get("AWS_SECRET_ACCESS_KEY")
        )
        if err is None:
            out.append(
                Check(
                    "r2",
                    "key separation",
                    False,
                    "the state bucket accepts AWS_ACCESS_KEY_ID",
                    "R2 and AWS keys swapped or identical",
                    "give R2_* and AWS_* their own keys",
                )
            )
        else:
            out.append(Check("r2", "key separation", True, f"AWS's keys cannot reach R2 ({err})"))
    return out


def cloudflare_zones(config: Config, target: Target) -> list[Check]:
    domains = config.cloudflare_domains()
    if not domains:
        return [Check("cloudflare", "token", True, "no domain uses Cloudflare (all dns: manual)")]
    try:
        cf = zones.client(target)
    except FatalError as exc:
        return [Check("cloudflare", "token", False, str(exc), "token missing", "sops secrets.yaml")]
    out = []
    for domain in domains:
        zone_name = config.zone_of(domain)
        try:
            found = cf.zones.list(name=zone_name).result
        except (cloudflare.AuthenticationError, cloudflare.PermissionDeniedError) as exc:
            return [
                Check(
                    "cloudflare",
                    "token",
                    False,
                    f"Cloudflare refused CLOUDFLARE_API_TOKEN ({exc.status_code})",
                    "token invalid, expired or for another account",
                    "create a token with Zone:Read and DNS:Edit on your zones",
                )
            ]
        if len(found) != 1:
            out.append(
                Check(
                    "cloudflare",
                    zone_name,
                    False,
                    "zone not visible to the token",
                    "zone missing or outside the token's scope",
                    "add the zone to the token, or set dns: manual",
                )
            )
            continue
        probe = f"_sesame-doctor-{pyrandom.token_hex(4)}.{zone_name}"
        try:
            made = cf.dns.records.create(
                zone_id=found[0].id,
                name=probe,
                type="TXT",
                content='"sesame doctor probe"',
                ttl=60,
                comment="sesame doctor probe (deleted at once)",
            )
            cf.dns.records.delete(made.id, zone_id=found[0].id)
        except cloudflare.APIStatusError as exc:
            out.append(
                Check(
                    "cloudflare",
                    zone_name,
                    False,
                    f"can read but not edit DNS ({exc.status_code})",
                    "token lacks DNS:Edit",
                    "grant Zone.DNS:Edit on the zone",
                )
            )
            continue
        out.append(Check("cloudflare", zone_name, True, "token can read the zone and edit DNS"))
    return out


CHECKS: tuple[Callable[[Config, Target], Any], ...] = (
    aws_identity,
    ses_account,
    r2_bucket,
    cloudflare_zones,
)


def credential_checks(config: Config, target: Target) -> list[Check]:
    out: list[Check] = [Check("secrets", "age key", True, "secrets decrypted with the age key")]
    for check in CHECKS:
        result = check(config, target)
        out += result if isinstance(result, list) else [result]
    return out
