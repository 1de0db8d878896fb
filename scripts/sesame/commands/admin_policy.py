from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sesame import aws, output, shards
from sesame.checks import admin_policy
from sesame.config import Config
from sesame.environments import open_target
from sesame.target import Target
from sesame.tf import state


def _state_configs(config: Config) -> list[Config]:
    """One configuration per state object: the shards' (global included), or the one."""
    if not shards.enabled(config):
        return [config]
    return [shards.view(config, shard) for shard in shards.names(config)]


def _held(config: Config, target: Target) -> Iterator[tuple[str, dict[str, Any]]]:
    for part in _state_configs(config):
        doc = state.document(part, target)
        for type_ in admin_policy.HELD:
            for attributes in state.instances(doc, "module.aws", type_, "this").values():
                yield type_, attributes


def admin_policy_cmd(
    config: Config, top: Path, env: str, account_id: str | None, read_only: bool = False
) -> int:
    """Print the IAM policy the identity running sesame needs for this configuration
    (`read_only`: the plan-only identity's, for pull-request plans), widened by what the
    state still holds (a removed domain or role sender, until the apply that destroys it).
    With `account_id` nothing is read: the configuration's policy only."""
    held: dict[str, list[str]] = {}
    if account_id is None:
        with open_target(env, config, top) as target:
            who = aws.client("sts", config.region, target).get_caller_identity()
            account_id = str(who["Account"])
            held = admin_policy.held_in_state(_held(config, target), account_id)
    make = admin_policy.read_only_policy if read_only else admin_policy.policy
    document = make(config, account_id, held=held)
    _say_fit(document, len(config.domains))
    output.write_line(json.dumps(document, indent=2))
    return 0


def _say_fit(document: dict[str, Any], domains: int) -> None:
    """One line on stderr when the policy had to be widened to fit IAM's quota, and one
    when even that is over it (IAM would refuse it: CreatePolicy's LimitExceeded)."""
    quota = admin_policy.MANAGED_POLICY_SIZE
    widened = admin_policy.wildcarded(document)
    if widened:
        output.status(
            f"admin-policy: {domains} domains' ARNs would pass IAM's {quota:,}"
            f"-character quota for a managed policy, so {' and '.join(widened)} grant on every "
            "SES identity and configuration set of this account and Region (docs/iam.md)"
        )
    got = admin_policy.size(document)
    if got > quota:
        output.status(
            f"admin-policy: the policy is {got:,} characters, over IAM's "
            f"{quota:,} for a managed policy; fix: split it "
            "into two managed policies by statement, or attach it inline to a role (10,240)"
        )
