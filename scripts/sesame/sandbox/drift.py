"""Drift the way a console edit makes it: over the stand-ins' own APIs, with the operator's
credentials, while a sandbox is open (`with world.Sandbox(...) as sb: drift.edit_record(sb, ...)`).
"""

from __future__ import annotations

import json
import urllib.request
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from sesame.sandbox.world import Sandbox


def _cloudflare(sb: Sandbox, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    token = sb.secrets.get("CLOUDFLARE_API_TOKEN")
    request = urllib.request.Request(
        f"{sb.cloudflare_url}{path}",
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        data=json.dumps(body).encode() if body is not None else None,
    )
    with urllib.request.urlopen(request, timeout=15) as got:
        return json.load(got)["result"]


def edit_record(sb: Sandbox, zone: str, name: str, rtype: str, content: str) -> str:
    """A record's content changed in the Cloudflare dashboard; returns the record ID."""
    zones = _cloudflare(sb, "GET", f"/zones?name={zone}")
    zone_id = zones[0]["id"]
    records = _cloudflare(sb, "GET", f"/zones/{zone_id}/dns_records?name={name}&type={rtype}")
    record_id = records[0]["id"]
    _cloudflare(sb, "PATCH", f"/zones/{zone_id}/dns_records/{record_id}", {"content": content})
    return str(record_id)


def widen_policy(sb: Sandbox, user: str) -> str:
    """A sender's inline policy opened to every SES action on every resource in IAM's console."""
    iam = sb.client("iam")
    name = iam.list_user_policies(UserName=user)["PolicyNames"][0]
    wide = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ses:*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=json.dumps(wide))
    return str(name)


def disable_dkim(sb: Sandbox, domain: str) -> None:
    """DKIM signing switched off for a domain in the SES console."""
    target = sb.target(sb.workdir)
    ses = boto3.client(
        "sesv2",
        endpoint_url=target.aws_endpoints["sesv2"],
        region_name=sb.config.region,
        aws_access_key_id=sb.secrets.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=sb.secrets.get("AWS_SECRET_ACCESS_KEY"),
    )
    ses.put_email_identity_dkim_attributes(EmailIdentity=domain, SigningEnabled=False)
