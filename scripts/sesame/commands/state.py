from __future__ import annotations

from pathlib import Path

from sesame import output
from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import ConfigError, UsageError
from sesame.tf import locks
from sesame.tf.state import list_backups, restore

DOES = {"backups": "lists the backups", "unlock": "removes the lock"}


def state(
    config: Config, top: Path, env: str, action: str, backup: str | None, *, force: bool = False
) -> int:
    """`backups` lists the timestamped state copies; `restore KEY` puts one back; `unlock`
    removes the state lock when its holder is gone (or with --force)."""
    if backup is not None and action != "restore":
        raise UsageError(
            f"state {action} takes no backup key ({backup!r}); fix: `sesame state restore "
            f"{backup}` restores it, `sesame state {action}` alone {DOES[action]}"
        )
    with open_target(env, config, top) as target:
        if action == "unlock":
            output.write_line(locks.unlock(config, target, force=force))
            return 0
        if action == "backups":
            for key in list_backups(config, target):
                output.write_line(key)
            return 0
        if not backup:
            raise ConfigError("state restore needs a backup key; fix: see `sesame state backups`")
        if backup not in list_backups(config, target):
            raise ConfigError(f"no backup {backup}; fix: pick one from `sesame state backups`")
        restore(config, target, backup)
        output.write_line(f"restored {backup} as {config.backend.key}")
    return 0
