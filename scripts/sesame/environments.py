"""Open a Target: production here, the sandbox through its wing.

This sits above both: the sandbox imports only downward (config, errors, the Target
type), and no production module imports the sandbox. The sandbox's third-party stack
(moto, Flask, aiosmtpd) is the optional `[sandbox]` extra; without it, asking for the
sandbox is a one-line error naming the fix.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sesame import output, secrets, worklock
from sesame.config import Config
from sesame.errors import ConfigError, FatalError, SecretsError
from sesame.target import (
    ENVIRONMENTS,
    PLACEHOLDER_ACCOUNT_ID,
    PLAN_SECRETS,
    THROWAWAY_RECIPIENT,
    Target,
    workdir_for,
)
from sesame.tf import backend


def sandbox_module(name: str = "world") -> Any:
    """A module of the sandbox wing (`world`, `seeding`), loaded only when asked for."""
    try:
        return importlib.import_module(f"sesame.sandbox.{name}")
    except ModuleNotFoundError as exc:
        if (exc.name or "sesame").startswith("sesame"):
            raise
        raise FatalError(
            f"the sandbox needs {exc.name}, which is not installed; fix: run `make setup` "
            "(or pip install -e '.[sandbox]'), or use --env production"
        ) from None


@contextmanager
def open_target(
    name: str, config: Config, top: Path, *, read_only: bool = False
) -> Iterator[Target]:
    """`read_only`: the plan-only set (secrets.plan.yaml in production), for plans only."""
    if name not in ENVIRONMENTS:
        raise ConfigError(f"ENV={name}: unknown environment; fix: use sandbox or production")
    workdir = workdir_for(top, name)
    # One command per checkout and environment, taken before anything else (the sandbox's
    # ports and saved world included); a plan file a killed run left (it holds state) goes.
    with worklock.hold(workdir, worklock.command_name(), name):
        try:
            (workdir / "plan.tfplan").unlink(missing_ok=True)
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
            "secrets.yaml; `--force` if .sops.yaml is already there), then `make secrets` "
            "to fill it in"
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
    world = sandbox_module()
    with world.Sandbox(workdir, config) as sandbox:
        yield sandbox.target(top, read_only=read_only)
