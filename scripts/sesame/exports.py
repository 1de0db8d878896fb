"""A sender's credentials under the names its app reads (docs/credentials.md).

Each sender may name an export in sesame.yaml: a preset for the apps of the seed guides,
or explicit `names` (the app's variable -> sesame's field), or both (names override). The
fields are those of credentials.yaml: SMTP_HOST, SMTP_PORTS (`587,465`), SMTP_USERNAME,
SMTP_PASSWORD, SMTP_FROM (smtp), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SES_FROM_EMAIL
(api), AWS_REGION.
"""

from __future__ import annotations

from typing import Any

SMTP_FIELDS = (
    "SMTP_HOST",
    "SMTP_PORTS",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_FROM",
    "AWS_REGION",
)
API_FIELDS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SES_FROM_EMAIL", "AWS_REGION")
SECRET_FIELDS = ("SMTP_PASSWORD", "AWS_SECRET_ACCESS_KEY")

# app variable -> sesame field, per preset; the kind each preset is for.
PRESETS: dict[str, tuple[str, dict[str, str]]] = {
    # Seed guide 004 (SMTP): the Rails app's Action Mailer settings.
    "rails-smtp": (
        "smtp",
        {
            "AWS_SES_SMTP_USERNAME": "SMTP_USERNAME",
            "AWS_SES_SMTP_PASSWORD": "SMTP_PASSWORD",
            "AWS_SES_SMTP_ADDRESS": "SMTP_HOST",
            "AWS_SES_REGION": "AWS_REGION",
            "DEFAULT_FROM_EMAIL": "SMTP_FROM",
        },
    ),
    # Seed guide 003: a platform configured through AWS_SDK_* variables.
    "aws-sdk": (
        "api",
        {
            "AWS_SDK_REGION": "AWS_REGION",
            "AWS_SDK_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID",
            "AWS_SDK_SECRET_ACCESS_KEY": "AWS_SECRET_ACCESS_KEY",
        },
    ),
    # Seed guide 001: the AWS SDK's default variables plus the From address.
    "aws-default": (
        "api",
        {
            "AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY": "AWS_SECRET_ACCESS_KEY",
            "AWS_REGION": "AWS_REGION",
            "AWS_SES_FROM_EMAIL": "AWS_SES_FROM_EMAIL",
        },
    ),
}


def fields_for(kind: str) -> tuple[str, ...]:
    return SMTP_FIELDS if kind == "smtp" else API_FIELDS


def mapping(kind: str, preset: str | None, names: dict[str, str]) -> dict[str, str]:
    """App variable -> sesame field; without preset or names, sesame's own field names."""
    out = dict(PRESETS[preset][1]) if preset else {}
    out.update(names)
    return out or {f: f for f in fields_for(kind)}


def values(entry: dict[str, Any], region: str, names: dict[str, str]) -> dict[str, str | None]:
    """The app's variables for one key's fields (current entry, or its `previous` merged)."""
    fields = {**entry, "AWS_REGION": region}
    return {app: _text(fields.get(field)) for app, field in names.items()}


def previous_values(
    entry: dict[str, Any], region: str, names: dict[str, str]
) -> dict[str, str | None] | None:
    """The same variables for the previous key while a rotation keeps it, else None."""
    if not entry.get("previous"):
        return None
    return values({**entry, **entry["previous"]}, region, names)


def is_secret(names: dict[str, str], app: str) -> bool:
    return names.get(app) in SECRET_FIELDS


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)
