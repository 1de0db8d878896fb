"""boto3 clients for sesame's own calls: AWS with the credentials the provider gets, and R2.

Every client retries throttled calls the way the AWS SDKs' standard retry mode and the
Terraform AWS provider do (full-jitter exponential backoff, rand x 2^attempt seconds, at
most 20 s, up to 25 attempts: the provider's default max_retries), so a preflight that
reads one answer per domain survives an account's SES v2 rate limits (docs/scale.md).
Other failures keep the client's few attempts: an unreachable endpoint fails fast.
"""

from __future__ import annotations

import random
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from sesame.errors import is_throttling_code
from sesame.names import SENDER_PATH
from sesame.target import Target

# The AWS provider's max_retries when unset, and the SDKs' backoff cap (seconds).
PROVIDER_DEFAULT_ATTEMPTS = 25
MAX_BACKOFF_SECONDS = 20.0


def is_throttle(response: Any) -> bool:
    """Whether a botocore `needs-retry` response ((http, parsed) or None) is a throttle."""
    if response is None:
        return False
    http, parsed = response
    code = (parsed or {}).get("Error", {}).get("Code")
    return is_throttling_code(str(code)) or getattr(http, "status_code", None) == 429


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): full jitter, capped (the
    formula of botocore's standard mode, botocore/retries/standard.py ExponentialBackoff)."""
    return random.uniform(0, min(MAX_BACKOFF_SECONDS, 2.0 ** (attempt - 1)))


def retry_throttling(client: Any, limit: int = PROVIDER_DEFAULT_ATTEMPTS) -> Any:
    """`client`, made to retry throttled calls up to `limit` attempts in all (a botocore
    `needs-retry` handler ahead of the client's own, which still decides everything else)."""

    def needs_retry(attempts: int, response: Any = None, **_: Any) -> float | None:
        return backoff(attempts) if is_throttle(response) and attempts < limit else None

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register_first(f"needs-retry.{service}", needs_retry)
    return client


def client(service: str, region: str, target: Target) -> Any:
    """Keys from secrets.yaml when set, else the default chain; sandbox endpoints honoured."""
    kwargs: dict[str, Any] = {
        "region_name": region,
        "config": BotoConfig(
            retries={"mode": "adaptive", "max_attempts": 2}, connect_timeout=5, read_timeout=20
        ),
    }
    if target.secrets.get("AWS_ACCESS_KEY_ID"):
        kwargs["aws_access_key_id"] = target.secrets.get("AWS_ACCESS_KEY_ID")
        kwargs["aws_secret_access_key"] = target.secrets.get("AWS_SECRET_ACCESS_KEY")
    if service in target.aws_endpoints:
        kwargs["endpoint_url"] = target.aws_endpoints[service]
    return retry_throttling(boto3.client(service, **kwargs), throttle_attempts(target))


def throttle_attempts(target: Target) -> int:
    """How many attempts a throttled call gets: the provider's, so sesame gives up no sooner."""
    return target.aws_max_retries or PROVIDER_DEFAULT_ATTEMPTS


def r2_client(
    target: Target, key_id: str | None = None, secret: str | None = None, *, attempts: int = 2
) -> Any:
    """The state bucket's S3 API (R2, or the sandbox's stand-in), with R2's keys by default."""
    made = boto3.client(
        "s3",
        endpoint_url=target.s3_endpoint,
        region_name="auto",
        aws_access_key_id=key_id or target.secrets.get("R2_ACCESS_KEY_ID"),
        aws_secret_access_key=secret or target.secrets.get("R2_SECRET_ACCESS_KEY"),
        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": attempts}),
    )
    return retry_throttling(made, throttle_attempts(target))


def sender_user(iam: Any, name: str) -> dict[str, Any] | None:
    """IAM's GetUser `User` for the sender user `name`, or None when there is none under
    sesame's path (names.SENDER_PATH): no user, or another's user at another path.

    Ask this before any other call on a user that may not exist: IAM judges a call on a
    user it does not have on `user/<name>`, outside the path `sesame admin-policy` scopes
    the user actions to, so it answers AccessDenied, not NoSuchEntity. The policy allows
    only GetUser on every path for this (docs/iam.md)."""
    try:
        user = iam.get_user(UserName=name)["User"]
    except iam.exceptions.NoSuchEntityException:
        return None
    return user if user.get("Path") == SENDER_PATH else None
