"""What the configuration presumes exists before sesame runs: the state bucket, the senders'
roles, the Cloudflare zones, records a zone owner already had, and the principals sesame
runs as (the operator and the plan-only user, each holding exactly its policy)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from sesame.checks import admin_policy
from sesame.config import Config
from sesame.sandbox.cloudflare.models import ApiToken, CloudflareBackend

# Records a zone owner already had: every sandbox run exercises the SPF merge and the
# promise to leave neighbours alone (seeded into the first zone the sandbox creates).
PRE_EXISTING = (
    {
        "type": "TXT",
        "content": '"v=spf1 include:_spf.google.com ~all"',
        "comment": "Google Workspace",
    },
    {"type": "A", "content": "192.0.2.10", "comment": "website"},
)
ROLE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def state_bucket(s3: Any, bucket: str) -> None:
    if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=bucket)


# Cloudflare's names (developers.cloudflare.com/r2/api/tokens/, "Create API tokens via API"):
# the resource of one bucket, and the permission group of "Object Read & Write" on buckets.
BUCKET_RESOURCE = "com.cloudflare.edge.r2.bucket.{account}_{jurisdiction}_{bucket}"
R2_OBJECT_WRITE = {
    "id": "2efd5506f9c8494dacb1fa10a3e7d5b6",
    "name": "Workers R2 Storage Bucket Item Write",
}


def r2_token(config: Config, cloudflare: CloudflareBackend, r2_key_id: str, reader: str) -> None:
    """The R2 API token whose S3 keys secrets.yaml holds: Object Read & Write on the state
    bucket only, an account token that `reader` (the sandbox's Cloudflare token) may read."""
    account = config.backend.account_id
    bucket = BUCKET_RESOURCE.format(
        account=account, jurisdiction="default", bucket=config.backend.bucket
    )
    policy = {
        "id": "f267e341f3dd4697bd3b9f71dd96247f",
        "effect": "allow",
        "permission_groups": [R2_OBJECT_WRITE],
        "resources": {bucket: "*"},
    }
    token = ApiToken(r2_key_id, "sesame state (sandbox)", [policy], account_id=account)
    cloudflare.add_api_token(token, readers={reader: account})


def roles(iam: Any, config: Config) -> None:
    for _, sender in config.senders().values():
        if sender.role:
            with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
                iam.create_role(
                    RoleName=sender.role, AssumeRolePolicyDocument=json.dumps(ROLE_TRUST)
                )


# The principals sesame's commands run as in the sandbox. Not under /ses/: the admin policy
# manages users there, and the operator must not be able to change itself.
PRINCIPAL_PATH = "/sesame/"
OPERATOR = "sesame-operator"  # plan, apply, destroy: `sesame admin-policy`
PLANNER = "sesame-plan"  # pull-request plans: `sesame admin-policy --read-only`


def widened(held: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
    """`policy` with the resources `held` granted under the same statement IDs added, and
    `held`'s other statements kept: what an operator holds while a removal is applied.

    `sesame admin-policy` is scoped to the configured domains and senders; removing one
    still needs its Get/Delete actions until the apply that removes it has run (docs/iam.md),
    so the operator keeps the previous grant beside the new one (admin_policy.with_held,
    which `sesame admin-policy` uses for what the state still holds)."""
    actions = {st.get("Sid"): st.get("Action") for st in policy["Statement"]}
    grants: dict[str, list[str]] = {}
    kept = []
    for st in held.get("Statement", []):
        sid = st.get("Sid")
        if sid not in actions:
            kept.append(st)
        elif st.get("Action") == actions[sid]:
            value = st.get("Resource", [])
            grants[sid] = [value] if isinstance(value, str) else list(value)
    merged = admin_policy.with_held(policy, grants)
    return admin_policy.fitted({**merged, "Statement": merged["Statement"] + kept})


def _attached(iam: Any, name: str) -> str | None:
    """The ARN of the managed policy `principal` attached to user `name`, if any."""
    for got in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
        if got["PolicyName"] == name:
            return str(got["PolicyArn"])
    return None


def _held(iam: Any, arn: str | None) -> dict[str, Any]:
    """The default version of managed policy `arn` ({} for none)."""
    if arn is None:
        return {}
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    got = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return json.loads(got) if isinstance(got, str) else got


def _hold(
    iam: Any, name: str, policy: dict[str, Any], arn: str | None, held: dict[str, Any]
) -> None:
    """User `name` holds `policy` as its one managed policy (`/sesame/<name>`), nothing else:
    a new default version when it changed, older versions deleted (IAM keeps at most 5).
    `arn`, `held`: the managed policy it has attached now and that policy's document."""
    for inline in iam.list_user_policies(UserName=name)["PolicyNames"]:  # worlds saved before
        iam.delete_user_policy(UserName=name, PolicyName=inline)
    document = json.dumps(policy)
    if arn is None:
        try:
            arn = iam.create_policy(PolicyName=name, Path=PRINCIPAL_PATH, PolicyDocument=document)[
                "Policy"
            ]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:  # created, not yet attached
            account = iam.get_user(UserName=name)["User"]["Arn"].split(":")[4]
            arn = f"arn:aws:iam::{account}:policy{PRINCIPAL_PATH}{name}"
            _new_version(iam, arn, document)
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    elif held != policy:
        _new_version(iam, arn, document)


def _new_version(iam: Any, arn: str, document: str) -> None:
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document, SetAsDefault=True)


def principal(
    iam: Any, name: str, policy: dict[str, Any], *, keep_previous: bool = False
) -> tuple[str, str]:
    """An IAM user holding exactly `policy` (one customer managed policy, as docs/iam.md
    tells operators to attach `sesame admin-policy`, so IAM's 6,144-character quota applies,
    not a user's inline 2,048; with `keep_previous`, widened by what it held before:
    `widened`) and a fresh access key (its older keys are deleted): (access key ID, secret)."""
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_user(UserName=name, Path=PRINCIPAL_PATH)
    arn = _attached(iam, name)
    held = _held(iam, arn)  # one read of what it holds, for widening and for the comparison
    if keep_previous:
        policy = widened(held, policy)
    _hold(iam, name, policy, arn, held)
    for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    created = iam.create_access_key(UserName=name)["AccessKey"]
    return created["AccessKeyId"], created["SecretAccessKey"]


def zones(config: Config, cloudflare: CloudflareBackend, account: str) -> None:
    for domain in config.cloudflare_domains():
        name = config.zone_of(domain)
        if cloudflare.zone_by_name(name) is not None:
            continue
        first = not cloudflare.zones(account)
        zone = cloudflare.create_zone(account, name)
        if first:
            for record in PRE_EXISTING:
                body = {"name": name, "ttl": 3600, "proxied": False, **record}
                cloudflare.create_dns_record(account, zone["id"], body)
