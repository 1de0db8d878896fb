"""Where each domain's Easy DKIM CNAMEs point: the zone SES states, not a table.

SES v2 returns it per identity as `DkimAttributes.SigningHostedZone` (GetEmailIdentity).
The AWS provider (5.100.0) does not expose it, so sesame reads it here and gives it to
Terraform as the variable `dkim_signing_hosted_zones`. An identity SES does not have yet
has no stated zone: its first apply uses the documented fallback (regions.dkim_host), and
the next plan follows whatever SES then states; `verify` names any disagreement.

What SES stated is recorded next to the state after each apply (sesame.tf.state,
`<backend key>.dkim.json`): the next plan asks SES only about identities with no recorded
zone or that SES does not list as verified, instead of one GetEmailIdentity per identity
per plan (Terraform's own refresh already reads each identity twice; SES meters these
reads per account, docs/scale.md).
"""

from __future__ import annotations

from typing import Any

from sesame import regions


def stated_zone(identity: dict[str, Any]) -> str | None:
    """SES's SigningHostedZone in a GetEmailIdentity response (None if it states none)."""
    zone = (identity.get("DkimAttributes") or {}).get("SigningHostedZone")
    return zone.rstrip(".").lower() if zone else None


def signing_hosted_zones(
    domains: list[str], existing: dict[str, dict[str, Any]], region: str
) -> dict[str, str]:
    """domain -> the zone its DKIM CNAMEs must point into; `existing`: domain ->
    GetEmailIdentity response of the identities SES already has."""
    zones = {}
    for domain in domains:
        zone = stated_zone(existing[domain]) if domain in existing else None
        zones[domain] = zone or regions.dkim_host(region)
    return zones


def disagreements(
    ses: Any, used: dict[str, str], stated: dict[str, str]
) -> tuple[list[str], dict[str, str]]:
    """After an apply: domains whose DKIM CNAMEs went to a zone SES does not state (a new
    identity got the documented fallback, and SES says otherwise), one line each; and
    `stated` plus what SES states for the domains it had not stated before (one
    GetEmailIdentity each; the domains in `stated` were planned with SES's own zone)."""
    lines = []
    known = {d: z for d, z in stated.items() if d in used}
    for domain, zone in sorted(used.items()):
        if domain in known:
            continue
        try:
            said = stated_zone(ses.get_email_identity(EmailIdentity=domain))
        except ses.exceptions.NotFoundException:
            continue
        if not said:
            continue
        known[domain] = said
        if said != zone:
            lines.append(
                f"{domain}: SES signs in {said}, the DKIM CNAMEs point into {zone} (SES "
                "states the zone only once the identity exists); fix: run `make apply` again"
            )
    return lines, known
