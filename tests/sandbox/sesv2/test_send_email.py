"""SendEmail over loopback: SigV4 with the caller's own IAM key, then SES's send rules."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from testing import moto_client

ACCOUNT = "123456789012"
REGION = "eu-west-1"
DOMAIN = "api.example"
SIMULATOR = "success@simulator.amazonses.com"


def _policy(from_patterns: list[str], config_set: str = "api-set") -> dict[str, Any]:
    prefix = f"arn:aws:ses:{REGION}:{ACCOUNT}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ses:SendEmail", "ses:SendRawEmail"],
                "Resource": [
                    f"{prefix}:identity/{DOMAIN}",
                    f"{prefix}:configuration-set/{config_set}",
                ],
                "Condition": {"StringLike": {"ses:FromAddress": from_patterns}},
            }
        ],
    }


@pytest.fixture
def iam(moto_url: str) -> Any:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    return moto_client(moto_url, "iam", REGION)


@pytest.fixture
def world(make_client) -> Any:
    """A verified domain with its default configuration set (the admin's client)."""
    admin = make_client(region=REGION)
    admin.create_configuration_set(ConfigurationSetName="api-set")
    admin.create_email_identity(EmailIdentity=DOMAIN, ConfigurationSetName="api-set")
    return admin


def _sender(iam: Any, server: Any, policy: dict[str, Any], secret: str | None = None) -> Any:
    iam.create_user(UserName="api-app")
    key = iam.create_access_key(UserName="api-app")["AccessKey"]
    iam.put_user_policy(UserName="api-app", PolicyName="send", PolicyDocument=json.dumps(policy))
    return boto3.client(
        "sesv2",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=secret or key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}),
    )


def _send(client: Any, sender: str, to: str = SIMULATOR) -> dict[str, Any]:
    return client.send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "x"}}}},
    )


def _code(exc: pytest.ExceptionInfo) -> tuple[str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_allowed_from_is_sent_and_recorded_with_the_caller(iam, server, backend, world):
    client = _sender(iam, server, _policy([f"billing@{DOMAIN}"]))
    message_id = _send(client, f"billing@{DOMAIN}")["MessageId"]
    [sent] = backend.region_state(ACCOUNT, REGION).sent_messages
    assert sent["MessageId"] == message_id and sent["UserName"] == "api-app"
    assert sent["ConfigurationSetName"] == "api-set" and sent["Destinations"] == [SIMULATOR]
    assert world.get_account()["SendQuota"]["SentLast24Hours"] == 1.0


def test_from_outside_the_policy_is_access_denied(iam, server, backend, world):
    client = _sender(iam, server, _policy([f"billing@{DOMAIN}"]))
    with pytest.raises(ClientError) as exc:
        _send(client, f"ceo@{DOMAIN}")
    assert _code(exc) == ("AccessDeniedException", 403)
    assert "not authorized to perform `ses:SendEmail'" in str(exc.value)
    assert not backend.region_state(ACCOUNT, REGION).sent_messages


def test_raw_message_from_header_is_authorised_like_smtp(iam, server, world):
    client = _sender(iam, server, _policy(["notifications+*@" + DOMAIN]))
    raw = f"From: n+1 <notifications+1@{DOMAIN}>\r\nTo: {SIMULATOR}\r\nSubject: s\r\n\r\nx\r\n"
    assert client.send_email(Content={"Raw": {"Data": raw.encode()}})["MessageId"]
    bad = raw.replace("notifications+1@", "other@")
    with pytest.raises(ClientError) as exc:
        client.send_email(Content={"Raw": {"Data": bad.encode()}})
    assert _code(exc)[0] == "AccessDeniedException"


def test_a_wrong_secret_or_an_unknown_key_is_refused_before_any_rule(iam, server, world):
    wrong = _sender(iam, server, _policy([f"billing@{DOMAIN}"]), secret="x" * 40)
    with pytest.raises(ClientError) as exc:
        _send(wrong, f"billing@{DOMAIN}")
    assert _code(exc) == ("SignatureDoesNotMatch", 403)
    unknown = boto3.client(
        "sesv2",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id="FAKEUNKNOWNACCESSKEY",
        aws_secret_access_key="y" * 40,
    )
    with pytest.raises(ClientError) as exc:
        _send(unknown, f"billing@{DOMAIN}")
    assert _code(exc) == ("UnrecognizedClientException", 403)


def test_an_inactive_key_is_refused(iam, server, world):
    client = _sender(iam, server, _policy([f"billing@{DOMAIN}"]))
    assert _send(client, f"billing@{DOMAIN}")["MessageId"]
    [key] = iam.list_access_keys(UserName="api-app")["AccessKeyMetadata"]
    iam.update_access_key(UserName="api-app", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as exc:
        _send(client, f"billing@{DOMAIN}")
    assert _code(exc) == ("UnrecognizedClientException", 403)


def test_unverified_identity_and_sandbox_recipients_are_rejected(iam, server, backend, world):
    client = _sender(iam, server, _policy(["*"]))
    with pytest.raises(ClientError) as exc:
        _send(client, "someone@elsewhere.example")
    assert _code(exc)[0] == "MessageRejected" and "elsewhere.example" in str(exc.value)
    with pytest.raises(ClientError) as exc:
        _send(client, f"billing@{DOMAIN}", to="customer@example.net")
    assert _code(exc)[0] == "MessageRejected" and "customer@example.net" in str(exc.value)
    backend.dkim_status_resolver = lambda *_: "PENDING"  # DKIM lost: no longer verified
    with pytest.raises(ClientError) as exc:
        _send(client, f"billing@{DOMAIN}")
    assert _code(exc)[0] == "MessageRejected"
