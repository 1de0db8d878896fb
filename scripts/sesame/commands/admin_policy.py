from __future__ import annotations

import json
from pathlib import Path

from sesame import aws, output
from sesame.checks import admin_policy
from sesame.config import Config
from sesame.environments import open_target


def admin_policy_cmd(
    config: Config, top: Path, env: str, account_id: str | None, read_only: bool = False
) -> int:
    """Print the IAM policy the identity running sesame needs for this configuration
    (`read_only`: the plan-only identity's, for pull-request plans)."""
    if account_id is None:
        with open_target(env, config, top) as target:
            who = aws.client("sts", config.region, target).get_caller_identity()
        account_id = who["Account"]
    make = admin_policy.read_only_policy if read_only else admin_policy.policy
    output.write_line(json.dumps(make(config, account_id), indent=2))
    return 0
