from __future__ import annotations

from pathlib import Path

from sesame import output, report
from sesame.checks.drift import ses_untracked
from sesame.commands.plan import known_secrets
from sesame.config import Config
from sesame.environments import open_target
from sesame.tf import runner


def drift(
    config: Config,
    top: Path,
    env: str,
    *,
    json_mode: bool,
    report_dir: Path | None,
    read_only: bool = False,
) -> int:
    """A refresh-only plan: what changed outside sesame, in the review report's terms.
    Exit 0 when nothing drifted, 2 when something did (plan --detailed-exitcode's codes).
    `read_only`: with the plan-only set (secrets.plan.yaml), which reads everything drift
    needs and cannot take the state lock (docs/gitops.md), so the plan runs without it."""
    with open_target(env, config, top, read_only=read_only) as target:
        # Terraform's progress goes to stderr as text: --json is one document on stdout.
        prepared = runner.prepare(config, target)
        runner.plan(prepared, refresh_only=True)
        built = report.build(
            prepared.tf.show_json(prepared.plan_file),
            report.plan_file_facts(prepared.plan_file),
            known_secrets(target),
        )
        prepared.plan_file.unlink(missing_ok=True)  # a refresh-only plan is never applied
        built["drift"] = built["drift"] + ses_untracked(config, target)
    for path in report.write(built, report_dir, "report.html") if report_dir else []:
        output.status(f"wrote {path}")
    found = built["drift"]
    if json_mode:
        output.emit_json({"drift": found})
    else:
        for d in found:
            changed = ", ".join(d["attributes"]) or d["action"]
            output.write_line(
                f"drift: {d['address']}: {changed} changed outside sesame — who would notice: "
                f"{d['notice']}; fix: {d['fix']}"
            )
        output.write_line(
            f"{env}: {len(found)} resource(s) drifted" if found else f"{env}: no drift"
        )
    return 2 if found else 0
