from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sesame import aws, credentials, delivery, dkim, output, report, rotation
from sesame.checks import gates
from sesame.commands.plan import known_secrets
from sesame.config import Config
from sesame.dns import dmarc
from sesame.environments import open_target
from sesame.errors import GateError, StalePlanError, TerraformError
from sesame.target import Target
from sesame.tf import plans, runner, state
from sesame.tf.terraform import Summary


def write_credentials(config: Config, target: Target, tf_outputs: dict) -> int:
    creds = credentials.build(tf_outputs, config.region)
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
    saved = state.backup(config, target)
    if saved:
        output.status(f"state backed up to {saved}")
    output.step("applying exactly the saved plan (terraform apply) ...")
    return prepared.tf.apply(plan_file)


def apply(
    config: Config,
    top: Path,
    env: str,
    *,
    json_mode: bool,
    allow_destroy: bool = False,
    allow_weaker_dmarc: bool = False,
) -> int:
    """Plan, check the gates, back up the state object, apply exactly the saved plan, write
    credentials."""
    output.show_steps(not json_mode)
    with open_target(env, config, top) as target:
        prepared = runner.prepare(config, target, json_mode=json_mode)
        summary = runner.plan(prepared)
        if summary.changes or summary.drift:  # an empty plan with drift records the refresh
            built = prepared.report or runner.build_report(prepared) if summary.changes else None
            allowed = (allow_destroy, allow_weaker_dmarc)
            summary = _apply_plan(config, target, prepared, prepared.plan_file, built, allowed)
        output.step("writing sender credentials (sops-encrypted) ...")
        count = write_credentials(config, target, prepared.tf.output())
        ses = aws.client("sesv2", config.region, target)
        for line in dkim.disagreements(ses, prepared.signing_zones):  # first apply of a domain
            output.status(line)
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
) -> int:
    """Apply a reviewed, exported plan: only if its digest is the approved one, it passes the
    gates, and Terraform does not find it stale. Otherwise one line, nothing changed."""
    output.show_steps(not json_mode)
    with open_target(env, config, top) as target:
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
        count = write_credentials(config, target, prepared.tf.output())
    if not json_mode:
        output.write_line(
            f"{env}: applied reviewed plan {expect_digest[:16]}: {summary.add} added, "
            f"{summary.change} changed, {summary.remove} destroyed; credentials for {count} "
            "sender(s) updated"
        )
    return 0
