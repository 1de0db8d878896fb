from __future__ import annotations

from pathlib import Path

from sesame import credentials, output, report, rotation
from sesame.checks import gates
from sesame.config import Config
from sesame.environments import open_target
from sesame.target import Target
from sesame.tf import plans, runner


def known_secrets(target: Target) -> list[str]:
    """Every secret value sesame holds: masked in reports even if Terraform does not mark it."""
    values = target.secrets.secret_values()
    # The plan-only key cannot open credentials.yaml (and must not): Terraform's sensitive
    # marks mask sender secrets in its report.
    if target.credentials_path.exists() and not target.read_only:
        values += credentials.secret_values(
            credentials.load(target.credentials_path, target.age_key)
        )
    return values


def plan(
    config: Config,
    top: Path,
    env: str,
    *,
    json_mode: bool,
    detailed_exitcode: bool,
    report_dir: Path | None = None,
    report_link: str = "report.html",
    out: Path | None = None,
    read_only: bool = False,
) -> int:
    """Plan the whole root (saved in the private work dir); exit 2 on changes if asked.
    `read_only`: with the plan-only credential set, without taking the state lock."""
    with open_target(env, config, top, read_only=read_only) as target:
        prepared = runner.prepare(config, target, json_mode=json_mode)
        summary = runner.plan(prepared)
        if report_dir is not None or out is not None:
            built = report.build(
                prepared.tf.show_json(prepared.plan_file),
                report.plan_file_facts(prepared.plan_file),
                known_secrets(target),
            )
            # What `sesame apply` will stop on without an explicit allow (not in the digest).
            built["gates"] = gates.check(
                built,
                config,
                allow_destroy=False,
                allow_weaker_dmarc=False,
                retired=rotation.retired_keys(rotation.load(top)),
            )
            for path in report.write(built, report_dir, report_link) if report_dir else []:
                output.status(f"wrote {path}")
            if out is not None:
                plans.export(target, out)
                output.status(f"wrote {out} (age-encrypted saved plan)")
            output.status(f"plan digest {built['digest']}")
    if not json_mode:
        verdict = "changes" if summary.changes else "no changes"
        output.write_line(
            f"{env}: {verdict}: {summary.add} to add, {summary.change} to change, "
            f"{summary.remove} to destroy, {summary.import_} to import"
        )
    return 2 if detailed_exitcode and summary.changes else 0
