"""Discovery, before a plan: what already exists outside sesame's state.

Read-only: the zones preflight (records to keep, merge or adopt), the SES identities to
adopt with an import block, the zone each domain's DKIM CNAMEs point into (SES states it),
then the variables file Terraform plans with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sesame import aws, dkim
from sesame.config import Config
from sesame.dns import zones
from sesame.target import Target
from sesame.tf import inputs, state


@dataclass
class Discovered:
    var_file: Path
    adopt: list[str]
    dns: zones.DnsInputs
    signing_zones: dict[str, str]


def existing_identities(config: Config, target: Target) -> list[str]:
    """Configured domains SES already has: adopted with an import block, not re-created."""
    ses = aws.client("sesv2", config.region, target)
    found: set[str] = set()
    kwargs: dict[str, Any] = {"PageSize": 1000}
    while True:
        page = ses.list_email_identities(**kwargs)
        found |= {i["IdentityName"] for i in page.get("EmailIdentities", [])}
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    return sorted(found & set(config.domains))


def discover(config: Config, target: Target) -> Discovered:
    dns = zones.preflight(config, target, zones.Managed.from_outputs(state.outputs(config, target)))
    adopt = existing_identities(config, target)
    ses = aws.client("sesv2", config.region, target)
    signing = dkim.signing_hosted_zones(ses, list(config.domains), adopt, config.region)
    var_file = inputs.write_var_file(config, target, adopt, dns, signing_zones=signing)
    return Discovered(var_file=var_file, adopt=adopt, dns=dns, signing_zones=signing)
