"""Discovery, before a plan: what already exists outside sesame's state.

Read-only: the zones preflight (records to keep, merge or adopt), what exists under
sesame's AWS names (sesame.tf.adoption: identities adopted, the rest refused), the zone
each domain's DKIM CNAMEs point into (SES states it; asked only for identities whose zone
no earlier apply recorded, sesame.dkim), then the variables file Terraform plans with.
Ownership comes from the state's resources (docs/ownership.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sesame import dkim, output
from sesame.config import Config
from sesame.dns import zones
from sesame.target import Target
from sesame.tf import adoption, inputs, journal, state


@dataclass
class Discovered:
    var_file: Path
    adopt: dict[str, Any]
    dns: zones.DnsInputs
    signing_zones: dict[str, str]
    stated_zones: dict[str, str]  # the subset SES stated (recorded, or read this run)
    creating: dict[str, list[str]]  # what the apply may create (sesame.tf.journal)
    stray_keys: list[tuple[str, str]]  # (user, key ID) an interrupted apply left


def dkim_tokens(existing: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """DKIM tokens of identities SES already has (their CNAME names are known before apply),
    from their GetEmailIdentity responses."""
    return {
        domain: list((identity.get("DkimAttributes") or {}).get("Tokens") or [])
        for domain, identity in existing.items()
    }


def state_dkim_tokens(held: dict[str, Any], domains: list[str]) -> dict[str, list[str]]:
    """DKIM tokens of identities in state (`held`: domain -> the identity's attributes in
    state, Terraform's record of SES's answer)."""
    tokens = {}
    for domain in domains:
        attrs = (held.get(domain) or {}).get("dkim_signing_attributes") or [{}]
        tokens[domain] = list((attrs[0] or {}).get("tokens") or [])
    return tokens


def discover(config: Config, target: Target, *, strict: bool = True) -> Discovered:
    """`strict=False`: the preflight refuses nothing that only blocks new records.

    A bad Cloudflare token or zone, a name sesame would write that the zone already uses,
    or an AWS name sesame would create that is taken, stops here, before any change."""
    output.step("preflight: reading state, asking SES which configured domains it has ...")
    doc = state.document(config, target)
    listed = adoption.existing_identities(config, target)
    # An identity in state whose zone an earlier apply recorded is not asked again while
    # SES lists it verified: its DKIM CNAMEs resolve into that zone. One SES stops
    # verifying (its zone moved, or a record was lost) is asked again.
    held = state.instances(doc, "module.aws", "aws_sesv2_email_identity", "this")
    known = state.recorded_dkim_zones(config, target) if held else {}
    carried = {
        d: known[d]
        for d, status in listed.items()
        if d in held and d in known and status == "SUCCESS"
    }
    existing = adoption.described(config, target, [d for d in listed if d not in carried])
    output.step("preflight: checking the Cloudflare token, zones and records ...")
    tokens = dkim_tokens(existing) | state_dkim_tokens(held, list(carried))
    dns = zones.preflight(config, target, state.managed_dns(doc), tokens, strict=strict)
    for line in zones.note_lines(dns.notes):
        output.status(line)
    made = journal.read(config, target)  # what an interrupted apply may have left
    others = adoption.check_others(config, target, doc, made)
    stray = adoption.stray_keys(config, target, doc, made)
    for user, key_id in stray:
        output.status(
            f"access key …{key_id[-4:]} of {user}: {adoption.STRAY_KEY}; apply deletes it"
        )
    adopt = adoption.identities(doc, existing)
    signing = dkim.signing_hosted_zones(list(config.domains), existing, config.region)
    signing.update(carried)
    stated = carried | {d: z for d, i in existing.items() if (z := dkim.stated_zone(i))}
    var_file = inputs.write_var_file(
        target,
        inputs.variables(
            config, target, adopt, dns, signing_zones=signing, aws_imports=others.imports
        ),
    )
    return Discovered(
        var_file=var_file,
        adopt=adopt,
        dns=dns,
        signing_zones=signing,
        stated_zones=stated,
        creating=others.creating,
        stray_keys=stray,
    )
