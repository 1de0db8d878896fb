"""Sender access keys over time: their age and generation, and the proof a new key works.

A new key is proven before the previous one is retired, the way an app would use it: for
an smtp sender SMTP AUTH with the password derived from it, a send to the SES mailbox
simulator and a From outside the sender's list refused (`verify.sender_checks`); for an api
sender the same through SigV4-signed SES v2 SendEmail calls (`verify.api_sender_checks`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sesame import aws
from sesame.checks.check import Check
from sesame.checks.verify import api_sender_checks, sender_checks
from sesame.config import Config
from sesame.errors import ConfigError
from sesame.target import Target

_AGE_RE = re.compile(r"^(?P<n>[0-9]{1,5})(?P<unit>[dh])$")


def parse_age(text: str) -> timedelta:
    """`90d` or `36h`."""
    m = _AGE_RE.match(text.strip())
    if not m:
        raise ConfigError(
            f"--max-key-age {text!r} is not an age; fix: write days or hours, e.g. 90d or 36h"
        )
    n = int(m["n"])
    if n == 0:
        raise ConfigError(
            f"--max-key-age {text!r} is zero: every key would be too old; fix: give the age a "
            "key may reach, e.g. 90d (the SMTP guide's rotation period)"
        )
    return timedelta(days=n) if m["unit"] == "d" else timedelta(hours=n)


def prove(name: str, entry: dict[str, Any], target: Target, region: str) -> list[Check]:
    """The sender's current key used as its app uses it: SMTP AUTH, a simulator send and a
    refused foreign From (smtp); a signed SendEmail, the same sends (api)."""
    if entry["kind"] == "api":
        return api_sender_checks(name, entry, target, region, send=True)
    return sender_checks(name, entry, target, region, send=True)


def held_keys(config: Config, target: Target) -> dict[str, list[dict[str, Any]]]:
    """Per smtp/api sender, the access keys IAM holds for its user (ID, status, created)."""
    iam = aws.client("iam", config.region, target)
    out: dict[str, list[dict[str, Any]]] = {}
    for name, (_, sender) in sorted(config.senders().items()):
        if sender.kind == "role":
            continue
        got = (
            iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
            if aws.sender_user(iam, name) is not None
            else []
        )
        out[name] = [
            {"access_key_id": k["AccessKeyId"], "status": k["Status"], "created": k["CreateDate"]}
            for k in got
        ]
    return out


def generations(creds: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Access key ID -> generation, from the credentials file (IDs are not secret)."""
    out: dict[str, int] = {}
    for entry in creds.values():
        for fields in (entry, entry.get("previous") or {}):
            key_id = fields.get("SMTP_USERNAME") or fields.get("AWS_ACCESS_KEY_ID")
            if key_id and fields.get("key_generation"):
                out[key_id] = int(fields["key_generation"])
    return out


def key_rows(
    held: dict[str, list[dict[str, Any]]], creds: dict[str, dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    gens = generations(creds)
    rows = []
    for name, keys in held.items():
        current = (creds.get(name) or {}).get("key_generation")
        for k in sorted(keys, key=lambda k: k["created"]):
            generation = gens.get(k["access_key_id"])
            rows.append(
                {
                    "sender": name,
                    "access_key_id": k["access_key_id"],
                    "generation": generation,
                    "role": (
                        "current"
                        if generation is not None and generation == current
                        else ("previous" if generation is not None else "unknown to sesame")
                    ),
                    "status": k["status"],
                    "created": k["created"].astimezone(UTC).isoformat(),
                    "age_days": (now - k["created"].astimezone(UTC)).days,
                }
            )
    return rows


def age_checks(
    held: dict[str, list[dict[str, Any]]],
    creds: dict[str, dict[str, Any]],
    max_age: timedelta,
    now: datetime | None = None,
) -> list[Check]:
    """Every Active key younger than `max_age`; an older one names the command that fixes it."""
    now = now or datetime.now(UTC)
    limit = max_age.days if max_age.days else max_age / timedelta(hours=1)
    unit = "d" if max_age.days else "h"
    out = []
    for row in key_rows(held, creds, now):
        if row["status"] != "Active":
            continue
        name = row["sender"]
        age = now - datetime.fromisoformat(row["created"])
        shown = f"key {row['access_key_id'][:8]}… (generation {row['generation'] or '?'})"
        if age <= max_age:
            out.append(Check(name, "key age", True, f"{shown} is {age.days} days old"))
            continue
        if row["role"] == "previous":
            fix = f"sesame rotate --retire {name}, then plan and apply (twice: deactivate, delete)"
        else:
            fix = f"sesame rotate {name}, then plan and apply; later sesame rotate --retire {name}"
        out.append(
            Check(
                name,
                "key age",
                False,
                f"{shown} is {age.days} days old, over {limit:g}{unit}",
                "the key was not rotated in time",
                fix,
            )
        )
    return out
