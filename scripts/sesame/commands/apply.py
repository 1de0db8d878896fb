from __future__ import annotations

from pathlib import Path

from sesame import credentials, output, runner, state
from sesame.config import Config
from sesame.target import Target, open_target


def write_credentials(config: Config, target: Target, tf_outputs: dict) -> int:
    creds = credentials.build(tf_outputs, config.region)
    credentials.save(creds, target.credentials_path, target.credentials_recipients)
    return len(creds)


def apply(config: Config, top: Path, env: str, *, json_mode: bool) -> int:
    """Plan, back up the state object, apply exactly the saved plan, write credentials."""
    with open_target(env, config, top) as target:
        prepared = runner.prepare(config, target, json_mode=json_mode)
        summary = runner.plan(prepared)
        if summary.changes or summary.drift:  # an empty plan with drift records the refresh
            saved = state.backup(config, target)
            if saved:
                output.status(f"state backed up to {saved}")
            summary = prepared.tf.apply(prepared.plan_file)
        count = write_credentials(config, target, prepared.tf.output())
    if not json_mode:
        output.write_line(
            f"{env}: applied: {summary.add} added, {summary.change} changed, "
            f"{summary.remove} destroyed; credentials for {count} sender(s) in "
            f"{target.credentials_path} (sops-encrypted)"
        )
    return 0
