"""Where a command runs: the sandbox (default) or production (explicit).

A Target carries everything environment-specific: the private work dir, the decrypted
secrets, the endpoints, and where sender credentials are written. Production code never
imports the sandbox: `open_target` loads it lazily, and only for the sandbox.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sesame import backend, output, secrets
from sesame.config import Config
from sesame.errors import ConfigError, SecretsError
from sesame.secrets import Secrets

ENVIRONMENTS = ("sandbox", "production")
# The shipped sesame.yaml's backend.account_id: an example, never a real account.
PLACEHOLDER_ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
# The sandbox's committed (public) age key: the shipped secrets.yaml template is encrypted
# to it, so anything encrypted to it is readable by everyone and never production's.
THROWAWAY_RECIPIENT = "age1kux76nn09u3n48h9hr8euxu4vew8vjaf0qmxnh5jdzsemcun34rqvv0gn2"
# The plan-only credential set (read-only keys), opened by the plan-only age key.
PLAN_SECRETS = "secrets.plan.yaml"


@dataclass
class Target:
    name: str
    top: Path  # the directory holding sesame.yaml
    workdir: Path  # private (0700): plans, backend files, terraform data dir
    secrets: Secrets = field(repr=False)
    s3_endpoint: str
    aws_endpoints: dict[str, str]
    credentials_path: Path
    credentials_recipients: list[str]
    age_key: str | None = field(default=None, repr=False)  # None: sops finds the team key
    cloudflare_base_url: str | None = None  # None: the real Cloudflare API
    dns_nameserver: tuple[str, int] | None = None  # None: this machine's resolvers
    smtp_endpoint: tuple[str, int] | None = None  # None: email-smtp.<region>.amazonaws.com:587
    smtp_ca_pem: str | None = field(default=None, repr=False)  # None: the system's CAs
    read_only: bool = False  # the plan-only credential set: plan without the state lock

    @property
    def data_dir(self) -> Path:
        return self.workdir / "terraform-data"

    @property
    def plan_file(self) -> Path:
        """A saved plan embeds prior state (sender secrets): it lives only while a command runs."""
        return self.workdir / "plan.tfplan"


def private_dir(path: Path) -> Path:
    """Create (or tighten) a directory only its owner can enter."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def workdir_for(top: Path, name: str) -> Path:
    root = private_dir(top / ".sesame")
    return private_dir(root / name)


@contextmanager
def open_target(
    name: str, config: Config, top: Path, *, read_only: bool = False
) -> Iterator[Target]:
    """`read_only`: the plan-only set (secrets.plan.yaml in production), for plans only."""
    if name not in ENVIRONMENTS:
        raise ConfigError(f"ENV={name}: unknown environment; fix: use sandbox or production")
    workdir = workdir_for(top, name)
    try:
        with _open(name, config, top, workdir, read_only) as target:
            yield target
    finally:
        (workdir / "plan.tfplan").unlink(missing_ok=True)


def refuse_placeholders(config: Config, secrets_path: Path) -> None:
    """Production never runs on the shipped examples: the placeholder account, the template."""
    if config.backend.account_id == PLACEHOLDER_ACCOUNT_ID:
        raise ConfigError(
            f"backend.account_id is the shipped placeholder {PLACEHOLDER_ACCOUNT_ID}; fix: set "
            "it in sesame.yaml to your Cloudflare account ID (R2 overview page, 32 hex characters)"
        )
    if THROWAWAY_RECIPIENT in secrets.recipients_of(secrets_path):
        raise SecretsError(
            f"{secrets_path}: is the shipped template, encrypted to the sandbox's public "
            "throwaway key; fix: run `.venv/bin/sesame init` (your team key and a fresh "
            "secrets.yaml), then `make secrets` to fill it in"
        )


@contextmanager
def _open(name: str, config: Config, top: Path, workdir: Path, read_only: bool) -> Iterator[Target]:
    if name == "production":
        secrets_path = top / "secrets.yaml"
        loaded_path = top / PLAN_SECRETS if read_only else secrets_path
        refuse_placeholders(config, loaded_path)
        output.step(f"decrypting {loaded_path.name} (sops) ...")
        loaded = secrets.load(loaded_path)
        yield Target(
            name=name,
            top=top,
            workdir=workdir,
            secrets=loaded,
            s3_endpoint=backend.r2_endpoint(config.backend.account_id),
            aws_endpoints={},
            credentials_path=top / "credentials.yaml",
            # an exported plan is for whoever opens secrets.yaml (the apply key), never
            # for the plan-only key: its recipients are read from sops metadata, no key needed
            credentials_recipients=secrets.recipients_of(secrets_path),
            read_only=read_only,
        )
        return
    output.step("starting the sandbox: loading its stand-ins for AWS and Cloudflare ...")
    world = importlib.import_module("sesame.sandbox.world")
    with world.Sandbox(workdir, config) as sandbox:
        yield dataclasses.replace(sandbox.target(top), read_only=read_only)
