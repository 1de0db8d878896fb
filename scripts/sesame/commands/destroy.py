from __future__ import annotations

from pathlib import Path

from sesame import output, runner, state
from sesame.config import Config
from sesame.errors import ConfigError
from sesame.target import open_target


def destroy(config: Config, top: Path, env: str, *, json_mode: bool, yes: bool) -> int:
    """Plan a destroy of everything sesame made and apply it (production needs --yes)."""
    if env == "production" and not yes:
        raise ConfigError(
            "destroy in production removes every identity, sender and key; fix: add --yes"
        )
    with open_target(env, config, top) as target:
        prepared = runner.prepare(config, target, json_mode=json_mode)
        summary = runner.plan(prepared, destroy=True)
        if summary.changes:
            saved = state.backup(config, target)
            if saved:
                output.status(f"state backed up to {saved}")
            summary = prepared.tf.apply(prepared.plan_file)
        target.credentials_path.unlink(missing_ok=True)
    if not json_mode:
        output.write_line(f"{env}: destroyed {summary.remove} resource(s)")
    return 0
