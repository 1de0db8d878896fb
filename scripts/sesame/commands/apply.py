from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

from sesame import aws, credentials, delivery, dkim, output, report, rotation, shards
from sesame.checks import gates
from sesame.commands.plan import known_secrets
from sesame.config import Config
from sesame.dns import dmarc, quota, zones
from sesame.environments import open_target
from sesame.errors import GateError, StalePlanError, TerraformError
from sesame.target import Target
from sesame.tf import adoption, fanout, journal, moves, plans, runner, state
from sesame.tf.terraform import Summary

# Cloudflare API calls the provider makes per planned record action (one request each; a
# replacement deletes and creates)
WRITES = {"replace": 2, "no-op": 0, "forget": 0}
_CREDENTIALS = threading.Lock()  # shards applied side by side share credentials.yaml


def write_credentials(config: Config, target: Target, tf_outputs: dict) -> int:
    """credentials.yaml from the outputs. A shard's run (config.shard set) replaces only its
    own senders' entries and keeps the other shards' (it can open the file: apply key)."""
    creds = credentials.build(tf_outputs, config.region)
    with _CREDENTIALS:
        if config.shard is not None:
            mine = set(config.senders())
            creds = {n: c for n, c in creds.items() if n in mine}
            if target.credentials_path.exists():
                held = credentials.load(target.credentials_path, target.age_key)
                others = {  # another shard's senders (not this one's, nor its domains' gone ones)
                    n: c
                    for n, c in held.items()
                    if n not in mine and c.get("domain") not in config.domains
                }
                creds = others | creds
            creds = dict(sorted(creds.items()))
        credentials.save(creds, target.credentials_path, target.credentials_recipients)
    for where in delivery.deliver(config, target, creds):
        output.status(f"credentials delivered to {where}")
    return len(creds)


def gate(
    built: dict,
    config: Config,
    env: str,
    *,
    allow_destroy: bool,
    allow_weaker_dmarc: bool,
    dmarc_before: Mapping[str, dmarc.Effective] | None = None,
    top: Path | None = None,
) -> None:
    """The gates every apply runs on the plan it is about to apply (see sesame.checks.gates)."""
    failures = gates.check(
        built,
        config,
        allow_destroy=allow_destroy,
        allow_weaker_dmarc=allow_weaker_dmarc,
        dmarc_before=dmarc_before,
        retired=rotation.retired_keys(rotation.load(top)) if top else frozenset(),
    )
    gates.enforce(failures, env)


def _apply_plan(
    config: Config,
    target: Target,
    prepared: runner.Prepared,
    plan_file: Path,
    built: dict | None,
    allowed: tuple[bool, bool],
) -> Summary:
    """Gate the plan `built` describes (None: nothing to gate, a refresh only), back up the
    state object, apply exactly `plan_file`. `allowed`: (--allow-destroy,
    --allow-weaker-dmarc)."""
    if built is not None:
        gate(
            built,
            config,
            target.name,
            allow_destroy=allowed[0],
            allow_weaker_dmarc=allowed[1],
            dmarc_before=prepared.dns.dmarc_before,
            top=target.top,
        )
        if config.cloudflare_domains():
            writes = sum(WRITES.get(entry["action"], 1) for entry in built["dns"])
            what = "this apply" if config.shard is None else f"shard {config.shard}'s apply"
            zones.budget(target).reserve(quota.Needed(writes=writes), what)
    saved = state.backup(config, target)
    if saved:
        output.status(f"state backed up to {saved}")
    journal.begin(config, target, prepared.creating)  # found after a Ctrl-C (docs/ownership.md)
    adoption.delete_keys(config, target, prepared.stray_keys)
    output.step("applying exactly the saved plan (terraform apply) ...")
    summary = prepared.tf.apply(plan_file)
    journal.end(config, target)
    return summary


def apply(
    config: Config,
    top: Path,
    env: str,
    *,
    json_mode: bool,
    allow_destroy: bool = False,
    allow_weaker_dmarc: bool = False,
    shard_names: list[str] | None = None,
    parallelism: int = fanout.DEFAULT_PARALLELISM,
) -> int:
    """Plan, check the gates, back up the state object, apply exactly the saved plan, write
    credentials. `shard_names`: each of those shards in turn on its own state (the global
    shard first, then the others side by side)."""
    output.show_steps(not json_mode)
    if shard_names is not None:
        return _apply_shards(
            config,
            top,
            env,
            shard_names,
            json_mode=json_mode,
            allow_destroy=allow_destroy,
            allow_weaker_dmarc=allow_weaker_dmarc,
            parallelism=parallelism,
        )
    with open_target(env, config, top) as target:
        summary, count = _apply_one(
            config,
            top,
            env,
            target,
            json_mode=json_mode,
            allow_destroy=allow_destroy,
            allow_weaker_dmarc=allow_weaker_dmarc,
        )
    if not json_mode:
        output.write_line(
            f"{env}: applied: {summary.add} added, {summary.change} changed, "
            f"{summary.remove} destroyed; credentials for {count} sender(s) in "
            f"{output.shown_path(target.credentials_path)} (sops-encrypted)"
        )
    return 0


