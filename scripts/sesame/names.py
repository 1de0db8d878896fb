"""Names sesame derives, each decided once: the Python here and terraform/aws agree on
them (tests/test_names.py evaluates the module's expression with terraform)."""

from __future__ import annotations

import hashlib
import json


def configuration_set_name(domain: str) -> str:
    """The module's naming rule (terraform/aws: slug, hashed past 64 characters)."""
    slug = domain.replace(".", "-")
    return (
        slug if len(slug) <= 64 else f"{slug[:55]}-{hashlib.sha1(domain.encode()).hexdigest()[:8]}"
    )


# The IAM path of every sender user terraform/aws makes (its `iam_path` default; the root
# does not set it). `sesame admin-policy` scopes the user actions to it.
SENDER_PATH = "/ses/"


def from_address(patterns: list[str]) -> str | None:
    """The first literal address a sender may send as (None: every entry is a pattern)."""
    return next((a for a in patterns if "*" not in a and "?" not in a), None)


# IAM's quotas for inline policies, characters with white space not counted (IAM User Guide,
# "IAM and AWS STS quotas"): a user's together 2,048, a role's together 10,240.
SENDER_POLICY_QUOTA = {"smtp": 2048, "api": 2048, "role": 10240}


def partition(region: str) -> str:
    """The ARN partition of a Region: aws-cn (China), aws-us-gov (GovCloud), else aws."""
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def sender_policy_size(region: str, domain: str, kind: str, from_: list[str]) -> int:
    """IAM's count of the inline policy terraform/aws gives a sender
    (`data.aws_iam_policy_document.sender`), one-element lists counted as lists: at most 2
    characters over per list the provider writes as a bare string.
    tests/commands/test_apply.py ties it to the document IAM holds after an apply."""
    arn = f"arn:{partition(region)}:ses:{region}:{'0' * 12}"
    actions = ["ses:SendRawEmail"] if kind == "smtp" else ["ses:SendEmail", "ses:SendRawEmail"]
    statement = {
        "Sid": "SendAsDomainOnly",
        "Effect": "Allow",
        "Action": actions,
        "Resource": [
            f"{arn}:identity/{domain}",
            f"{arn}:identity/*@{domain}",
            f"{arn}:configuration-set/{configuration_set_name(domain)}",
        ],
        "Condition": {"StringLike": {"ses:FromAddress": from_}},
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))
