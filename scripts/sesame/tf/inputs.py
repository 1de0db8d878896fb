"""What Terraform is given: non-secret variables in a file, an environment with no secret
in it, the providers' credentials as ephemeral variables read from a pipe, and R2's keys
served to the backend's credential_process (sesame.tf.backend). docs/state.md says why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sesame import dkim, process, rotation
from sesame.config import Config, Sender
from sesame.dns.zones import DnsInputs
from sesame.target import Target
from sesame.tf import backend

# Never inherited by terraform: the provider's default chain and the S3 backend would
# both read them, and R2's keys must only reach the backend (through sesame.tf.backend).
_STRIPPED = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
)
TF_SERVICES = ("cloudwatch", "iam", "sesv2", "sns", "sts")  # terraform/providers.tf endpoints
_STRIPPED_PREFIXES = ("TF_VAR_", "SOPS_", "SESAME_", "CLOUDFLARE_")


def variables(
    config: Config,
    target: Target,
    adopt: dict[str, Any],
    dns: DnsInputs,
    restore: bool = False,
    signing_zones: dict[str, str] | None = None,
    aws_imports: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The root module's variables (terraform/variables.tf) for this configuration and
    target; no secret among them (those travel in `terraform_env`)."""
    keys = rotation.load(target.top)
    domains = {}
    for name, d in config.domains.items():
        domains[name] = {
            "mail_from_subdomain": d.mail_from,
            "behavior_on_mx_failure": d.behavior_on_mx_failure,
            "dmarc": d.dmarc.model_dump(exclude={"existing"}),
            "senders": {s: _sender(v, keys.get(s)) for s, v in d.senders.items()},
        }
    return {
        "region": config.region,
        "tags": config.tags,
        "domains": domains,
        "alarms": config.alarms.model_dump(),
        "shard": config.shard,  # None: one state holds everything (sesame.shards)
        "account_resources": config.account_resources,
        "adopt_identities": adopt,
        # what an interrupted apply made outside state (sesame.tf.journal)
        "aws_imports": aws_imports or {},
        # where each domain's DKIM CNAMEs point, as SES states it (sesame.dkim)
        "dkim_signing_hosted_zones": signing_zones
        or dkim.signing_hosted_zones(list(config.domains), {}, config.region),
        # Only the services Terraform manages (sesame's own calls reach others, e.g. SSM).
        "aws_endpoints": {k: v for k, v in target.aws_endpoints.items() if k in TF_SERVICES},
        "aws_max_retries": target.aws_max_retries,
        "dns": dns.dns,
        "dns_imports": dns.imports,
        "restore_originals": restore,
        "cloudflare_base_url": target.cloudflare_base_url,
    }


def _sender(sender: Sender, keys: rotation.Keys | None) -> dict[str, Any]:
    k = keys or rotation.Keys()
    if sender.kind == "role":
        k = rotation.Keys()  # nothing to rotate; `sesame rotate` says so
    return {
        "kind": sender.kind,
        "from": sender.from_,
        "role": sender.role,
        "key_generation": k.generation,
        "previous_key": k.previous,
    }


def write_var_file(target: Target, values: dict[str, Any]) -> Path:
    """`variables`' values where terraform reads them (-var-file), in the private work dir."""
    path = target.workdir / "inputs.tfvars.json"
    path.write_text(json.dumps(values, indent=2, sort_keys=True))
    return path


def terraform_env(target: Target, cli_config: Path) -> dict[str, str]:
    """terraform's environment: this one's without credentials of any kind, plus its
    settings. It holds no secret because Terraform passes its whole environment to every
    provider plugin and credential helper it starts."""
    return process.environment(
        drop=_STRIPPED,
        drop_prefixes=_STRIPPED_PREFIXES,
        TF_CLI_CONFIG_FILE=str(cli_config),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )


def provider_variables(target: Target) -> dict[str, str]:
    """The providers' credentials, as terraform/variables.tf's ephemeral variables (kept
    out of saved plans and state by Terraform >= 1.10); absent AWS keys mean the AWS
    provider's default chain (an instance role)."""
    s = target.secrets
    found = {}
    if s.get("AWS_ACCESS_KEY_ID"):
        found["aws_access_key_id"] = s.get("AWS_ACCESS_KEY_ID")
        found["aws_secret_access_key"] = s.get("AWS_SECRET_ACCESS_KEY")
    if s.get("CLOUDFLARE_API_TOKEN"):
        found["cloudflare_api_token"] = s.get("CLOUDFLARE_API_TOKEN")
    return found


def hcl_var_file(values: dict[str, str]) -> bytes:
    """`values` as a .tfvars file in HCL native syntax (a piped file has no .json name,
    so Terraform parses HCL): JSON string escapes are HCL's, and `${`/`%{` are escaped as
    `$${`/`%%{` so a value is never read as a template (HCL native syntax spec, "Template
    Literals")."""
    lines = []
    for name, value in sorted(values.items()):
        literal = json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")
        lines.append(f"{name} = {literal}\n")
    return "".join(lines).encode()


def backend_credentials(target: Target) -> backend.Credentials | None:
    """R2's keys for the S3 backend, or None when secrets.yaml has none."""
    s = target.secrets
    if not s.get("R2_ACCESS_KEY_ID"):
        return None
    return backend.Credentials(s.get("R2_ACCESS_KEY_ID"), s.get("R2_SECRET_ACCESS_KEY"))
