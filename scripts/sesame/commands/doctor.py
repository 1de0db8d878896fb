from __future__ import annotations

from pathlib import Path

from sesame import output
from sesame.checks import doctor as checks_
from sesame.checks.verify import Check, as_json
from sesame.config import Config
from sesame.errors import SecretsError
from sesame.target import open_target


def doctor(config: Config, top: Path, env: str, *, json_mode: bool) -> int:
    """One line per credential check; exit 1 if any fails."""
    try:
        with open_target(env, config, top) as target:
            results = checks_.run(config, target)
    except SecretsError as exc:
        results = [Check("secrets", "age key", False, str(exc))]
    failed = [c for c in results if not c.ok]
    if json_mode:
        output.emit_json({"ok": not failed, "checks": as_json(results)})
    else:
        for check in results:
            output.write_line(check.line())
    return 1 if failed else 0
