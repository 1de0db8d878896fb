from __future__ import annotations

from pathlib import Path

from sesame import output, report, rotation
from sesame.checks import gates
from sesame.config import Config
from sesame.environments import open_target
from sesame.tf import plans, runner
from sesame.tf.runner import known_secrets

__all__ = ["known_secrets", "plan"]


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
    output.show_steps(not json_mode)
    with open_target(env, config, top, read_only=read_only) as target:
        prepared = runner.prepare(config, target, json_mode=json_mode)
        summary = runner.plan(prepared)
        if report_dir is not None or out is not None:
            built = prepared.report or runner.build_report(prepared)
            # What `sesame apply` will stop on without an explicit allow (not in the digest).
            failed = gates.check(
                built,
                config,
                allow_destroy=False,
                allow_weaker_dmarc=False,
                dmarc_before=prepared.dns.dmarc_before,
                retired=rotation.retired_keys(rotation.load(top)),
            )
            built["gates"] = [gates.line(f) for f in failed]
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
