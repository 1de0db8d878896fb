"""Sender credentials: built from Terraform's outputs, kept sops-encrypted in credentials.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from sesame import names, regions, secrets
from sesame.errors import ConfigError
from sesame.smtp import smtp_password_v4

FORMATS = ("env", "yaml", "json", "k8s")

MASK = "********"  # what a secret value shows as without --reveal


def _key_fields(kind: str, key: dict[str, Any], region: str) -> dict[str, Any]:
    """The fields an app reads for one access key: SMTP user/password, or the API key pair."""
    if kind == "smtp":
        return {
            "SMTP_USERNAME": key["access_key_id"],
            "SMTP_PASSWORD": smtp_password_v4(key["secret_access_key"], region),
        }
    return {
        "AWS_ACCESS_KEY_ID": key["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": key["secret_access_key"],
    }


def build(outputs: dict[str, Any], region: str) -> dict[str, dict[str, Any]]:
    """Every sender's credentials, from `terraform output` values (in memory): the current
    key, and while a rotation is under way the previous one (apps switch at their pace)."""
    senders: dict[str, Any] = outputs.get("senders") or {}
    keys: dict[str, Any] = outputs.get("sender_secrets") or {}
    out: dict[str, dict[str, Any]] = {}
    for name, s in sorted(senders.items()):
        from_address = names.from_address(s["from"]) or s["from"][0]
        entry: dict[str, Any] = {"kind": s["kind"], "domain": s["domain"], "from": s["from"]}
        if s["kind"] == "smtp":
            entry.update(
                SMTP_HOST=regions.smtp_host(region),
                SMTP_PORTS=[587, 465],
                **_key_fields("smtp", keys[name], region),
                SMTP_FROM=from_address,
            )
        elif s["kind"] == "api":
            entry.update(
                **_key_fields("api", keys[name], region),
                AWS_REGION=region,
                AWS_SES_FROM_EMAIL=from_address,
            )
        else:
            entry.update(IAM_ROLE=s["role"], AWS_REGION=region, AWS_SES_FROM_EMAIL=from_address)
        held = s.get("keys") or {}
        if held.get("current"):
            entry["key_generation"] = held["current"]["generation"]
        previous = (keys.get(name) or {}).get("previous")
        if previous and held.get("previous"):
            entry["previous"] = {
                "key_generation": held["previous"]["generation"],
                "status": held["previous"]["status"],
                **_key_fields(s["kind"], previous, region),
            }
        out[name] = entry
    return out


def secret_values(creds: dict[str, dict[str, Any]]) -> list[str]:
    values = []
    for entry in creds.values():
        for fields in (entry, entry.get("previous") or {}):
            values += [str(v) for k, v in fields.items() if k in _SECRET_FIELDS]
    return values


def save(creds: dict[str, dict[str, Any]], path: Path, recipients: list[str]) -> None:
    secrets.encrypt({"senders": creds}, path, recipients)


def load(path: Path, age_key: str | None) -> dict[str, dict[str, Any]]:
    if not path.exists():
        raise ConfigError(f"{path}: no credentials yet; fix: run `make apply` first")
    return secrets.decrypt(path, age_key).get("senders") or {}


_SECRET_FIELDS = ("SMTP_PASSWORD", "AWS_SECRET_ACCESS_KEY")


def render(name: str, entry: dict[str, Any], fmt: str, reveal: bool) -> str:
    """One sender for an app; secret fields masked unless `reveal`."""
    shown = _masked(entry, reveal)
    if fmt == "json":
        return json.dumps({name: shown}, indent=2, sort_keys=True)
    if fmt == "yaml":
        return yaml.safe_dump({name: shown}, sort_keys=True).rstrip()
    lines = []
    for k, v in shown.items():
        if k.isupper():
            value = ",".join(map(str, v)) if isinstance(v, list) else str(v)
            lines.append(f"{k}={_shell_quote(value)}")
    return "\n".join(lines)


def render_app(
    name: str,
    named: dict[str, str | None],
    previous: dict[str, str | None] | None,
    secret_names: set[str],
    fmt: str,
    reveal: bool,
) -> str:
    """One sender under its app's names (sesame.exports); `k8s` is a Secret manifest."""

    def shown(values: dict[str, str | None]) -> dict[str, str | None]:
        return {k: (v if reveal or k not in secret_names else MASK) for k, v in values.items()}

    current = shown(named)
    if fmt == "env":
        return "\n".join(f"{k}={_shell_quote(v or '')}" for k, v in current.items())
    if fmt == "k8s":
        data = dict(current)
        if previous:  # while a rotation keeps it, the app may fall back to it
            data.update({f"PREVIOUS_{k}": v for k, v in shown(previous).items()})
        manifest = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": _k8s_name(name),
                "labels": {"app.kubernetes.io/managed-by": "sesame"},
            },
            "type": "Opaque",
            "stringData": data,
        }
        return yaml.safe_dump(manifest, sort_keys=False).rstrip()
    doc: dict[str, Any] = dict(current)
    if previous:
        doc["previous"] = shown(previous)
    if fmt == "json":
        return json.dumps({name: doc}, indent=2, sort_keys=True)
    return yaml.safe_dump({name: doc}, sort_keys=True).rstrip()


def _k8s_name(sender: str) -> str:
    """A DNS-1123 name for the Secret: lowercase, other characters as '-'."""
    cleaned = "".join(c if c.isalnum() else "-" for c in sender.lower()).strip("-")
    return f"ses-{cleaned}"[:253]


def _masked(entry: dict[str, Any], reveal: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in entry.items():
        if isinstance(v, dict):
            out[k] = _masked(v, reveal)
        else:
            out[k] = v if reveal or k not in _SECRET_FIELDS else MASK
    return out


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"
