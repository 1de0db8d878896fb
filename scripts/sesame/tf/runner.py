"""The plan → apply flow shared by the commands: validate, prepare, plan, apply saved plan."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sesame import aws
from sesame.config import Config
from sesame.dns import zones
from sesame.errors import FatalError
from sesame.target import Target
from sesame.tf import backend, cli_config, inputs, state
from sesame.tf.terraform import Progress, Summary, Terraform

TERRAFORM_ROOT = cli_config.REPO / "terraform"
LOCK = ".terraform.lock.hcl"


def module_sources() -> list[Path]:
    return sorted(TERRAFORM_ROOT.rglob("*.tf"))


def work_root(target: Target) -> Path:
    """The root module as Terraform runs it: links to terraform/, and its own lock file.

    The committed terraform/.terraform.lock.hcl records only hashes verifiable anywhere
    (the registry's). A provider installed from an offline build has other hashes, so
    each environment's lock starts as a copy of the committed one and Terraform records
    the build it actually installed there, never in the committed file (docs/providers.md).
    """
    root = target.workdir / "root"
    root.mkdir(mode=0o700, exist_ok=True)
    wanted = {p.name for p in TERRAFORM_ROOT.iterdir() if p.suffix == ".tf" or p.is_dir()}
    wanted -= {".terraform"}
    for link in root.iterdir():
        if link.is_symlink() and link.name not in wanted:
            link.unlink()
    for name in wanted:
        link = root / name
        if not link.is_symlink():
            link.symlink_to(TERRAFORM_ROOT / name)
    committed = TERRAFORM_ROOT / LOCK
    digest = hashlib.sha256(committed.read_bytes()).hexdigest()
    stamp = root / ".committed-lock.sha256"
    if not (root / LOCK).exists() or not stamp.exists() or stamp.read_text() != digest:
        shutil.copyfile(committed, root / LOCK)
        stamp.write_text(digest)
    return root


@dataclass
class Prepared:
    tf: Terraform
    var_file: Path
    plan_file: Path
    adopt: list[str]
    dns: zones.DnsInputs

    def restoring(self, config: Config, target: Target) -> None:
        """Rewrite the variables so adopted DNS records go back to their originals."""
        inputs.write_var_file(config, target, self.adopt, self.dns, restore=True)


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


def prepare(config: Config, target: Target, json_mode: bool = False) -> Prepared:
    rc = cli_config.default_path()
    if not rc.exists():
        raise FatalError(f"{rc}: missing; fix: run `make setup`")
    target.data_dir.mkdir(mode=0o700, exist_ok=True)
    backend_file = backend.write_files(target.workdir, config.backend, target.s3_endpoint)
    tf = Terraform(
        root=work_root(target),
        data_dir=target.data_dir,
        env=inputs.terraform_env(target, rc),
        progress=Progress(json_mode=json_mode),
    )
    tf.init(backend_file, module_sources())
    # Read-only checks next: a bad Cloudflare token or zone stops here, before any change.
    dns = zones.preflight(config, target, zones.Managed.from_outputs(state.outputs(config, target)))
    adopt = existing_identities(config, target)
    var_file = inputs.write_var_file(config, target, adopt, dns)
    return Prepared(tf=tf, var_file=var_file, plan_file=target.plan_file, adopt=adopt, dns=dns)


def plan(p: Prepared, *, destroy: bool = False) -> Summary:
    return p.tf.plan(p.plan_file, p.var_file, destroy=destroy)
