"""boto3 clients for sesame's own AWS calls, with the same credentials the provider gets."""

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
