"""The plan → apply flow shared by the commands: init (backend, `terraform init`), then
discovery (sesame.tf.discovery) for the verbs that plan; read-only verbs need only init."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sesame.config import Config
from sesame.dns import zones
from sesame.errors import FatalError
from sesame.target import Target
from sesame.tf import backend, cli_config, discovery, inputs
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
    signing_zones: dict[str, str] = field(default_factory=dict)
    lock: bool = True  # False for read-only credentials, which cannot take the state lock

    def restoring(self, config: Config, target: Target) -> None:
        """Rewrite the variables so adopted DNS records go back to their originals."""
        inputs.write_var_file(
            config, target, self.adopt, self.dns, restore=True, signing_zones=self.signing_zones
        )


def init(config: Config, target: Target, json_mode: bool = False) -> Terraform:
    """The backend file and `terraform init`: all that `terraform output` needs."""
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
        secrets=tuple(target.secrets.secret_values()),
    )
    tf.init(backend_file, module_sources())
    return tf


def prepare(config: Config, target: Target, json_mode: bool = False) -> Prepared:
    """Init, then discovery (read-only: a bad Cloudflare token or zone stops here)."""
    tf = init(config, target, json_mode)
    found = discovery.discover(config, target)
    return Prepared(
        tf=tf,
        var_file=found.var_file,
        plan_file=target.plan_file,
        adopt=found.adopt,
        dns=found.dns,
        signing_zones=found.signing_zones,
        lock=not target.read_only,
    )


def plan(p: Prepared, *, destroy: bool = False, refresh_only: bool = False) -> Summary:
    return p.tf.plan(
        p.plan_file, p.var_file, destroy=destroy, lock=p.lock, refresh_only=refresh_only
    )
