"""With enforcement on (the sandbox), every SES v2 operation is judged on the caller's IAM
policies and the resource it acts on; the root key is not limited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

import testing
from sesame.sandbox.authorization import Enforcement
from sesame.sandbox.server import ServerThread
from sesame.sandbox.sesv2.models import SesV2Backend
from sesame.sandbox.sesv2.routes import create_app
from testing import ACCOUNT, REGION, ROOT_KEY, refusal, signed_client

SES = f"arn:aws:ses:{REGION}:{ACCOUNT}"
POLICY = testing.policy_document(
    testing.allow(
        ["ses:CreateEmailIdentity", "ses:GetEmailIdentity", "ses:TagResource"],
        f"{SES}:identity/mine.example",
    ),
    testing.allow("ses:ListEmailIdentities", "*"),
)


@pytest.fixture
def enforced(moto_url: str) -> Iterator[tuple[str, SesV2Backend]]:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    backend = SesV2Backend(account_id=ACCOUNT)
    app = create_app(backend, enforcement=Enforcement(ACCOUNT, ROOT_KEY))
    with ServerThread(app) as running:
        yield running.url, backend


def _ses(url: str, key: str, secret: str) -> Any:
    return signed_client(url, "sesv2", key, secret, REGION)


@pytest.fixture
def operator(moto_url: str, enforced: tuple[str, SesV2Backend]) -> Any:
    iam = boto3.client(
        "iam",
        endpoint_url=moto_url,
        region_name=REGION,
        aws_access_key_id=ROOT_KEY,
        aws_secret_access_key="x",
    )
    iam.create_user(UserName="operator", Path="/sesame/")
    iam.put_user_policy(UserName="operator", PolicyName="p", PolicyDocument=json.dumps(POLICY))
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    return _ses(enforced[0], key["AccessKeyId"], key["SecretAccessKey"])


def test_operations_are_allowed_only_on_the_identities_the_policy_names(operator, enforced):
    _, backend = enforced
    operator.create_email_identity(EmailIdentity="mine.example")
    assert operator.get_email_identity(EmailIdentity="mine.example")["IdentityType"] == "DOMAIN"
    listed = operator.list_email_identities()["EmailIdentities"]
    assert [i["IdentityName"] for i in listed] == ["mine.example"]
    with pytest.raises(ClientError) as exc:
        operator.create_email_identity(EmailIdentity="theirs.example")
    code, status, message = refusal(exc)
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == testing.not_authorized(
        f"arn:aws:iam::{ACCOUNT}:user/sesame/operator",
        "ses:CreateEmailIdentity",
        f"{SES}:identity/theirs.example",
    )
    assert backend.get_identity(ACCOUNT, REGION, "theirs.example") is None  # nothing done


def test_an_action_the_policy_lacks_is_denied_on_any_resource(operator, enforced):
    operator.create_email_identity(EmailIdentity="mine.example")
    with pytest.raises(ClientError) as exc:
        operator.delete_email_identity(EmailIdentity="mine.example")
    assert "ses:DeleteEmailIdentity on resource" in refusal(exc)[2]
    with pytest.raises(ClientError) as exc:
        operator.get_account()
    assert "ses:GetAccount on resource: *" in refusal(exc)[2]


def test_tag_operations_are_judged_on_the_arn_they_name(operator, enforced):
    operator.create_email_identity(EmailIdentity="mine.example")
    tag = [{"Key": "team", "Value": "mail"}]
    operator.tag_resource(ResourceArn=f"{SES}:identity/mine.example", Tags=tag)
    with pytest.raises(ClientError) as exc:
        operator.tag_resource(ResourceArn=f"{SES}:identity/other.example", Tags=tag)
    assert f"ses:TagResource on resource: {SES}:identity/other.example" in refusal(exc)[2]


def test_root_is_not_limited_and_strangers_are_not_recognised(operator, enforced):
    url, _ = enforced
    _ses(url, ROOT_KEY, "any").create_email_identity(EmailIdentity="theirs.example")
    with pytest.raises(ClientError) as exc:
        _ses(url, "FAKEUNKNOWNKEYEXAMPLE", "x").list_email_identities()
    assert refusal(exc)[:2] == ("UnrecognizedClientException", 403)
