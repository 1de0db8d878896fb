"""The sandbox's principals: commands run as an IAM user holding exactly `sesame
admin-policy`, plan-only as one holding exactly `--read-only`, never as the root key."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from moto.backends import get_backend

from sesame import aws, secrets
from sesame.checks import admin_policy
from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import ConfigError
from sesame.sandbox import keys, world
from sesame.target import Target
from testing import BOUNCE_ALARM, example_config

CFG = Config.model_validate(example_config())
USERS = f"arn:aws:iam::{world.ACCOUNT_ID}:user"
ALARM = BOUNCE_ALARM


def _root_secrets() -> secrets.Secrets:
    return secrets.load(keys.SECRETS_FILE, keys.age_key())


def _root_client(service: str, target: Target, **options: Any) -> Any:
    """A client with the sandbox's own (root) key, against the running sandbox."""
    root = _root_secrets()
    return boto3.client(
        service,
        endpoint_url=target.aws_endpoints[service],
        region_name=CFG.region,
        aws_access_key_id=root.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=root.get("AWS_SECRET_ACCESS_KEY"),
        **options,
    )


def _root_iam(target: Target) -> Any:
    return _root_client("iam", target)


def _held(iam_root: Any, name: str) -> dict:
    """The one policy the principal holds: a customer managed policy, as docs/iam.md tells
    operators to attach `sesame admin-policy` (nothing inline, nothing else attached)."""
    assert iam_root.list_user_policies(UserName=name)["PolicyNames"] == []
    [attached] = iam_root.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert attached["PolicyName"] == name
    arn = attached["PolicyArn"]
    version = iam_root.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam_root.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
        "Document"
    ]


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
    big = {**custom, "Statement": [{**custom["Statement"][0], "Sid": "x" * 6100}]}
    path.write_text(json.dumps(big, indent=4))  # IAM does not count the white space
    counted = len(json.dumps(big, separators=(",", ":")))
    assert counted == 6193
    with pytest.raises(ConfigError, match=r"6,193 characters, over IAM's 6,144 .*fix: a smaller"):
        world.operator_policy(CFG)
    monkeypatch.delenv(world.OPERATOR_POLICY)
    assert world.operator_policy(CFG) == admin_policy.policy(CFG, world.ACCOUNT_ID)


