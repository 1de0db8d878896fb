"""Before apply (seed guide 000's "Verify Permissions"): can every credential do its job?

Each check is one line: ok, or what is wrong and the fix. Read-only, except probes that are
created and deleted again: a TXT record (can the Cloudflare token edit DNS?) and, for the
plan-only set, an object in the state bucket (can the R2 key write?).

One family of checks serves both credential sets; the set decides what a probe must show.
The apply set (`sesame doctor`) must be able to do its job; the plan-only set
(`doctor --read-only`, docs/gitops.md) must be able to read and nothing more: IAM's
simulation, the R2 write probe and the DNS probe show it cannot change anything.
"""

from __future__ import annotations

import secrets as pyrandom
import traceback
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class CredentialSet:
    """How doctor names one credential set in its lines, and what its tokens should grant."""

    r2_key: str  # the R2 key as a line names it
    cf_token: str  # the Cloudflare token as a line names it
    dns_grant: str  # the DNS permission its Cloudflare token should have


APPLY_SET = CredentialSet("R2_ACCESS_KEY_ID", "CLOUDFLARE_API_TOKEN", "DNS:Edit")
PLAN_SET = CredentialSet("the plan-only R2 key", "the plan-only token", "DNS:Read")


def credential_set(target: Target) -> CredentialSet:
    return PLAN_SET if target.read_only else APPLY_SET


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", "error")
    return type(exc).__name__


def _answer(call: Callable[[], Any]) -> tuple[Any, str | None]:
    """(the call's answer, None), or (None, the code it was refused with). An endpoint that
    cannot be reached is no refusal: it is raised for `credential_checks` to report."""
    try:
        return call(), None
    except (ClientError, BotoCoreError) as exc:
        if unreachable(exc):
            raise
        return None, _code(exc)


# -- AWS ---------------------------------------------------------------------------------


def aws_identity(config: Config, target: Target) -> Check:
    who, refused = _answer(aws.client("sts", config.region, target).get_caller_identity)
    if refused is not None:
        source = (
            "AWS_* in secrets.yaml"
            if target.secrets.get("AWS_ACCESS_KEY_ID")
            else "the instance role"
        )
        return Check(
            "aws",
            "identity",
            False,
            f"STS refused the credentials ({refused})",
            f"credentials from {source} are invalid",
            "put valid AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in secrets.yaml",
        )
    return Check("aws", "identity", True, f"credentials belong to {who['Arn']}")


def aws_permissions(config: Config, target: Target) -> Check:
    """The apply set: SES answers in the region. The plan-only set: IAM denies it every
    changing action sesame's apply uses."""
    return _aws_cannot_write(config, target) if target.read_only else _ses_account(config, target)


def _ses_account(config: Config, target: Target) -> Check:
    got, refused = _answer(aws.client("sesv2", config.region, target).get_account)
    if refused is not None:
        return Check(
            "aws",
            "ses",
            False,
            f"SES in {config.region} refused ({refused})",
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


def _caller_principal(arn: str) -> str:
    """STS's caller ARN as IAM knows the principal (an assumed role -> its role)."""
    if ":assumed-role/" in arn:
        head, rest = arn.split(":assumed-role/", 1)
        return head.replace(":sts:", ":iam:") + ":role/" + rest.split("/", 1)[0]
    return arn


def _aws_cannot_write(config: Config, target: Target) -> Check:
    """IAM's own policy simulation: every changing action sesame's apply needs, on the same
    resources, must be denied to the plan-only principal."""
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
            "attach only the policy `sesame admin-policy --read-only` prints",
        )
    return Check("aws", "read-only", True, "IAM denies it every changing action sesame uses")


# -- R2 (the state bucket) ---------------------------------------------------------------


def _head_bucket(config: Config, target: Target, key_id: str, secret: str) -> str | None:
    s3 = aws.r2_client(target, key_id, secret, attempts=1)
    return _answer(lambda: s3.head_bucket(Bucket=config.backend.bucket))[1]


def r2_bucket(config: Config, target: Target) -> list[Check]:
    """Both sets reach the state bucket with R2's keys. The apply set's AWS keys must not
    (key separation); the plan-only set's R2 key must not write to it (probed only once
    the bucket answers)."""
    s, words, bucket = target.secrets, credential_set(target), config.backend.bucket
    err = _head_bucket(config, target, s.get("R2_ACCESS_KEY_ID"), s.get("R2_SECRET_ACCESS_KEY"))
    if err is None:
        out = [Check("r2", "state bucket", True, f"{bucket} reachable with R2's keys")]
    else:
        swapped = s.get("R2_ACCESS_KEY_ID").startswith(("AKIA", "ASIA"))
        cause = "R2 and AWS keys look swapped" if swapped else "R2 keys invalid or bucket missing"
        fix = "R2_* must be an R2 API token's keys for this bucket (R2 > Manage API tokens)"
        if target.read_only:
            cause = "R2 token invalid, or without Object Read on the bucket"
            fix = "make an R2 API token with Object Read only on the state bucket"
        refused = f"{bucket} refused {words.r2_key} ({err})"
        out = [Check("r2", "state bucket", False, refused, cause, fix)]
    if target.read_only and err is None:
        out.append(_r2_cannot_write(config, target))
    elif not target.read_only and s.get("AWS_ACCESS_KEY_ID"):
        out.append(_r2_key_separation(config, target))
    return out


def _r2_key_separation(config: Config, target: Target) -> Check:
    s = target.secrets
    err = _head_bucket(config, target, s.get("AWS_ACCESS_KEY_ID"), s.get("AWS_SECRET_ACCESS_KEY"))
    if err is not None:
        return Check("r2", "key separation", True, f"AWS's keys cannot reach R2 ({err})")
    return Check(
        "r2",
        "key separation",
        False,
        "the state bucket accepts AWS_ACCESS_KEY_ID",
        "R2 and AWS keys swapped or identical",
        "give R2_* and AWS_* their own keys",
    )


