"""Discovery, before a plan: what already exists outside sesame's state.

Read-only: the zones preflight (records to keep, merge or adopt), what exists under
sesame's AWS names (sesame.tf.adoption: identities adopted, the rest refused), the zone
each domain's DKIM CNAMEs point into (SES states it), then the variables file Terraform
plans with. Ownership comes from the state's resources (docs/ownership.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sesame import dkim, output
from sesame.config import Config
from sesame.dns import zones
from sesame.target import Target
from sesame.tf import adoption, inputs, state


@dataclass
class Discovered:
    var_file: Path
    adopt: dict[str, Any]
    dns: zones.DnsInputs
    signing_zones: dict[str, str]


def dkim_tokens(existing: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """DKIM tokens of identities SES already has (their CNAME names are known before apply),
    from their GetEmailIdentity responses."""
    return {
        domain: list((identity.get("DkimAttributes") or {}).get("Tokens") or [])
        for domain, identity in existing.items()
    }


def discover(config: Config, target: Target, *, strict: bool = True) -> Discovered:
    """`strict=False`: the preflight refuses nothing that only blocks new records.

    A bad Cloudflare token or zone, a name sesame would write that the zone already uses,
    or an AWS name sesame would create that is taken, stops here, before any change."""
    output.step("preflight: reading state, asking SES which configured domains it has ...")
    doc = state.document(config, target)
    existing = adoption.described(config, target, adoption.existing_identities(config, target))
    output.step("preflight: checking the Cloudflare token, zones and records ...")
    tokens = dkim_tokens(existing)
    dns = zones.preflight(config, target, state.managed_dns(doc), tokens, strict=strict)
    for line in zones.note_lines(dns.notes):
        output.status(line)
    adoption.check_others(config, target, doc)
    adopt = adoption.identities(doc, existing)
    signing = dkim.signing_hosted_zones(list(config.domains), existing, config.region)
    var_file = inputs.write_var_file(
        target, inputs.variables(config, target, adopt, dns, signing_zones=signing)
    )
    return Discovered(var_file=var_file, adopt=adopt, dns=dns, signing_zones=signing)
