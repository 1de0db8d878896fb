from __future__ import annotations

from pathlib import Path

from sesame import output, runner
from sesame.config import Config
from sesame.target import open_target


def plan(config: Config, top: Path, env: str, *, json_mode: bool, detailed_exitcode: bool) -> int:
    """Plan the whole root (saved in the private work dir); exit 2 on changes if asked."""
    with open_target(env, config, top) as target:
        prepared = runner.prepare(config, target, json_mode=json_mode)
        summary = runner.plan(prepared)
    if not json_mode:
        verdict = "changes" if summary.changes else "no changes"
        output.write_line(
            f"{env}: {verdict}: {summary.add} to add, {summary.change} to change, "
            f"{summary.remove} to destroy, {summary.import_} to import"
        )
    return 2 if detailed_exitcode and summary.changes else 0