def apply_saved(
    config: Config,
    top: Path,
    env: str,
    plan_path: Path,
    expect_digest: str,
    *,
    json_mode: bool,
    allow_destroy: bool,
    allow_weaker_dmarc: bool,
    shard: str | None = None,
) -> int:
    """Apply a reviewed, exported plan: only if its digest is the approved one, it passes the
    gates, and Terraform does not find it stale. Otherwise one line, nothing changed.
    `shard`: the plan is that shard's (`plan --shard S --out`), with that shard's digest."""
    output.show_steps(not json_mode)
    with open_target(env, config, top) as opened:
        if shard is None:
            _apply_reviewed(
                config,
                top,
                env,
                opened,
                plan_path,
                expect_digest,
                json_mode,
                allow_destroy,
                allow_weaker_dmarc,
            )
            return 0
        part = shards.view(config, shard)
        moves.settle(config, opened)  # a move makes the reviewed plan stale: plan again
        sub = fanout.shard_target(opened, shard)
        try:
            _apply_reviewed(
                part,
                top,
                env,
                sub,
                plan_path,
                expect_digest,
                json_mode,
                allow_destroy,
                allow_weaker_dmarc,
            )
        finally:
            sub.plan_file.unlink(missing_ok=True)
    return 0


def _apply_reviewed(
    config: Config,
    top: Path,
    env: str,
    target: Target,
    plan_path: Path,
    expect_digest: str,
    json_mode: bool,
    allow_destroy: bool,
    allow_weaker_dmarc: bool,
) -> None:
    prepared = runner.prepare(config, target, json_mode=json_mode)
    plan_file = plans.restore(target, plan_path)
    built = report.build(
        prepared.tf.show_json(plan_file),
        report.plan_file_facts(plan_file),
        known_secrets(target),
    )
    if built["digest"] != expect_digest:
        raise GateError(
            f"{plan_path}: digest {built['digest']} is not the approved {expect_digest}; "
            "fix: apply the plan that was reviewed, or review this one"
        )
    allowed = (allow_destroy, allow_weaker_dmarc)
    try:
        summary = _apply_plan(config, target, prepared, plan_file, built, allowed)
    except TerraformError as exc:
        if "stale" in str(exc).lower():
            raise StalePlanError(
                f"{plan_path}: the plan is stale (state changed since it was made); "
                "fix: plan again and review the new plan"
            ) from None
        raise
    count = write_credentials(config, target, state.outputs(config, target))
    if not json_mode:
        output.write_line(
            f"{env}: applied reviewed plan {expect_digest[:16]}: {summary.add} added, "
            f"{summary.change} changed, {summary.remove} destroyed; credentials for {count} "
            "sender(s) updated"
        )


def _apply_one(
    config: Config,
    top: Path,
    env: str,
    target: Target,
    *,
    json_mode: bool,
    allow_destroy: bool,
    allow_weaker_dmarc: bool,
    sharing: int = 1,
) -> tuple[Summary, int]:
    """One state's plan, gates, backup, apply and credentials: (summary, senders written)."""
    prepared = runner.prepare(config, target, json_mode=json_mode, sharing=sharing)
    summary = runner.plan(prepared)
    # An empty plan with drift records the refresh; a shard whose state gained a moved
    # domain has outputs to catch up (credentials are written from them).
    moved_in = config.shard is not None and summary.outputs
    if summary.changes or summary.drift or moved_in:
        built = prepared.report or runner.build_report(prepared) if summary.changes else None
        allowed = (allow_destroy, allow_weaker_dmarc)
        summary = _apply_plan(config, target, prepared, prepared.plan_file, built, allowed)
    output.step("writing sender credentials (sops-encrypted) ...")
    count = write_credentials(config, target, state.outputs(config, target))
    ses = aws.client("sesv2", config.region, target)
    lines, stated = dkim.disagreements(ses, prepared.signing_zones, prepared.stated_zones)
    for line in lines:  # the first apply of a domain used the documented fallback
        output.status(line)
    state.record_dkim_zones(config, target, stated)  # the next plan need not ask SES (one PUT)
    return summary, count


def _apply_shards(
    config: Config,
    top: Path,
    env: str,
    shard_names: list[str],
    *,
    json_mode: bool,
    allow_destroy: bool,
    allow_weaker_dmarc: bool,
    parallelism: int,
) -> int:
    if not shard_names:
        output.write_line(f"{env}: no shard changed: nothing to apply")
        return 0
    glob = shards.global_name(config)
    waves = [[s for s in shard_names if s == glob], [s for s in shard_names if s != glob]]
    results: list[Summary] = []
    with open_target(env, config, top) as target:
        moves.settle(config, target)
        for wave in (w for w in waves if w):
            sharing = min(parallelism, len(wave))

            def one(shard: str, sharing: int = sharing) -> Summary:
                sub = fanout.shard_target(target, shard)
                if fanout.idle(shards.view(config, shard), sub):
                    return Summary(message="empty: no domain, no state")
                try:
                    return _apply_one(
                        shards.view(config, shard),
                        top,
                        env,
                        sub,
                        json_mode=json_mode,
                        allow_destroy=allow_destroy,
                        allow_weaker_dmarc=allow_weaker_dmarc,
                        sharing=sharing,
                    )[0]
                finally:
                    sub.plan_file.unlink(missing_ok=True)

            done = fanout.run(
                wave,
                one,
                lambda r: f"applied: {r.add} added, {r.change} changed, {r.remove} destroyed",
                parallelism=parallelism,
            )
            results += [o.value for o in done if o.value is not None]
    if not json_mode:
        output.write_line(
            f"{env}: applied {len(results)} shard(s): {sum(r.add for r in results)} added, "
            f"{sum(r.change for r in results)} changed, {sum(r.remove for r in results)} "
            f"destroyed; credentials in {output.shown_path(target.credentials_path)} "
            "(sops-encrypted)"
        )
    return 0
