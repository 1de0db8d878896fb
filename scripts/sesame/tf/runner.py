"""The plan → apply flow shared by the commands: init (backend, `terraform init`), then
discovery (sesame.tf.discovery) for the verbs that plan; read-only verbs need only init."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sesame import credentials, output
from sesame.config import Config
from sesame.dns import zones
from sesame.errors import FatalError
from sesame.target import Target
from sesame.tf import backend, cli_config, discovery, inputs, locks, parallelism
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


def known_secrets(target: Target) -> list[str]:
    """Every secret value sesame holds: masked in reports even if Terraform does not mark it."""
    values = target.secrets.secret_values()
    # The plan-only key cannot open credentials.yaml (and must not): Terraform's sensitive
    # marks mask sender secrets in its report.
    if target.credentials_path.exists() and not target.read_only:
        values += credentials.secret_values(
            credentials.load(target.credentials_path, target.age_key)
        )
    return values


@dataclass
class Prepared:
    tf: Terraform
    var_file: Path
    plan_file: Path
    adopt: dict[str, Any]
    dns: zones.DnsInputs
    target: Target = field(repr=False)
    signing_zones: dict[str, str] = field(default_factory=dict)
    stated_zones: dict[str, str] = field(default_factory=dict)  # those SES stated
    creating: dict[str, list[str]] = field(default_factory=dict)  # sesame.tf.journal
    stray_keys: list[tuple[str, str]] = field(default_factory=list)  # deleted by apply
    lock: bool = True  # False for read-only credentials, which cannot take the state lock
    json_mode: bool = False
    report: dict[str, Any] | None = None  # the last plan's report model, when it was built


def init(config: Config, target: Target, json_mode: bool = False, *, sharing: int = 1) -> Terraform:
    """The backend file and `terraform init`: all that a terraform command on the state needs.
    `sharing`: how many runs (shards) share the account's SES write rate at once."""
    rc = cli_config.default_path()
    if not rc.exists():
        raise FatalError(f"{rc}: missing; fix: run `make setup`")
    target.data_dir.mkdir(mode=0o700, exist_ok=True)
    backend_file = backend.write_files(target.workdir, config.backend, target.s3_endpoint)
    tf = Terraform(
        root=work_root(target),
        data_dir=target.data_dir,
        env=inputs.terraform_env(target, rc),
        variables=inputs.provider_variables(target),
        backend_credentials=inputs.backend_credentials(target),
        progress=Progress(json_mode=json_mode),
        secrets=tuple(target.secrets.secret_values()),
        parallelism=max(
            1,
            parallelism.for_ses_write_rate(target.ses_write_rate, target.aws_max_retries)
            // max(1, sharing),
        ),
        locked_line=lambda: locks.locked_line(config, target),
    )
    tf.init(backend_file, module_sources(), target.s3_endpoint)
    locks.recover(config, target, tf)
    return tf


def prepare(
    config: Config,
    target: Target,
    json_mode: bool = False,
    *,
    strict: bool = True,
    sharing: int = 1,
) -> Prepared:
    """Init, then discovery (read-only: a bad Cloudflare token or zone stops here).
    `strict=False` (destroy): the preflight refuses nothing that only blocks new records."""
    tf = init(config, target, json_mode, sharing=sharing)
    found = discovery.discover(config, target, strict=strict)
    return Prepared(
        tf=tf,
        var_file=found.var_file,
        plan_file=target.plan_file,
        adopt=found.adopt,
        dns=found.dns,
        signing_zones=found.signing_zones,
        stated_zones=found.stated_zones,
        creating=found.creating,
        stray_keys=found.stray_keys,
        lock=not target.read_only,
        target=target,
        json_mode=json_mode,
    )


def build_report(p: Prepared) -> dict[str, Any]:
    """The report model of the saved plan (masked; sesame.report.model), kept on `p`."""
    from sesame import report

    p.report = report.build(
        p.tf.show_json(p.plan_file),
        report.plan_file_facts(p.plan_file),
        known_secrets(p.target),
        report.provenance(p.target.name, p.target.top),
    )
    return p.report


def plan(p: Prepared, *, destroy: bool = False, refresh_only: bool = False) -> Summary:
    """Plan into the saved plan file; people see each planned change once, sorted, with
    old → new for DNS records and sender policies, then what changed outside sesame."""
    output.step("planning (terraform plan: refresh, then compare with the configuration) ...")
    summary = p.tf.plan(
        p.plan_file, p.var_file, destroy=destroy, lock=p.lock, refresh_only=refresh_only
    )
    p.report = None
    if p.json_mode:
        return summary
    from sesame.report import terminal

    if terminal.needs_report(summary.planned, summary.drift):
        build_report(p)
    drift = p.report["drift"] if p.report else []
    for line in terminal.planned_lines(summary.planned, p.report) + terminal.drift_lines(drift):
        output.status(line)
    output.status(f"{output.elapsed()} {summary.message}")
    return summary
