"""Before apply (seed guide 000's "Verify Permissions"): can every credential do its job?

Each check is one line: ok, or what is wrong and the fix. Read-only, except a probe TXT
record that is created and deleted again to prove the Cloudflare token can edit DNS.
`doctor --read-only` checks the plan-only set instead (docs/gitops.md): it can read, and
IAM's simulation, an R2 write probe and a DNS probe show it cannot change anything.
"""

from __future__ import annotations

import secrets as pyrandom
import traceback
from collections.abc import Callable
from typing import Any

import cloudflare
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from sesame import aws
from sesame.checks import admin_policy
from sesame.checks.check import Check
from sesame.checks.r2_scope import r2_token_scope
from sesame.config import Config
from sesame.dns import zones
from sesame.error_handler import debug_enabled
from sesame.errors import FatalError, unreachable
from sesame.target import Target


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", "error")
    return type(exc).__name__


def aws_identity(config: Config, target: Target) -> Check:
    try:
        who = aws.client("sts", config.region, target).get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        if unreachable(exc):
            raise  # not a refusal: run() reports it as unreachable
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
        if unreachable(exc):
            raise  # not a refusal: run() reports it as unreachable
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
        if unreachable(exc):
            raise  # not a refusal: run() reports it as unreachable
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
        return [
            Check(
                "cloudflare",
                "token",
                False,
                str(exc),
                "token missing",
                "run `make secrets` and set it",
            )
        ]
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
    r2_token_scope,
    cloudflare_zones,
)


# Which service each check talks to, for the line a check that could not finish prints.
_SERVICE = {
    aws_identity: ("aws", "identity"),
    ses_account: ("aws", "ses"),
    r2_bucket: ("r2", "state bucket"),
    r2_token_scope: ("r2", "token scope"),
    cloudflare_zones: ("cloudflare", "token"),
}


def _could_not_run(check: Callable[[Config, Target], Any], exc: Exception) -> Check:
    """A check that raised: one FAIL line with its cause; the other checks still run."""
    service, name = _SERVICE.get(check, ("doctor", check.__name__))
    where = unreachable(exc)
    if where is not None:
        return Check(
            service,
            name,
            False,
            f"{where} from this machine",
            "network, DNS or proxy"
            + (" (or a wrong backend.account_id: it names the R2 host)" if service == "r2" else ""),
            "check this machine's network, then run `sesame doctor` again",
        )
    detail = " ".join(str(exc).split())[:160]
    return Check(
        service,
        name,
        False,
        f"the check could not finish ({type(exc).__name__}: {detail})",
        "unexpected",
        "rerun with --debug for the traceback",
    )


def credential_checks(config: Config, target: Target) -> list[Check]:
    """The apply set's checks; the plan-only set's (`target.read_only`): read, never write."""
    out: list[Check] = [Check("secrets", "age key", True, "secrets decrypted with the age key")]
    for check in READ_ONLY_CHECKS if target.read_only else CHECKS:
        try:
            result = check(config, target)
        except Exception as exc:  # one check's failure never hides the others' results
            if debug_enabled():
                traceback.print_exc()
            result = _could_not_run(check, exc)
        out += result if isinstance(result, list) else [result]
    return out


# -- the plan-only set (`doctor --read-only`): it must be able to read, and nothing more ----


def _caller_principal(arn: str) -> str:
    """STS's caller ARN as IAM knows the principal (an assumed role -> its role)."""
    if ":assumed-role/" in arn:
        head, rest = arn.split(":assumed-role/", 1)
        return head.replace(":sts:", ":iam:") + ":role/" + rest.split("/", 1)[0]
    return arn


def aws_cannot_write(config: Config, target: Target) -> Check:
    """IAM's own policy simulation: every changing action sesame's apply needs, on the same
    resources, must be denied to the plan-only principal."""
    fix = "attach only the policy `sesame admin-policy --read-only` prints"
    try:
        who = aws.client("sts", config.region, target).get_caller_identity()
        iam = aws.client("iam", config.region, target)
        allowed: list[str] = []
        full = admin_policy.policy(config, who["Account"])
        for st in full["Statement"]:
            writes = [a for a in st["Action"] if not admin_policy.is_read(a)]
            if not writes:
                continue
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            got = iam.simulate_principal_policy(
                PolicySourceArn=_caller_principal(who["Arn"]),
                ActionNames=writes,
                ResourceArns=resources,
            )
            allowed += [
                r["EvalActionName"]
                for r in got["EvaluationResults"]
                if r["EvalDecision"] == "allowed"
            ]
    except (ClientError, BotoCoreError, ResponseParserError) as exc:
        # ResponseParserError: an endpoint without the API (moto answers 500 with HTML)
        return Check(
            "aws",
            "read-only",
            False,
            f"cannot check: iam:SimulatePrincipalPolicy refused ({_code(exc)})",
            "the principal may not simulate its own policy, or the endpoint lacks it",
            "allow the `DoctorSelfCheck` statement of `sesame admin-policy --read-only`",
        )
    if allowed:
        more = f" (and {len(allowed) - 3} more)" if len(allowed) > 3 else ""
        return Check(
            "aws",
            "read-only",
            False,
            f"the plan-only principal can {', '.join(sorted(set(allowed))[:3])}{more}",
            "it holds more than a plan needs",
            fix,
        )
    return Check("aws", "read-only", True, "IAM denies it every changing action sesame uses")


