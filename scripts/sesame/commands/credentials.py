from __future__ import annotations

from pathlib import Path

from sesame import credentials, output
from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import ConfigError, UsageError


def show(
    config: Config, top: Path, env: str, sender: str | None, *, fmt: str | None, reveal: bool
) -> int:
    """List senders (secrets masked), or export one for an app (`--reveal` shows secrets)."""
    if sender is None and (reveal or fmt is not None):
        names = sorted(s for d in config.domains.values() for s in d.senders)
        raise UsageError(
            f"--format/--reveal export one sender and none was named; fix: name one of "
            f"{', '.join(names)}, e.g. `make credentials SENDER={names[0]} "
            'ARGS="--format env --reveal"`'
        )
    with open_target(env, config, top) as target:
        creds = credentials.load(target.credentials_path, target.age_key)
    if sender is None:
        for name, entry in creds.items():
            output.write_line(f"{name}\t{entry['kind']}\t{entry['domain']}")
        return 0
    if sender not in creds:
        known = ", ".join(creds) or "none"
        raise ConfigError(f"no sender named '{sender}'; fix: use one of: {known}")
    output.write_line(credentials.render(sender, creds[sender], fmt or "env", reveal))
    return 0
