from __future__ import annotations

from pathlib import Path

from sesame import output
from sesame.checks import status as ses_status
from sesame.config import Config
from sesame.environments import open_target


def status(config: Config, top: Path, env: str, *, json_mode: bool) -> int:
    """Each identity's verification, DKIM and MAIL FROM state, and the account's."""
    with open_target(env, config, top) as target:
        report = ses_status.collect(config, target)
    if json_mode:
        output.emit_json(report)
    else:
        output.write_line(ses_status.table(report))
    return 0
