"""Drift Terraform cannot see: settings SES keeps that no resource of the AWS provider
reads back. `sesame drift` adds these to what the refresh-only plan found."""

from __future__ import annotations

from typing import Any

from sesame import aws
from sesame.config import Config
from sesame.target import Target


def ses_untracked(config: Config, target: Target) -> list[dict[str, Any]]:
    """DKIM signing switched off on a domain (aws_sesv2_email_identity does not read
    SigningEnabled, so a refresh never notices)."""
    ses = aws.client("sesv2", config.region, target)
    out = []
    for domain in config.domains:
        try:
            got = ses.get_email_identity(EmailIdentity=domain)
        except ses.exceptions.NotFoundException:
            continue  # not made yet: a plan's business, not drift
        if (got.get("DkimAttributes") or {}).get("SigningEnabled") is False:
            out.append(
                {
                    "address": f"ses:{domain}/dkim",
                    "action": "update",
                    "attributes": ["SigningEnabled"],
                    "changes": [{"label": "DKIM signing", "old": "enabled", "new": "disabled"}],
                    "before": {"SigningEnabled": True},
                    "after": {"SigningEnabled": False},
                    "notice": f"receivers of {domain}'s mail: it is no longer DKIM-signed, "
                    "so DMARC rests on SPF alone",
                    "fix": "sign again (Terraform does not track it): aws sesv2 "
                    f"put-email-identity-dkim-attributes --email-identity {domain} "
                    "--signing-enabled",
                }
            )
    return out
