"""What the configuration presumes exists before sesame runs: the state bucket, the senders'
roles, the Cloudflare zones, records a zone owner already had, and the principals sesame
runs as (the operator and the plan-only user, each holding exactly its policy)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from sesame.config import Config
from sesame.sandbox.cloudflare import CloudflareBackend

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
POLICY_NAME = "sesame"


def principal(iam: Any, name: str, policy: dict[str, Any]) -> tuple[str, str]:
    """An IAM user holding exactly `policy` (its one inline policy, replaced each run) and
    a fresh access key (its older keys are deleted): (access key ID, secret)."""
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_user(UserName=name, Path=PRINCIPAL_PATH)
    for held in iam.list_user_policies(UserName=name)["PolicyNames"]:
        if held != POLICY_NAME:
            iam.delete_user_policy(UserName=name, PolicyName=held)
    iam.put_user_policy(UserName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy))
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
