"""Terraform state on R2: a timestamped backup before every apply (R2 has no versioning),
and the DKIM signing zones SES stated, recorded next to it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from sesame import aws, shards
from sesame.config import Config
from sesame.dns import zones
from sesame.target import Target


def backup_prefix(config: Config) -> str:
    return f"{config.backend.key}.backups/"


def s3_client(target: Target) -> Any:
    return aws.r2_client(target)


def read_object(config: Config, target: Target, key: str) -> bytes | None:
    """One object of the state bucket (None if there is none): one GET."""
    try:
        body = s3_client(target).get_object(Bucket=config.backend.bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return body["Body"].read()


def document(config: Config, target: Target) -> dict[str, Any]:
    """The state object as JSON, in memory ({} if none): one GET, no terraform process."""
    doc = json.loads(read_object(config, target, config.backend.key) or b"{}")
    return doc if isinstance(doc, dict) else {}


def outputs(config: Config, target: Target) -> dict[str, Any]:
    """The root module's outputs in the state object, sensitive ones included, by name:
    what `terraform output -json` prints, read with one GET instead of a terraform process
    (`outputs.<name>.value` in the state format Terraform writes; a test holds the two
    equal). Kept in memory, never printed; {} before the first apply."""
    found = document(config, target).get("outputs")
    if not isinstance(found, dict):
        return {}
    return {name: entry.get("value") for name, entry in found.items() if isinstance(entry, dict)}


def outputs_of(config: Config, target: Target, domain: str | None = None) -> dict[str, Any]:
    """`outputs` of the state that holds `domain`: with shards its shard's (sesame.shards);
    without a domain, every shard's merged (per-domain and per-sender maps joined). One GET
    per state read."""
    if not shards.enabled(config):
        return outputs(config, target)
    if domain is not None:
        return outputs(shards.view(config, shards.assign(config)[domain]), target)
    merged: dict[str, Any] = {}
    for shard in shards.names(config):
        for name, value in outputs(shards.view(config, shard), target).items():
            if isinstance(value, dict) and isinstance(merged.get(name), dict):
                merged[name] = {**merged[name], **value}
            else:
                merged.setdefault(name, value)
    return merged


def dkim_record_key(config: Config) -> str:
    """The bucket key of the DKIM signing zones SES stated for this state's domains
    (sesame.dkim: a plan asks SES only about identities with none recorded)."""
    return f"{config.backend.key}.dkim.json"


def recorded_dkim_zones(config: Config, target: Target) -> dict[str, str]:
    """domain -> the SigningHostedZone SES stated, as recorded by earlier applies in this
    region ({} when none, unreadable or another region's: every identity is then asked
    again). One GET."""
    try:
        doc = json.loads(read_object(config, target, dkim_record_key(config)) or b"{}")
    except ValueError:
        return {}
    if not isinstance(doc, dict) or doc.get("region") != config.region:
        return {}  # another region's identities sign elsewhere
    zones = doc.get("signing_hosted_zones")
    if not isinstance(zones, dict):
        return {}
    return {str(d): str(z) for d, z in zones.items() if isinstance(z, str) and z}


def record_dkim_zones(config: Config, target: Target, zones: dict[str, str]) -> None:
    """Record what SES stated for the configured domains (replacing the previous record)."""
    doc = {"region": config.region, "signing_hosted_zones": dict(sorted(zones.items()))}
    body = json.dumps(doc, indent=1)
    s3_client(target).put_object(
        Bucket=config.backend.bucket, Key=dkim_record_key(config), Body=body.encode()
    )


def instances(doc: dict[str, Any], module: str, type_: str, name: str) -> dict[str, Any]:
    """Each instance of one managed resource in state, by its for_each key: attributes.

    Resources, not outputs: Terraform writes every object it created or changed to state
    as it goes, even when the apply then fails or is interrupted; outputs are rewritten only
    by an apply that completes (docs/ownership.md)."""
    found: dict[str, Any] = {}
    for res in doc.get("resources") or []:
        if (res.get("module"), res.get("mode"), res.get("type"), res.get("name")) == (
            module,
            "managed",
            type_,
            name,
        ):
            for inst in res.get("instances") or []:
                found[str(inst.get("index_key"))] = inst.get("attributes") or {}
    return found


def managed_dns(doc: dict[str, Any]) -> zones.Managed:
    """Which Cloudflare records are sesame's, and which of them it adopted, from state."""
    records = instances(doc, "module.cloudflare", "cloudflare_dns_record", "this")
    originals = instances(doc, "module.cloudflare", "terraform_data", "original")
    return zones.Managed(
        record_ids=frozenset(str(a["id"]) for a in records.values() if a.get("id")),
        adopted=frozenset(originals),
        held={key: str(a["id"]) for key, a in records.items() if a.get("id")},
    )


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
