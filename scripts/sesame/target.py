"""Where a command runs: a plain description (work dir, secrets, endpoints, where sender
credentials go). `sesame.environments` opens one, for production or the sandbox."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sesame.secrets import PLAN_FILE, Secrets

ENVIRONMENTS = ("sandbox", "production")
# The shipped sesame.yaml's backend.account_id: an example, never a real account.
PLACEHOLDER_ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
# The sandbox's committed (public) age key: the shipped secrets.yaml template is encrypted
# to it, so anything encrypted to it is readable by everyone and never production's.
THROWAWAY_RECIPIENT = "age1kux76nn09u3n48h9hr8euxu4vew8vjaf0qmxnh5jdzsemcun34rqvv0gn2"
# The plan-only credential set (read-only keys), opened by the plan-only age key.
PLAN_SECRETS = PLAN_FILE


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
    aws_max_retries: int | None = None  # None: the AWS provider's default (25 attempts)
    ses_write_rate: float | None = None  # SES v2 writes/s when known: sizes -parallelism
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
