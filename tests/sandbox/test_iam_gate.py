"""moto behind the IAM gate: a caller gets what its identity policies allow, on the
resource each call names, and AccessDenied naming the action for the rest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.moto_api._internal.models import moto_api_backend
from moto.server import ThreadedMotoServer

from sesame.sandbox.authorization import Enforcement
from sesame.sandbox.iam_gate import IamGate
from sesame.sandbox.seed import ROLE_TRUST
from testing import (
    ACCOUNT,
    BOUNCE_ALARM,
    REGION,
    ROOT_KEY,
    allow,
    not_authorized,
    policy_document,
    refusal,
    signed_client,
)

ARN = f"arn:aws:iam::{ACCOUNT}"
POLICY = policy_document(
    allow(["iam:CreateUser", "iam:GetUser", "iam:PutUserPolicy"], f"{ARN}:user/ses/*"),
    allow("iam:ListAccessKeys", f"{ARN}:user/*/${{aws:username}}"),
    allow(["sns:CreateTopic", "sns:GetTopicAttributes"], f"arn:aws:sns:{REGION}:{ACCOUNT}:ses-*"),
    allow(
        ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"],
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:ses-*",
    ),
    allow("cloudwatch:DescribeAlarms", "*"),
    allow(  # as `sesame admin-policy` grants a sender's export.secrets_manager
        [
            "secretsmanager:CreateSecret",
            "secretsmanager:PutSecretValue",
            "secretsmanager:DeleteSecret",
        ],
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:web-??????",
    ),
)


@pytest.fixture(scope="module")
def gated_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    server._server.app = IamGate(server._server.app, Enforcement(ACCOUNT, ROOT_KEY))
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _client(url: str, service: str, key: str, secret: str) -> Any:
    return signed_client(url, service, key, secret, REGION)


@pytest.fixture
def root(gated_url: str) -> Any:
    moto_api_backend.reset()
    return _client(gated_url, "iam", ROOT_KEY, "root-secret")


@pytest.fixture
def operator(root: Any, gated_url: str) -> dict[str, str]:
    root.create_user(UserName="operator", Path="/sesame/")
    root.put_user_policy(UserName="operator", PolicyName="p", PolicyDocument=json.dumps(POLICY))
    key = root.create_access_key(UserName="operator")["AccessKey"]
    return {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def _as(url: str, service: str, who: dict[str, str]) -> Any:
    return _client(url, service, who["key"], who["secret"])


def test_iam_calls_are_judged_on_the_user_they_name(gated_url, operator) -> None:
    iam = _as(gated_url, "iam", operator)
    iam.create_user(UserName="app", Path="/ses/")
    assert iam.get_user(UserName="app")["User"]["Arn"] == f"{ARN}:user/ses/app"
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName="intruder", Path="/")
    code, status, message = refusal(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert message == not_authorized(
        f"{ARN}:user/sesame/operator", "iam:CreateUser", f"{ARN}:user/intruder"
    )
    with pytest.raises(ClientError) as exc:  # allowed on /ses/ users, never on itself
        iam.get_user(UserName="operator")
    assert "iam:GetUser on resource: " + f"{ARN}:user/sesame/operator" in refusal(exc)[2]
    with pytest.raises(ClientError) as exc:  # an action the policy does not name at all
        iam.delete_user(UserName="app")
    assert "not authorized to perform: iam:DeleteUser" in refusal(exc)[2]
    users = _client(gated_url, "iam", ROOT_KEY, "x").list_users()["Users"]
    assert sorted(u["UserName"] for u in users) == ["app", "operator"]  # no intruder


def test_policy_variables_name_the_caller_itself(gated_url, operator) -> None:
    iam = _as(gated_url, "iam", operator)
    keys = iam.list_access_keys()["AccessKeyMetadata"]  # no UserName: the caller's own
    assert [k["AccessKeyId"] for k in keys] == [operator["key"]]
    iam.create_user(UserName="app", Path="/ses/")
    with pytest.raises(ClientError) as exc:
        iam.list_access_keys(UserName="app")
    assert "iam:ListAccessKeys on resource: " + f"{ARN}:user/ses/app" in refusal(exc)[2]


def test_sns_and_cloudwatch_are_judged_on_topic_and_alarm_names(gated_url, operator) -> None:
    sns = _as(gated_url, "sns", operator)
    topic = sns.create_topic(Name="ses-events")["TopicArn"]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["TopicArn"] == topic
    with pytest.raises(ClientError) as exc:
        sns.create_topic(Name="billing")
    code, status, message = refusal(exc)
    assert (code, status) == ("AuthorizationError", 403)  # SNS's name for it
    assert f"sns:CreateTopic on resource: arn:aws:sns:{REGION}:{ACCOUNT}:billing" in message

    cw = _as(gated_url, "cloudwatch", operator)
    alarm = BOUNCE_ALARM
    cw.put_metric_alarm(AlarmName="ses-bounce-rate", **alarm)
    with pytest.raises(ClientError) as exc:
        cw.put_metric_alarm(AlarmName="cpu-high", **alarm)
    assert "cloudwatch:PutMetricAlarm on resource: " in refusal(exc)[2]
    with pytest.raises(ClientError) as exc:  # one name outside the policy refuses the call
        cw.delete_alarms(AlarmNames=["ses-bounce-rate", "cpu-high"])
    assert refusal(exc)[2].endswith(
        "alarm:cpu-high because no identity-based policy allows the cloudwatch:DeleteAlarms action"
    )
    names = [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]]
    assert names == ["ses-bounce-rate"]  # nothing refused was done


def test_secrets_manager_calls_are_judged_on_the_secret_they_name(gated_url, operator) -> None:
    """A grant on NAME-?????? covers creating NAME (whose ARN gets six random characters)
    and writing it by name or ARN; another secret is AccessDenied naming it, and untouched."""
    sm = _as(gated_url, "secretsmanager", operator)
    arn = sm.create_secret(Name="web", SecretString="{}")["ARN"]
    sm.put_secret_value(SecretId="web", SecretString='{"a": "1"}')
    sm.put_secret_value(SecretId=arn, SecretString='{"a": "2"}')
    root_sm = _client(gated_url, "secretsmanager", ROOT_KEY, "x")
    root_sm.create_secret(Name="billing-db", SecretString="hunter2")
    for call in (
        lambda: sm.create_secret(Name="webhooks", SecretString="{}"),
        lambda: sm.put_secret_value(SecretId="billing-db", SecretString="mine"),
        lambda: sm.delete_secret(SecretId="billing-db", ForceDeleteWithoutRecovery=True),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        code, _, message = refusal(exc)
        assert code == "AccessDeniedException", message
        assert f"on resource: arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:" in message
    assert root_sm.get_secret_value(SecretId="billing-db")["SecretString"] == "hunter2"
    sm.delete_secret(SecretId="web", ForceDeleteWithoutRecovery=True)
    assert [s["Name"] for s in root_sm.list_secrets()["SecretList"]] == ["billing-db"]


def test_unknown_keys_and_wrong_secrets_are_refused_and_caller_identity_is_free(
    gated_url, operator
) -> None:
    with pytest.raises(ClientError) as exc:
        _client(gated_url, "iam", "FAKEUNKNOWNKEYEXAMPLE", "x").list_users()
    assert refusal(exc)[:2] == ("InvalidClientTokenId", 403)
    with pytest.raises(ClientError) as exc:
        _client(gated_url, "iam", operator["key"], "not-its-secret").get_user(UserName="x")
    assert refusal(exc)[:2] == ("SignatureDoesNotMatch", 403)
    who = _as(gated_url, "sts", operator).get_caller_identity()
    assert who["Arn"] == f"{ARN}:user/sesame/operator"


def _document(characters: int) -> str:
    """A policy document of exactly `characters` as IAM counts them (white space not
    counted: the indent below is free)."""
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    base = {"Version": "2012-10-17", "Statement": [statement]}
    bare = json.dumps(base, separators=(",", ":"))
    pad = characters - len(bare) - len(',"Sid":""')
    base["Statement"][0]["Sid"] = "x" * pad
    document = json.dumps(base, indent=4)
    assert len("".join(document.split())) == characters
    return document


def _limit(call: Any) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response["Error"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert error["Code"] == "LimitExceeded"
    return str(error["Message"])


def test_a_managed_policy_over_iams_size_quota_is_refused_even_for_root(root) -> None:
    """IAM: 6,144 characters per managed policy, white space not counted (moto takes any)."""
    arn = root.create_policy(PolicyName="fits", PolicyDocument=_document(6144))["Policy"]["Arn"]
    message = _limit(lambda: root.create_policy(PolicyName="big", PolicyDocument=_document(6145)))
    assert message == "Cannot exceed quota for PolicySize: 6144"
    assert _limit(
        lambda: root.create_policy_version(PolicyArn=arn, PolicyDocument=_document(6145))
    ) == ("Cannot exceed quota for PolicySize: 6144")
    assert [p["PolicyName"] for p in root.list_policies(Scope="Local")["Policies"]] == ["fits"]


@pytest.mark.parametrize(
    ("kind", "quota"), [("user", 2048), ("group", 5120), ("role", 10240)], ids=str
)
def test_an_entitys_inline_policies_together_stay_within_iams_quota(root, kind, quota) -> None:
    """A user's inline policies share 2,048 characters, a group's 5,120, a role's 10,240;
    replacing a policy counts its new document only."""
    name = f"a-{kind}"
    if kind == "user":
        root.create_user(UserName=name)
    elif kind == "group":
        root.create_group(GroupName=name)
    else:
        root.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(ROLE_TRUST))
    put = getattr(root, f"put_{kind}_policy")
    named = {f"{kind.capitalize()}Name": name}
    half = quota // 2
    put(**named, PolicyName="one", PolicyDocument=_document(half))
    put(**named, PolicyName="two", PolicyDocument=_document(quota - half))  # exactly the quota
    put(**named, PolicyName="two", PolicyDocument=_document(quota - half))  # replaced, same size
    message = _limit(lambda: put(**named, PolicyName="three", PolicyDocument=_document(200)))
    assert message == f"Maximum policy size of {quota} bytes exceeded for {kind} {name}"
    listed = getattr(root, f"list_{kind}_policies")(**named)["PolicyNames"]
    assert sorted(listed) == ["one", "two"]
