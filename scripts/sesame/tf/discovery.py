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

from sesame import aws, dkim
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


def discover(config: Config, target: Target) -> Discovered:
    doc = state.document(config, target)
    dns = zones.preflight(config, target, state.managed_dns(doc))
    adoption.check_others(config, target, doc)
    existing = adoption.existing_identities(config, target)
    adopt = adoption.identities(config, target, doc, existing)
    ses = aws.client("sesv2", config.region, target)
    signing = dkim.signing_hosted_zones(ses, list(config.domains), existing, config.region)
    var_file = inputs.write_var_file(config, target, adopt, dns, signing_zones=signing)
    return Discovered(var_file=var_file, adopt=adopt, dns=dns, signing_zones=signing)
