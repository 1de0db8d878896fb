from __future__ import annotations

from pathlib import Path

from sesame import output
from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import ConfigError
from sesame.target import Target
from sesame.tf import runner, state
from sesame.tf.runner import Prepared


def _apply_plan(config: Config, target: Target, prepared: Prepared, *, destroy: bool) -> int:
    summary = runner.plan(prepared, destroy=destroy)
    if not summary.changes:
        return 0
    saved = state.backup(config, target)
    if saved:
        output.status(f"state backed up to {saved}")
    output.step("applying exactly the saved plan (terraform apply) ...")
    return prepared.tf.apply(prepared.plan_file).remove


def restore_adopted(config: Config, target: Target, prepared: Prepared) -> list[str]:
    """Put records that existed before sesame back as they were, then stop managing them."""
    adopted: list[str] = prepared.tf.output().get("dns_adopted") or []
    if not adopted:
        return []
    prepared.restoring(config, target)
    _apply_plan(config, target, prepared, destroy=False)
    prepared.tf.state_rm([f'module.cloudflare.cloudflare_dns_record.this["{k}"]' for k in adopted])
    return adopted


def destroy(config: Config, top: Path, env: str, *, json_mode: bool, yes: bool) -> int:
    """Restore adopted DNS records, then destroy everything else sesame made."""
    if env == "production" and not yes:
        raise ConfigError(
            "destroy in production removes every identity, sender and key; fix: add --yes"
        )
    output.show_steps(not json_mode)
    with open_target(env, config, top) as target:
        prepared = runner.prepare(config, target, json_mode=json_mode, strict=False)
        restored = restore_adopted(config, target, prepared)
        for key in restored:
            output.status(f"restored {key} as it was before sesame")
        removed = _apply_plan(config, target, prepared, destroy=True)
        target.credentials_path.unlink(missing_ok=True)
    if not json_mode:
        output.write_line(
            f"{env}: destroyed {removed} resource(s); restored {len(restored)} adopted record(s)"
        )
    return 0