def r2_cannot_write(config: Config, target: Target) -> list[Check]:
    """The plan-only R2 token reads the state bucket and cannot write an object to it."""
    s = target.secrets
    err = _head_bucket(config, target, s.get("R2_ACCESS_KEY_ID"), s.get("R2_SECRET_ACCESS_KEY"))
    if err is not None:
        return [
            Check(
                "r2",
                "state bucket",
                False,
                f"{config.backend.bucket} refused the plan-only R2 key ({err})",
                "R2 token invalid, or without Object Read on the bucket",
                "make an R2 API token with Object Read only on the state bucket",
            )
        ]
    s3 = aws.r2_client(target, attempts=1)
    probe = f"sesame-doctor-probe/{pyrandom.token_hex(8)}"
    try:
        s3.put_object(Bucket=config.backend.bucket, Key=probe, Body=b"")
    except (ClientError, BotoCoreError) as exc:
        return [Check("r2", "read-only", True, f"the state bucket refuses a write ({_code(exc)})")]
    s3.delete_object(Bucket=config.backend.bucket, Key=probe)
    return [
        Check(
            "r2",
            "read-only",
            False,
            "the plan-only R2 key can write to the state bucket (probe written and deleted)",
            "an R2 token with Object Read & Write",
            "make an R2 API token with Object Read only",
        )
    ]


def cloudflare_cannot_edit(config: Config, target: Target) -> list[Check]:
    """The plan-only Cloudflare token sees each zone and cannot create a record in it."""
    domains = config.cloudflare_domains()
    if not domains:
        return [Check("cloudflare", "token", True, "no domain uses Cloudflare (all dns: manual)")]
    try:
        cf = zones.client(target)
    except FatalError as exc:
        return [Check("cloudflare", "token", False, str(exc), "token missing", "sops the file")]
    out = []
    for zone_name in sorted({config.zone_of(d) for d in domains}):
        try:
            found = cf.zones.list(name=zone_name).result
        except cloudflare.APIStatusError as exc:
            return [
                Check(
                    "cloudflare",
                    "token",
                    False,
                    f"Cloudflare refused the plan-only token ({exc.status_code})",
                    "token invalid or expired",
                    "create a token with Zone:Read and DNS:Read on your zones",
                )
            ]
        if len(found) != 1:
            out.append(
                Check(
                    "cloudflare",
                    zone_name,
                    False,
                    "zone not visible to the plan-only token",
                    "zone outside the token's scope",
                    "add the zone to the token (Zone:Read, DNS:Read)",
                )
            )
            continue
        try:
            made = cf.dns.records.create(
                zone_id=found[0].id,
                name=f"_sesame-doctor-{pyrandom.token_hex(4)}.{zone_name}",
                type="TXT",
                content='"sesame doctor probe"',
                ttl=60,
                comment="sesame doctor probe (deleted at once)",
            )
        except cloudflare.APIStatusError as exc:
            out.append(
                Check(
                    "cloudflare",
                    zone_name,
                    True,
                    f"token reads the zone and cannot edit DNS ({exc.status_code})",
                )
            )
            continue
        cf.dns.records.delete(made.id, zone_id=found[0].id)
        out.append(
            Check(
                "cloudflare",
                zone_name,
                False,
                "the plan-only token can edit DNS (probe record made and deleted)",
                "token has DNS:Edit",
                "create a token with Zone:Read and DNS:Read only",
            )
        )
    return out


READ_ONLY_CHECKS: tuple[Callable[[Config, Target], Any], ...] = (
    aws_identity,
    aws_cannot_write,
    r2_cannot_write,
    cloudflare_cannot_edit,
)
