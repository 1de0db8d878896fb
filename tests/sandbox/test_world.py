"""The sandbox's principals: commands run as an IAM user holding exactly `sesame
admin-policy`, plan-only as one holding exactly `--read-only`, never as the root key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sesame import aws, secrets
from sesame.checks import admin_policy
from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import ConfigError
from sesame.sandbox import keys, world
from sesame.target import Target
from testing import example_config

CFG = Config.model_validate(example_config())
USERS = f"arn:aws:iam::{world.ACCOUNT_ID}:user"


def _root_secrets() -> secrets.Secrets:
    return secrets.load(keys.SECRETS_FILE, keys.age_key())


def _root_iam(target: Target) -> Any:
    """An IAM client with the sandbox's own (root) key, against the running sandbox."""
    root = _root_secrets()
    return boto3.client(
        "iam",
        endpoint_url=target.aws_endpoints["iam"],
        region_name=CFG.region,
        aws_access_key_id=root.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=root.get("AWS_SECRET_ACCESS_KEY"),
    )


def _held(iam_root: Any, name: str) -> dict:
    names = iam_root.list_user_policies(UserName=name)["PolicyNames"]
    assert names == ["sesame"]  # exactly one policy, nothing attached besides
    assert iam_root.list_attached_user_policies(UserName=name)["AttachedPolicies"] == []
    return iam_root.get_user_policy(UserName=name, PolicyName="sesame")["PolicyDocument"]


def test_commands_run_as_the_operator_and_plan_only_as_the_plan_user(tmp_path: Path) -> None:
    root_key = _root_secrets().get("AWS_ACCESS_KEY_ID")
    with open_target("sandbox", CFG, tmp_path) as target:
        assert target.secrets.get("AWS_ACCESS_KEY_ID") != root_key
        who = aws.client("sts", CFG.region, target).get_caller_identity()
        assert who["Arn"] == f"{USERS}/sesame/sesame-operator"
    with open_target("sandbox", CFG, tmp_path, read_only=True) as target:
        assert target.read_only
        who = aws.client("sts", CFG.region, target).get_caller_identity()
        assert who["Arn"] == f"{USERS}/sesame/sesame-plan"
        with pytest.raises(ClientError) as exc:  # a write, from the plan-only user
            aws.client("sesv2", CFG.region, target).create_email_identity(
                EmailIdentity=next(iter(CFG.domains))
            )
        assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
        held = {name: _held(_root_iam(target), name) for name in ("sesame-operator", "sesame-plan")}
    assert held["sesame-operator"] == admin_policy.policy(CFG, world.ACCOUNT_ID)
    assert held["sesame-plan"] == admin_policy.read_only_policy(CFG, world.ACCOUNT_ID)


def test_operator_policy_file_replaces_the_admin_policy(tmp_path, monkeypatch) -> None:
    custom = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
    }
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(custom))
    monkeypatch.setenv(world.OPERATOR_POLICY, str(path))
    assert world.operator_policy(CFG) == custom
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=r"SESAME_SANDBOX_OPERATOR_POLICY=.*fix: point it at"):
        world.operator_policy(CFG)
    monkeypatch.delenv(world.OPERATOR_POLICY)
    assert world.operator_policy(CFG) == admin_policy.policy(CFG, world.ACCOUNT_ID)
