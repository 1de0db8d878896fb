from __future__ import annotations

from pathlib import Path

from sesame.checks.check import Check, show
from sesame.checks.doctor import credential_checks
from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import SecretsError


def doctor(config: Config, top: Path, env: str, *, json_mode: bool, read_only: bool = False) -> int:
    """One line per credential check; exit 1 if any fails. `read_only`: the plan-only set."""
    try:
        with open_target(env, config, top, read_only=read_only) as target:
            results = credential_checks(config, target)
    except SecretsError as exc:
        results = [Check("secrets", "age key", False, str(exc))]
    return show(results, json_mode=json_mode)
