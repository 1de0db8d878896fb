"""The least-privilege IAM policy the identity running sesame (Terraform) needs.

Narrower than seed guide 000's `ses:*`: SES actions only on this configuration's
identities and configuration sets, IAM only on users under /ses/ and the roles `role`
senders name, SNS only on sesame's topics, CloudWatch only on sesame's alarms. Actions
that have no resource-level permissions in IAM get "*" (ListEmailIdentities, GetAccount,
ListSuppressedDestinations, GetCallerIdentity, DescribeAlarms, GetMetricStatistics).
`tests/checks/test_admin_policy.py` checks it covers every call a real apply, status, plan
and destroy make in the sandbox.

`read_only_policy` is the same inventory cut to Get/List/Describe: what a pull request's
plan (docs/gitops.md, the plan-only credential set) needs, and nothing that changes a thing.

`held_in_state` and `with_held` widen a policy by what the state still holds: a domain or a
role sender removed from the configuration keeps its grants until the apply that destroys
it has run (docs/iam.md).

`fitted` keeps the document within IAM's size quota for a managed policy: the per-domain
ARN lists (two per domain) pass 6,144 characters at about 25 domains, and then the SES
statements name every identity and configuration set of the account and Region instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sesame.config import Config
from sesame.names import SENDER_PATH, configuration_set_name

SES_IDENTITY = [
    "ses:CreateEmailIdentity",
    "ses:GetEmailIdentity",
    "ses:DeleteEmailIdentity",
    "ses:PutEmailIdentityConfigurationSetAttributes",
    "ses:PutEmailIdentityDkimSigningAttributes",
    "ses:PutEmailIdentityDkimAttributes",
    "ses:PutEmailIdentityMailFromAttributes",
    "ses:TagResource",
    "ses:UntagResource",
    "ses:ListTagsForResource",
]
SES_CONFIGURATION_SET = [
    "ses:CreateConfigurationSet",
    "ses:GetConfigurationSet",
    "ses:DeleteConfigurationSet",
    "ses:PutConfigurationSetDeliveryOptions",
    "ses:PutConfigurationSetReputationOptions",
    "ses:PutConfigurationSetSendingOptions",
    "ses:PutConfigurationSetSuppressionOptions",
    "ses:PutConfigurationSetTrackingOptions",
    "ses:PutConfigurationSetVdmOptions",
    "ses:CreateConfigurationSetEventDestination",
    "ses:GetConfigurationSetEventDestinations",
    "ses:UpdateConfigurationSetEventDestination",
    "ses:DeleteConfigurationSetEventDestination",
    "ses:TagResource",
    "ses:UntagResource",
    "ses:ListTagsForResource",
]
IAM_USERS = [
    "iam:CreateUser",
    "iam:GetUser",
    "iam:DeleteUser",
    "iam:TagUser",
    "iam:UntagUser",
    "iam:ListUserTags",
    "iam:CreateAccessKey",
    "iam:ListAccessKeys",
    "iam:DeleteAccessKey",
    "iam:UpdateAccessKey",
    "iam:PutUserPolicy",
    "iam:GetUserPolicy",
    "iam:DeleteUserPolicy",
    "iam:ListUserPolicies",
    "iam:ListAttachedUserPolicies",
    "iam:ListGroupsForUser",
]
# The preflight (tf/adoption.py): is a user a new sender would get already there, under any
# path? IAM judges GetUser of a user that does not exist on `user/<name>`, outside /ses/
# (found when the sandbox began enforcing this policy).
IAM_PREFLIGHT = ["iam:GetUser"]
IAM_ROLES = ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"]
SNS_TOPICS = [
    "sns:CreateTopic",
    "sns:GetTopicAttributes",
    "sns:SetTopicAttributes",
    "sns:DeleteTopic",
    "sns:TagResource",
    "sns:UntagResource",
    "sns:ListTagsForResource",
    "sns:Subscribe",
    "sns:Unsubscribe",
    "sns:GetSubscriptionAttributes",
    "sns:SetSubscriptionAttributes",
    "sns:ListSubscriptionsByTopic",
]
CLOUDWATCH_ALARMS = [
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DeleteAlarms",
    "cloudwatch:TagResource",
    "cloudwatch:UntagResource",
    "cloudwatch:ListTagsForResource",
]
# Write-only on purpose: no Get*, so the read-only (plan) policy never reads credentials.
SSM_PARAMETERS = ["ssm:PutParameter", "ssm:DeleteParameters"]
SECRETS = [
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:DeleteSecret",
]
UNSCOPED = [
    "ses:ListEmailIdentities",
    "ses:GetAccount",
    "ses:PutAccountDetails",  # `sesame account request-production`
    "sts:GetCallerIdentity",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetMetricStatistics",  # `sesame status`: the reputation rates
    "ses:ListSuppressedDestinations",  # `sesame status`: the suppression list's size
    "sns:ListTopics",  # the preflight: is a topic sesame would create already there?
]


READ_VERBS = ("Get", "List", "Describe")

# IAM's quota for a customer managed policy document: 6,144 characters, white space not
# counted (IAM User Guide, "IAM and AWS STS quotas"; a user's inline policies share 2,048,
# a role's 10,240). sesame's policy is meant to be a managed policy on the operator.
MANAGED_POLICY_SIZE = 6144
# The statements that name one ARN per domain, and the resource each names instead when the
# document is over the quota: every such SES resource of the account and Region. Nothing
# else is widened: `iam:PutRolePolicy` on every role would let the operator grant itself
# anything, so the role senders' statement keeps its names.
PER_DOMAIN = {"SesIdentities": "identity/*", "SesConfigurationSets": "configuration-set/*"}


def size(document: dict[str, Any]) -> int:
    """A policy's size as IAM counts it: its JSON's characters, white space not counted."""
    return len("".join(json.dumps(document).split()))


def fitted(document: dict[str, Any], limit: int = MANAGED_POLICY_SIZE) -> dict[str, Any]:
    """`document` when it fits `limit`; else with each `PER_DOMAIN` statement's ARN list
    replaced by the account-and-Region wildcard (taken from its first ARN,
    `arn:aws:ses:<region>:<account>:identity/*`). It can still be over `limit` (many role
    senders or export paths): `sesame admin-policy` says so, it does not cut further."""
    if size(document) <= limit:
        return document
    statements = []
    for st in document["Statement"]:
        tail = PER_DOMAIN.get(st.get("Sid"))
        arns = [st["Resource"]] if isinstance(st.get("Resource"), str) else st.get("Resource")
        if tail and arns:
            st = {**st, "Resource": [f"{arns[0].rsplit(':', 1)[0]}:{tail}"]}
        statements.append(st)
    return {**document, "Statement": statements}


def wildcarded(document: dict[str, Any]) -> list[str]:
    """The `PER_DOMAIN` statement IDs that `fitted` widened to the account and Region."""
    return [
        st["Sid"]
        for st in document["Statement"]
        if st.get("Sid") in PER_DOMAIN
        and any(str(r).endswith(":" + PER_DOMAIN[st["Sid"]]) for r in st.get("Resource") or [])
    ]


def is_read(action: str) -> bool:
    """ses:GetAccount yes, ses:PutEmailIdentityDkimAttributes no (IAM's access levels)."""
    return action.split(":", 1)[1].startswith(READ_VERBS)


def policy(
    config: Config,
    account_id: str,
    partition: str = "aws",
    held: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The operator's policy for `config`; `held` (from `held_in_state`) widens it by what
    the state still holds. Within IAM's managed-policy quota where it can be (`fitted`)."""
    region = config.region
    ses = f"arn:{partition}:ses:{region}:{account_id}"
    roles = sorted({s.role for _, s in config.senders().values() if s.role})
    statements: list[dict[str, Any]] = [
        {
            "Sid": "SesIdentities",
            "Effect": "Allow",
            "Action": SES_IDENTITY,
            "Resource": [f"{ses}:identity/{d}" for d in config.domains],
        },
        {
            "Sid": "SesConfigurationSets",
            "Effect": "Allow",
            "Action": SES_CONFIGURATION_SET,
            "Resource": [
                f"{ses}:configuration-set/{configuration_set_name(d)}" for d in config.domains
            ],
        },
        {
            "Sid": "SenderUsers",
            "Effect": "Allow",
            "Action": IAM_USERS,
            "Resource": [f"arn:{partition}:iam::{account_id}:user{SENDER_PATH}*"],
        },
        {
            "Sid": "SenderUserPreflight",
            "Effect": "Allow",
            "Action": IAM_PREFLIGHT,
            "Resource": [f"arn:{partition}:iam::{account_id}:user/*"],
        },
        {
            "Sid": "Topics",
            "Effect": "Allow",
            "Action": SNS_TOPICS,
            "Resource": [f"arn:{partition}:sns:{region}:{account_id}:ses-*"],
        },
        {
            "Sid": "Alarms",
            "Effect": "Allow",
            "Action": CLOUDWATCH_ALARMS,
            "Resource": [f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:ses-*"],
        },
        {"Sid": "NoResourceLevel", "Effect": "Allow", "Action": UNSCOPED, "Resource": "*"},
    ]
    stores = sorted(
        {s.export.parameter_store for _, s in config.senders().values() if s.export} - {None}
    )
    if stores:
        statements.append(
            {
                "Sid": "CredentialDelivery",
                "Effect": "Allow",
                "Action": SSM_PARAMETERS,
                "Resource": [
                    arn
                    for path in stores
                    for arn in (
                        f"arn:{partition}:ssm:{region}:{account_id}:parameter{path}",
                        f"arn:{partition}:ssm:{region}:{account_id}:parameter{path}/*",
                    )
                ],
            }
        )
    secrets = sorted(
        {s.export.secrets_manager for _, s in config.senders().values() if s.export} - {None}
    )
    if secrets:
        # A secret's ARN ends in "-" and six random characters (Secrets Manager User Guide,
        # "Secret ARN"; `??????` matches exactly those, so NAME-other is not matched).
        arn = f"arn:{partition}:secretsmanager:{region}:{account_id}:secret:"
        statements.append(
            {
                "Sid": "SecretsManagerDelivery",
                "Effect": "Allow",
                "Action": SECRETS,
                "Resource": [
                    f"{arn}{name}{tail}-??????" for name in secrets for tail in ("", "/previous")
                ],
            }
        )
    if roles:
        statements.insert(
            4,
            {
                "Sid": "SenderRoles",
                "Effect": "Allow",
                "Action": IAM_ROLES,
                "Resource": [f"arn:{partition}:iam::{account_id}:role/{r}" for r in roles],
            },
        )
    return fitted(with_held({"Version": "2012-10-17", "Statement": statements}, held or {}))


def read_only_policy(
    config: Config,
    account_id: str,
    partition: str = "aws",
    held: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """`policy` with only its reading actions, on the same resources; and the one call
    `sesame doctor --read-only` makes to prove the rest is denied: IAM's simulation of this
    principal's own policies (it reads policies, changes nothing)."""
    statements = []
    for st in policy(config, account_id, partition, held)["Statement"]:
        actions = [a for a in st["Action"] if is_read(a)]
        if actions:
            statements.append({**st, "Action": actions})
    user = f"arn:{partition}:iam::{account_id}:user"
    statements.append(
        {
            "Sid": "DoctorSelfCheck",
            "Effect": "Allow",
            "Action": ["iam:SimulatePrincipalPolicy"],
            "Resource": [f"{user}/${{aws:username}}", f"{user}/*/${{aws:username}}"],
        }
    )
    return {"Version": "2012-10-17", "Statement": statements}


# Managed resources in module.aws (`this` of each type) whose names the policy scopes by:
# type -> (the statement that grants on them, the attribute that names them).
HELD = {
    "aws_sesv2_email_identity": ("SesIdentities", "arn"),
    "aws_sesv2_configuration_set": ("SesConfigurationSets", "arn"),
    "aws_iam_role_policy": ("SenderRoles", "role"),
}


def held_in_state(
    instances: Iterable[tuple[str, dict[str, Any]]], account_id: str, partition: str = "aws"
) -> dict[str, list[str]]:
    """Statement ID -> ARNs, from (resource type, attributes) pairs of the `HELD` types read
    from state (resources, not outputs: an interrupted apply's objects are there too)."""
    held: dict[str, list[str]] = {}
    for type_, attributes in instances:
        sid, attribute = HELD[type_]
        value = str(attributes.get(attribute) or "")
        if attribute == "role" and value:
            value = f"arn:{partition}:iam::{account_id}:role/{value}"
        if value and value not in held.setdefault(sid, []):
            held[sid].append(value)
    return held


def with_held(document: dict[str, Any], held: dict[str, list[str]]) -> dict[str, Any]:
    """`document` with each statement's held ARNs added after its own (order kept, nothing
    twice); a statement the configuration no longer needs (the last role sender removed)
    comes back with the held ARNs only."""
    statements = [dict(st) for st in document["Statement"]]
    by_sid = {st.get("Sid"): st for st in statements}
    for sid, arns in held.items():
        st = by_sid.get(sid)
        if st is None:
            template = _TEMPLATES.get(sid)
            if template is None:
                continue
            st = {"Sid": sid, "Effect": "Allow", "Action": template, "Resource": []}
            statements.append(st)
        now = [st["Resource"]] if isinstance(st["Resource"], str) else list(st["Resource"])
        extra = [a for a in arns if a not in now]
        if extra:
            st["Resource"] = now + extra
    return {**document, "Statement": statements}


_TEMPLATES = {
    "SesIdentities": SES_IDENTITY,
    "SesConfigurationSets": SES_CONFIGURATION_SET,
    "SenderRoles": IAM_ROLES,
}
