"""Where a command runs: the sandbox (default) or production (explicit).

A Target carries everything environment-specific: the private work dir, the decrypted
secrets, the endpoints, and where sender credentials are written. Production code never
imports the sandbox: `open_target` loads it lazily, and only for the sandbox.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sesame import secrets
from sesame.config import Config
from sesame.errors import ConfigError
from sesame.secrets import Secrets
from sesame.tf import backend

ENVIRONMENTS = ("sandbox", "production")


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
def open_target(name: str, config: Config, top: Path) -> Iterator[Target]:
    if name not in ENVIRONMENTS:
        raise ConfigError(f"ENV={name}: unknown environment; fix: use sandbox or production")
    workdir = workdir_for(top, name)
    try:
        with _open(name, config, top, workdir) as target:
            yield target
    finally:
        (workdir / "plan.tfplan").unlink(missing_ok=True)


@contextmanager
def _open(name: str, config: Config, top: Path, workdir: Path) -> Iterator[Target]:
    if name == "production":
        secrets_path = top / "secrets.yaml"
        loaded = secrets.load(secrets_path)
        yield Target(
            name=name,
            top=top,
            workdir=workdir,
            secrets=loaded,
            s3_endpoint=backend.r2_endpoint(config.backend.account_id),
            aws_endpoints={},
            credentials_path=top / "credentials.yaml",
            credentials_recipients=secrets.recipients_of(secrets_path),
        )
        return
    world = importlib.import_module("sesame.sandbox.world")
    with world.Sandbox(workdir, config) as sandbox:
        yield sandbox.target(top)
