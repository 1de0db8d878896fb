"""SES v2 rate limits: past the configured rate the emulator answers as AWS does (429
TooManyRequestsException), per account and operation group, and SDK retries get through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from sesame.errors import ConfigError
from sesame.sandbox import world
from sesame.sandbox.server import ServerThread
from sesame.sandbox.sesv2.models import SesV2Backend
from sesame.sandbox.sesv2.routes import create_app
from sesame.sandbox.sesv2.throttle import SETTING, Rate, Throttle, parse_rates

ACCOUNT = "123456789012"
REGION = "us-east-1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttled(clock: Clock) -> Iterator[tuple[ServerThread, Throttle, SesV2Backend]]:
    backend = SesV2Backend(account_id=ACCOUNT)
    throttle = Throttle({"write": Rate(1, 2)}, clock=clock)
    with ServerThread(create_app(backend, throttle)) as running:
        yield running, throttle, backend


def _client(url: str, attempts: int) -> Any:
    return boto3.client(
        "sesv2",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="FAKEACCESSKEYEXAMPLE",
        aws_secret_access_key="x",
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


def test_a_write_past_the_burst_is_refused_with_awss_throttling_error(throttled, clock):
    server, throttle, backend = throttled
    client = _client(server.url, attempts=1)
    client.create_email_identity(EmailIdentity="a.example.org")
    client.create_email_identity(EmailIdentity="b.example.org")
    with pytest.raises(ClientError) as refused:
        client.create_email_identity(EmailIdentity="c.example.org")
    error = refused.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == (
        "TooManyRequestsException"
    )
    # refused before it reached the backend: nothing half-created
    assert sorted(i.name for i in backend.list_identities(ACCOUNT, REGION)) == [
        "a.example.org",
        "b.example.org",
    ]
    assert throttle.throttled == 1
    # reads are another group, not limited here
    client.get_email_identity(EmailIdentity="a.example.org")
    # one second refills one token
    clock.now += 1
    client.create_email_identity(EmailIdentity="c.example.org")
    with pytest.raises(ClientError):
        client.create_email_identity(EmailIdentity="d.example.org")


def test_the_error_body_has_awss_shape(throttled):
    server, _, _ = throttled
    for _ in range(3):
        reply = requests.delete(f"{server.url}/v2/email/identities/x.example.org", timeout=5)
    assert reply.status_code == 429
    assert reply.headers["X-Amzn-ErrorType"] == "TooManyRequestsException"
    assert reply.json() == {
        "__type": "TooManyRequestsException",
        "message": "Too many requests have been made to the operation.",
    }


def test_each_account_has_its_own_buckets(clock):
    throttle = Throttle({"read": Rate(1, 1)}, clock=clock)
    throttle.take("111111111111", "GetEmailIdentity")
    throttle.take("222222222222", "ListEmailIdentities")
    with pytest.raises(Exception, match="Too many requests"):
        throttle.take("111111111111", "ListEmailIdentities")


def test_each_gives_every_operation_its_own_bucket(clock):
    throttle = Throttle({"each": Rate(1, 1)}, clock=clock)
    throttle.take(ACCOUNT, "CreateEmailIdentity")
    throttle.take(ACCOUNT, "PutEmailIdentityMailFromAttributes")
    throttle.take(ACCOUNT, "GetEmailIdentity")
    with pytest.raises(Exception, match="Too many requests"):
        throttle.take(ACCOUNT, "CreateEmailIdentity")


def test_sending_is_not_a_management_call(clock):
    throttle = Throttle({"all": Rate(1, 1), "each": Rate(1, 1)}, clock=clock)
    for _ in range(3):
        throttle.take(ACCOUNT, "SendEmail")
    throttle.take(ACCOUNT, "CreateEmailIdentity")


def test_sdk_retries_get_a_burst_through_a_real_rate():
    backend = SesV2Backend(account_id=ACCOUNT)
    throttle = Throttle({"write": Rate(20, 2)})
    with ServerThread(create_app(backend, throttle)) as server:
        client = _client(server.url, attempts=10)
        for n in range(12):
            client.create_email_identity(EmailIdentity=f"d{n}.example.org")
    assert len(backend.list_identities(ACCOUNT, REGION)) == 12
    assert throttle.throttled > 0  # the rate was really hit and retried through


@pytest.mark.parametrize(
    ("setting", "rates"),
    [
        ("", {}),
        ("write=1", {"write": Rate(1, 1)}),
        ("read=5, write=0.5/3", {"read": Rate(5, 5), "write": Rate(0.5, 3)}),
        ("all=2", {"read": Rate(2, 2), "write": Rate(2, 2)}),
        ("each=1", {"each": Rate(1, 1)}),
    ],
)
def test_rates_are_read_from_the_setting(setting, rates):
    assert parse_rates(setting) == rates


@pytest.mark.parametrize("setting", ["writes=1", "write", "write=fast", "read=0", "read=1/0"])
def test_a_bad_setting_is_one_clear_config_error(setting, monkeypatch):
    monkeypatch.setenv(SETTING, setting)
    with pytest.raises(ConfigError, match=SETTING):
        world.ses_throttle()
