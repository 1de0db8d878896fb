"""The plan → apply flow shared by the commands: validate, prepare, plan, apply saved plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from sesame import backend, cli_config, inputs
from sesame.config import Config
from sesame.errors import FatalError
from sesame.target import Target
from sesame.terraform import Progress, Summary, Terraform

TERRAFORM_ROOT = cli_config.REPO / "terraform"


@dataclass
class Prepared:
    tf: Terraform
    var_file: Path
    plan_file: Path


def existing_identities(config: Config, target: Target) -> list[str]:
    """Configured domains SES already has: adopted with an import block, not re-created."""
    kwargs: dict[str, Any] = {"region_name": config.region}
    if target.secrets.get("AWS_ACCESS_KEY_ID"):
        kwargs["aws_access_key_id"] = target.secrets.get("AWS_ACCESS_KEY_ID")
        kwargs["aws_secret_access_key"] = target.secrets.get("AWS_SECRET_ACCESS_KEY")
    if "sesv2" in target.aws_endpoints:
        kwargs["endpoint_url"] = target.aws_endpoints["sesv2"]
    ses = boto3.client("sesv2", **kwargs)
    found: set[str] = set()
    kwargs = {"PageSize": 1000}
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
        root=TERRAFORM_ROOT,
        data_dir=target.data_dir,
        env=inputs.terraform_env(target, rc),
        progress=Progress(json_mode=json_mode),
    )
    tf.init(backend_file)
    adopt = existing_identities(config, target)
    var_file = inputs.write_var_file(config, target, adopt)
    return Prepared(tf=tf, var_file=var_file, plan_file=target.plan_file)


def plan(p: Prepared, *, destroy: bool = False) -> Summary:
    return p.tf.plan(p.plan_file, p.var_file, destroy=destroy)
