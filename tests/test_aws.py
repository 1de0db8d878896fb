"""sesame's own AWS calls wait out an account's rate limits (SES v2's 429) as the provider
does, say so in one line when AWS never lets up, and still fail fast when AWS is unreachable.
Real botocore clients against the SES v2 emulator, throttling with AWS's error shape."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from sesame import aws, errors
from sesame.sandbox.server import ServerThread
from sesame.sandbox.sesv2.models import SesV2Backend
from sesame.sandbox.sesv2.routes import create_app
from sesame.sandbox.sesv2.throttle import Rate, Throttle
from sesame.secrets import Secrets
from sesame.target import Target
from testing import ACCOUNT, CLOSED, REGION


def _target(tmp_path: Path, sesv2: str, attempts: int | None = None) -> Target:
    keys = {"AWS_ACCESS_KEY_ID": "FAKEACCESSKEYEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x"}
    return Target(
        name="test",
        top=tmp_path,
        workdir=tmp_path,
        secrets=Secrets(keys),
        s3_endpoint=CLOSED,
        aws_endpoints={"sesv2": sesv2},
        credentials_path=tmp_path / "credentials.yaml",
        credentials_recipients=[],
        aws_max_retries=attempts,
    )


@pytest.fixture
def rate_limited() -> Iterator[tuple[str, Throttle]]:
    """An SES v2 endpoint allowing one read every 2 s (no burst): a call made right after
    another is refused for longer than a couple of quick retries wait."""
    throttle = Throttle({"read": Rate(0.5, 1)})
    with ServerThread(create_app(SesV2Backend(account_id=ACCOUNT), throttle)) as running:
        yield running.url, throttle


def test_one_read_per_domain_gets_through_the_rate_limit(rate_limited, tmp_path: Path) -> None:
    # The sample: the preflight's GetConfigurationSet for each of 300 new domains
    # failed the apply on the first 429 that outlasted the client's two quick retries.
    url, throttle = rate_limited
    ses = aws.client("sesv2", REGION, _target(tmp_path, url))
    for n in range(4):
        with pytest.raises(ClientError) as missing:
            ses.get_configuration_set(ConfigurationSetName=f"ses-tenant{n}-example-net")
        assert missing.value.response["Error"]["Code"] == "NotFoundException"
    assert throttle.throttled > 0  # the rate was really hit, and waited out


def test_throttling_that_outlasts_the_retries_is_one_line_naming_the_call(
    rate_limited, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, throttle = rate_limited
    throttle.rates["read"] = Rate(0.01, 1)  # one read, then one per 100 s
    monkeypatch.setattr(aws, "backoff", lambda attempt: 0.0)
    ses = aws.client("sesv2", REGION, _target(tmp_path, url, attempts=4))
    ses.get_account()
    with pytest.raises(ClientError) as exc:
        ses.get_account()
    assert exc.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert errors.throttled(exc.value) == (
        "AWS kept throttling GetAccount (TooManyRequestsException) through 4 attempts: the "
        "account's API rate is used up (by this run or others); fix: run the command again "
        "later, or ask AWS for a higher rate (Service Quotas, docs/scale.md)"
    )
    assert errors.throttled(ValueError("TooManyRequestsException")) is None


def test_an_unreachable_endpoint_still_fails_fast(tmp_path: Path) -> None:
    ses = aws.client("sesv2", REGION, _target(tmp_path, CLOSED))
    start = time.monotonic()
    with pytest.raises(EndpointConnectionError):
        ses.get_account()
    assert time.monotonic() - start < 5  # two attempts, not the 25 a throttle gets
