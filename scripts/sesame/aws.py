"""boto3 clients for sesame's own calls: AWS with the credentials the provider gets, and R2."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from sesame.target import Target


def client(service: str, region: str, target: Target) -> Any:
    """Keys from secrets.yaml when set, else the default chain; sandbox endpoints honoured."""
    kwargs: dict[str, Any] = {
        "region_name": region,
        "config": BotoConfig(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=20),
    }
    if target.secrets.get("AWS_ACCESS_KEY_ID"):
        kwargs["aws_access_key_id"] = target.secrets.get("AWS_ACCESS_KEY_ID")
        kwargs["aws_secret_access_key"] = target.secrets.get("AWS_SECRET_ACCESS_KEY")
    if service in target.aws_endpoints:
        kwargs["endpoint_url"] = target.aws_endpoints[service]
    return boto3.client(service, **kwargs)


def r2_client(
    target: Target, key_id: str | None = None, secret: str | None = None, *, attempts: int = 2
) -> Any:
    """The state bucket's S3 API (R2, or the sandbox's stand-in), with R2's keys by default."""
    return boto3.client(
        "s3",
        endpoint_url=target.s3_endpoint,
        region_name="auto",
        aws_access_key_id=key_id or target.secrets.get("R2_ACCESS_KEY_ID"),
        aws_secret_access_key=secret or target.secrets.get("R2_SECRET_ACCESS_KEY"),
        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": attempts}),
    )
