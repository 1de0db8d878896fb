from __future__ import annotations

from pathlib import Path
from typing import Any

from sesame import output, shards
from sesame.config import Config
from sesame.dns import restore, zones
from sesame.environments import open_target
from sesame.errors import ConfigError
from sesame.target import Target
from sesame.tf import adoption, fanout, inputs, journal, runner, state
from sesame.tf.terraform import Terraform

RECORD = ("module.cloudflare", "cloudflare_dns_record", "this")
ORIGINAL = ("module.cloudflare", "terraform_data", "original")


def _value(attribute: Any) -> Any:
    """terraform_data's `input` as state stores it: {"value": …, "type": …}."""
    return attribute.get("value") if isinstance(attribute, dict) else attribute


def restore_adopted_records(target: Target, tf: Terraform, doc: dict[str, Any]) -> list[str]:
    """Records that existed before sesame: written back as they were (Cloudflare's API),
    then released from state so the destroy leaves them."""
    records = state.instances(doc, *RECORD)
    originals = state.instances(doc, *ORIGINAL)
    done = []
    for key, attrs in sorted(originals.items()):
        original = _value(attrs.get("input"))
        rec = records.get(key)
        if not original or not rec:
            continue
        restore.record(target, rec["zone_id"], rec["id"], rec["name"], original)
        done.append(key)
    if done:
        tf.state_rm([f'module.cloudflare.cloudflare_dns_record.this["{k}"]' for k in done])
    return done


def release_adopted_identities(tf: Terraform, doc: dict[str, Any]) -> dict[str, Any]:
    """Identities that existed before sesame: released from state (not deleted); their
    settings then are put back after the destroy."""
    given: dict[str, Any] = {}
    for domain, attrs in state.instances(
        doc, "module.aws", "terraform_data", "identity_origin"
    ).items():
        origin = _value(attrs.get("input")) or {}
        if origin.get("adopted"):
            given[domain] = origin.get("original") or {}
    in_state = state.instances(doc, "module.aws", "aws_sesv2_email_identity", "this")
    mail_from = state.instances(
        doc, "module.aws", "aws_sesv2_email_identity_mail_from_attributes", "this"
    )
    addresses = [
        f'module.aws.aws_sesv2_email_identity.this["{d}"]' for d in given if d in in_state
    ] + [
        f'module.aws.aws_sesv2_email_identity_mail_from_attributes.this["{d}"]'
        for d in given
        if d in mail_from
    ]
    if addresses:
        tf.state_rm(addresses)
    return given


def destroy(config: Config, top: Path, env: str, *, json_mode: bool, yes: bool) -> int:
    """Give back what sesame adopted (DNS records restored, identities released), then
    destroy everything else the state holds. Works from any state a failed or interrupted
    apply leaves: nothing is planned from the configuration (docs/ownership.md)."""
    if env == "production" and not yes:
        raise ConfigError(
            "destroy in production removes every identity, sender and key; fix: add --yes"
        )
    output.show_steps(not json_mode)
    with open_target(env, config, top) as target:
        if config.shards is None:
            removed, restored, given = _destroy_one(config, target, json_mode)
        else:  # the domain shards, then the global one (their alarms notify its topic)
            removed, restored, given = 0, [], {}
            for shard in [*shards.names(config)[1:], shards.names(config)[0]]:
                output.step(f"shard {shard}: destroying ...")
                sub = fanout.shard_target(target, shard)
                try:
                    got = _destroy_one(shards.view(config, shard), sub, json_mode)
                finally:
                    sub.plan_file.unlink(missing_ok=True)
                removed, restored, given = removed + got[0], restored + got[1], given | got[2]
        target.credentials_path.unlink(missing_ok=True)
    if not json_mode:
        output.write_line(
            f"{env}: destroyed {removed} resource(s); restored {len(restored)} adopted "
            f"record(s); gave back {len(given)} adopted identit{'y' if len(given) == 1 else 'ies'}"
        )
    return 0


def _destroy_one(
    config: Config, target: Target, json_mode: bool
) -> tuple[int, list[str], dict[str, Any]]:
    """One state's destroy: (resources removed, records restored, identities given back)."""
    tf = runner.init(config, target, json_mode=json_mode)
    doc = state.document(config, target)
    restored = restore_adopted_records(target, tf, doc)
    for key in restored:
        output.status(f"restored {key} as it was before sesame")
    given = release_adopted_identities(tf, doc)
    # IAM refuses to delete a user that still has a key: one an interrupted apply made
    made = journal.read(config, target)
    adoption.delete_keys(
        config, target, adoption.stray_keys(config, target, doc, made, since=False)
    )
    var_file = inputs.write_var_file(
        target, inputs.variables(config, target, {}, zones.DnsInputs())
    )
    removed = 0
    if tf.plan(target.plan_file, var_file, destroy=True).changes:
        saved = state.backup(config, target)
        if saved:
            output.status(f"state backed up to {saved}")
        removed = tf.apply(target.plan_file).remove
    for domain, original in sorted(given.items()):
        adoption.give_back_identity(config, target, domain, original)
        output.status(f"gave back identity {domain} as it was before sesame")
    for what in adoption.remove_made(config, target, made):
        output.status(f"removed {what}: made by an interrupted apply, never in state")
    for what in zones.remove_orphans(config, target, state.managed_dns(doc)):
        output.status(f"removed {what}: made by an interrupted apply, never in state")
    return removed, restored, given