def test_concurrent_callers_never_see_moto_race(tmp_path: Path) -> None:
    """moto's backends are plain dicts: served from several threads at once, a DescribeAlarms
    that iterates them while a PutMetricAlarm adds one fails with 500 (measured in a 10-shard
    apply), which the AWS SDK retries, turning a create that succeeded into AlreadyExists.
    The sandbox serves moto one request at a time; AWS never answers that way. Thread
    switches are made frequent so that a race, if there is one, shows."""
    interval = sys.getswitchinterval()
    once = BotoConfig(retries={"max_attempts": 1, "mode": "standard"})
    with open_target("sandbox", CFG, tmp_path) as target:

        def cloudwatch() -> Any:
            return _root_client("cloudwatch", target, config=once)

        failures: list[str] = []
        backend = get_backend("cloudwatch")[world.ACCOUNT_ID][CFG.region]
        for n in range(3000):  # DescribeAlarms walks them all: a long window for a race
            backend.put_metric_alarm(
                f"old-{n}",
                "AWS/SES",
                "Send",
                "GreaterThanThreshold",
                1,
                300,
                1.0,
                "Sum",
                "",
                [],
                [],
            )

        def put(worker: int) -> None:
            client = cloudwatch()
            for n in range(60):
                try:
                    client.put_metric_alarm(AlarmName=f"race-{worker}-{n}", **ALARM)
                except ClientError as exc:
                    failures.append(str(exc))

        def describe() -> None:
            client = cloudwatch()
            for _ in range(60):
                try:
                    client.describe_alarms(AlarmNames=["race-0-0"])
                except ClientError as exc:
                    failures.append(str(exc))

        sys.setswitchinterval(1e-6)
        try:
            threads = [threading.Thread(target=put, args=(w,)) for w in range(4)]
            threads += [threading.Thread(target=describe) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            sys.setswitchinterval(interval)
    assert failures == []


def _lose_first_answers(client: Any, operations: list[str], retried: list[str]) -> None:
    """Make `client` retry each of `operations` once after a 200 (noted in `retried`), as
    the AWS SDKs retry a call whose answer was lost on the way (same invocation id)."""

    def lose(attempts: int, response: Any, operation: Any, **_: Any) -> int | None:
        if attempts == 1 and response is not None and response[0].status_code == 200:
            retried.append(operation.name)
            return 0  # retry now
        return None

    service = client.meta.service_model.service_name
    for name in operations:
        client.meta.events.register_first(f"needs-retry.{service}.{name}", lose)


def test_a_retried_create_gets_the_answer_whose_delivery_failed(tmp_path: Path) -> None:
    """A create the stand-in served whose answer never reached the client is retried by
    the SDK (measured: CreateEmailIdentity, attempt 2, 70 ms after a 200): the retry gets
    the first answer, not AlreadyExists, and nothing is made twice."""
    with open_target("sandbox", CFG, tmp_path) as target:
        ses = _root_client("sesv2", target)
        iam = _root_iam(target)
        retried: list[str] = []
        _lose_first_answers(ses, ["CreateEmailIdentity", "CreateConfigurationSet"], retried)
        _lose_first_answers(iam, ["CreateUser", "CreateAccessKey"], retried)

        made = ses.create_email_identity(EmailIdentity="retried.example")
        ses.create_configuration_set(ConfigurationSetName="retried-example")
        iam.create_user(UserName="retried")
        key = iam.create_access_key(UserName="retried")["AccessKey"]

        assert retried == [
            "CreateEmailIdentity",
            "CreateConfigurationSet",
            "CreateUser",
            "CreateAccessKey",
        ]
        tokens = ses.get_email_identity(EmailIdentity="retried.example")["DkimAttributes"]
        assert made["DkimAttributes"]["Tokens"] == tokens["Tokens"]  # one identity, first made
        keys = iam.list_access_keys(UserName="retried")["AccessKeyMetadata"]
        assert [k["AccessKeyId"] for k in keys] == [key["AccessKeyId"]]
        # a new call (a new invocation) for what exists is still refused, as AWS refuses it
        with pytest.raises(ClientError) as exc:
            ses.create_configuration_set(ConfigurationSetName="retried-example")
        assert exc.value.response["Error"]["Code"] == "AlreadyExistsException"


def test_a_retried_cloudflare_create_gets_the_answer_whose_delivery_failed(
    tmp_path: Path,
) -> None:
    """cloudflare-go retries a POST on any transport error: its retry (X-Stainless-Retry-Count
    above 0) gets the first answer, not 81058 "An identical record already exists", and one
    record is made; a new identical create is still refused, as Cloudflare refuses it."""
    with open_target("sandbox", CFG, tmp_path) as target:
        api = f"{target.cloudflare_base_url}/zones"
        auth = {"Authorization": f"Bearer {target.secrets.get('CLOUDFLARE_API_TOKEN')}"}
        zone = requests.get(api, params={"name": "example.com"}, headers=auth, timeout=10)
        records = f"{api}/{zone.json()['result'][0]['id']}/dns_records"
        record = {"type": "TXT", "name": "retried.example.com", "content": "v=spf1 -all"}

        def create(count: int) -> requests.Response:
            headers = {**auth, "X-Stainless-Retry-Count": str(count)}
            return requests.post(records, json=record, headers=headers, timeout=10)

        first, retry, again = create(0), create(1), create(0)
        assert retry.status_code == 200 and retry.json() == first.json()
        assert [e["code"] for e in again.json()["errors"]] == [81058]
        found = requests.get(records, params={"name": record["name"]}, headers=auth, timeout=10)
        assert [r["id"] for r in found.json()["result"]] == [first.json()["result"]["id"]]
