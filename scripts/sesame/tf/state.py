"""Terraform state on R2: a timestamped backup before every apply (R2 has no versioning)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from sesame import aws
from sesame.config import Config
from sesame.target import Target


def backup_prefix(config: Config) -> str:
    return f"{config.backend.key}.backups/"


def s3_client(target: Target) -> Any:
    return aws.r2_client(target)


def outputs(config: Config, target: Target) -> dict[str, Any]:
    """Root outputs as last applied, read from the state object (in memory; {} if none).

    One GET instead of a `terraform output` process: used where only prior outputs are
    needed (which DNS records sesame manages).
    """
    try:
        body = s3_client(target).get_object(Bucket=config.backend.bucket, Key=config.backend.key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return {}
        raise
    doc = json.loads(body["Body"].read())
    return {name: o.get("value") for name, o in (doc.get("outputs") or {}).items()}


def backup(config: Config, target: Target, now: datetime | None = None) -> str | None:
    """Copy the current state object to `<key>.backups/<UTC time>.tfstate`; None if no state."""
    s3 = s3_client(target)
    bucket, key = config.backend.bucket, config.backend.key
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S.%fZ")
    dest = f"{backup_prefix(config)}{stamp}.tfstate"
    s3.copy_object(Bucket=bucket, Key=dest, CopySource={"Bucket": bucket, "Key": key})
    return dest


def list_backups(config: Config, target: Target) -> list[str]:
    s3 = s3_client(target)
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=config.backend.bucket, Prefix=backup_prefix(config)
    ):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return sorted(keys)


def restore(config: Config, target: Target, backup_key: str) -> None:
    """Put a backup back as the current state (after backing up the current one)."""
    backup(config, target)
    s3_client(target).copy_object(
        Bucket=config.backend.bucket,
        Key=config.backend.key,
        CopySource={"Bucket": config.backend.bucket, "Key": backup_key},
    )
