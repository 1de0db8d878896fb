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

from sesame import secrets, worklock
from sesame.config import Config
from sesame.errors import ConfigError, FatalError
from sesame.target import ENVIRONMENTS, Target, workdir_for
from sesame.tf import backend


@contextmanager
def open_target(name: str, config: Config, top: Path) -> Iterator[Target]:
    if name not in ENVIRONMENTS:
        raise ConfigError(f"ENV={name}: unknown environment; fix: use sandbox or production")
    workdir = workdir_for(top, name)
    # One command per checkout and environment, taken before anything else (the sandbox's
    # ports and saved world included); a plan file a killed run left (it holds state) goes.
    with worklock.hold(workdir, worklock.command_name(), name):
        try:
            (workdir / "plan.tfplan").unlink(missing_ok=True)
            with _open(name, config, top, workdir) as target:
                yield target
        finally:
            (workdir / "plan.tfplan").unlink(missing_ok=True)


def production(config: Config, top: Path, workdir: Path) -> Target:
    secrets_path = top / "secrets.yaml"
    return Target(
        name="production",
        top=top,
        workdir=workdir,
        secrets=secrets.load(secrets_path),
        s3_endpoint=backend.r2_endpoint(config.backend.account_id),
        aws_endpoints={},
        credentials_path=top / "credentials.yaml",
        credentials_recipients=secrets.recipients_of(secrets_path),
    )


def sandbox_world() -> object:
    """The sandbox wing, loaded only when asked for."""
    try:
        return importlib.import_module("sesame.sandbox.world")
    except ModuleNotFoundError as exc:
        if (exc.name or "sesame").startswith("sesame"):
            raise
        raise FatalError(
            f"the sandbox needs {exc.name}, which is not installed; fix: run `make setup` "
            "(or pip install -e '.[sandbox]'), or use --env production"
        ) from None


@contextmanager
def _open(name: str, config: Config, top: Path, workdir: Path) -> Iterator[Target]:
    if name == "production":
        yield production(config, top, workdir)
        return
    world = sandbox_world()
    with world.Sandbox(workdir, config) as sandbox:  # type: ignore[attr-defined]
        yield sandbox.target(top)