def _r2_cannot_write(config: Config, target: Target) -> Check:
    s3 = aws.r2_client(target, attempts=1)
    probe = f"sesame-doctor-probe/{pyrandom.token_hex(8)}"
    try:
        s3.put_object(Bucket=config.backend.bucket, Key=probe, Body=b"")
    except (ClientError, BotoCoreError) as exc:
        return Check("r2", "read-only", True, f"the state bucket refuses a write ({_code(exc)})")
    s3.delete_object(Bucket=config.backend.bucket, Key=probe)
    return Check(
        "r2",
        "read-only",
        False,
        "the plan-only R2 key can write to the state bucket (probe written and deleted)",
        "an R2 token with Object Read & Write",
        "make an R2 API token with Object Read only",
    )


# -- Cloudflare --------------------------------------------------------------------------


def _edit_refused(cf: cloudflare.Cloudflare, zone_id: str, zone_name: str) -> int | None:
    """Create a probe TXT record and delete it again: None if the token could, else the
    HTTP status Cloudflare refused the create with."""
    try:
        made = cf.dns.records.create(
            zone_id=zone_id,
            name=f"_sesame-doctor-{pyrandom.token_hex(4)}.{zone_name}",
            type="TXT",
            content='"sesame doctor probe"',
            ttl=60,
            comment="sesame doctor probe (deleted at once)",
        )
    except cloudflare.APIStatusError as exc:
        return exc.status_code
    cf.dns.records.delete(made.id, zone_id=zone_id)
    return None


def _zone_edit(zone_name: str, refused: int | None, read_only: bool) -> Check:
    """The DNS probe's result judged for the set: the apply set must edit, the plan-only
    set must not."""
    if read_only and refused is not None:
        return Check(
            "cloudflare", zone_name, True, f"token reads the zone and cannot edit DNS ({refused})"
        )
    if read_only:
        return Check(
            "cloudflare",
            zone_name,
            False,
            "the plan-only token can edit DNS (probe record made and deleted)",
            "token has DNS:Edit",
            "create a token with Zone:Read and DNS:Read only",
        )
    if refused is not None:
        return Check(
            "cloudflare",
            zone_name,
            False,
            f"can read but not edit DNS ({refused})",
            "token lacks DNS:Edit",
            "grant Zone.DNS:Edit on the zone",
        )
    return Check("cloudflare", zone_name, True, "token can read the zone and edit DNS")


def cloudflare_zones(config: Config, target: Target) -> list[Check]:
    """Each zone sesame writes is visible to the token, and a probe shows whether it can
    edit DNS (the apply set must, the plan-only set must not)."""
    domains = config.cloudflare_domains()
    if not domains:
        return [Check("cloudflare", "token", True, "no domain uses Cloudflare (all dns: manual)")]
    words = credential_set(target)
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
    for zone_name in sorted({config.zone_of(d) for d in domains}):
        try:
            found = cf.zones.list(name=zone_name).result
        except (cloudflare.AuthenticationError, cloudflare.PermissionDeniedError) as exc:
            return [
                Check(
                    "cloudflare",
                    "token",
                    False,
                    f"Cloudflare refused {words.cf_token} ({exc.status_code})",
                    "token invalid, expired or for another account",
                    f"create a token with Zone:Read and {words.dns_grant} on your zones",
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
                    f"add the zone to the token (Zone:Read, {words.dns_grant}), or set dns: manual",
                )
            )
            continue
        refused = _edit_refused(cf, found[0].id, zone_name)
        out.append(_zone_edit(zone_name, refused, target.read_only))
    return out


# -- the family ----------------------------------------------------------------------------

CHECKS: tuple[Callable[[Config, Target], Check | list[Check]], ...] = (
    aws_identity,
    aws_permissions,
    r2_bucket,
    r2_token_scope,
    cloudflare_zones,
)

# Checks of the apply set only: the plan-only Cloudflare token may lack Account API Tokens
# Read, which reading the R2 token's policies needs.
APPLY_ONLY: frozenset[Callable[..., Any]] = frozenset({r2_token_scope})

# Which service each check talks to, for the line a check that could not finish prints
# (apply set's name, plan-only set's name).
_SERVICE: dict[Callable[..., Any], tuple[str, str, str]] = {
    aws_identity: ("aws", "identity", "identity"),
    aws_permissions: ("aws", "ses", "read-only"),
    r2_bucket: ("r2", "state bucket", "state bucket"),
    r2_token_scope: ("r2", "token scope", ""),
    cloudflare_zones: ("cloudflare", "token", "token"),
}


def _could_not_run(check: Callable[..., Any], exc: Exception, read_only: bool) -> Check:
    """A check that raised: one FAIL line with its cause; the other checks still run."""
    service, apply_name, plan_name = _SERVICE.get(check, ("doctor", check.__name__, ""))
    name = plan_name if read_only and plan_name else apply_name
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
    """Every check, for the set `target` holds (`target.read_only`: the plan-only set)."""
    out: list[Check] = [Check("secrets", "age key", True, "secrets decrypted with the age key")]
    for check in CHECKS:
        if target.read_only and check in APPLY_ONLY:
            continue
        try:
            result = check(config, target)
        except Exception as exc:  # one check's failure never hides the others' results
            if debug_enabled():
                traceback.print_exc()
            result = _could_not_run(check, exc, target.read_only)
        out += result if isinstance(result, list) else [result]
    return out
