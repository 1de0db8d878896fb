from __future__ import annotations

from pathlib import Path
from typing import Any

from sesame import output, report, shards
from sesame.checks.drift import ses_untracked
from sesame.commands.plan import known_secrets
from sesame.config import Config
from sesame.environments import open_target
from sesame.report import shards as shard_report
from sesame.target import Target
from sesame.tf import fanout, runner


def _refresh(config: Config, target: Target, sharing: int = 1) -> dict[str, Any]:
    """One state's refresh-only plan, as a review report (the plan itself is discarded)."""
    if config.shard is not None and fanout.idle(config, target):
        return {"drift": [], "counts": {}, "digest": ""}
    # Terraform's progress goes to stderr as text: --json is one document on stdout.
    prepared = runner.prepare(config, target, sharing=sharing)
    try:
        runner.plan(prepared, refresh_only=True)
        return report.build(
            prepared.tf.show_json(prepared.plan_file),
            report.plan_file_facts(prepared.plan_file),
            known_secrets(target),
        )
    finally:
        prepared.plan_file.unlink(missing_ok=True)  # a refresh-only plan is never applied


def drift(
    config: Config,
    top: Path,
    env: str,
    *,
    json_mode: bool,
    report_dir: Path | None,
    read_only: bool = False,
    shard_names: list[str] | None = None,
    parallelism: int = fanout.DEFAULT_PARALLELISM,
) -> int:
    """A refresh-only plan: what changed outside sesame, in the review report's terms.
    Exit 0 when nothing drifted, 2 when something did (plan --detailed-exitcode's codes).
    `read_only`: with the plan-only set (secrets.plan.yaml), which reads everything drift
    needs and cannot take the state lock (docs/gitops.md), so the plan runs without it.
    `shard_names`: each of those shards' states, side by side, in one report."""
    with open_target(env, config, top, read_only=read_only) as target:
        if shard_names is None:
            built = _refresh(config, target)
            built["drift"] = built["drift"] + ses_untracked(config, target)
            written = report.write(built, report_dir, "report.html") if report_dir else []
        else:
            sharing = min(parallelism, len(shard_names))
            done = fanout.run(
                shard_names,
                lambda s: _refresh(shards.view(config, s), fanout.shard_target(target, s), sharing),
                lambda r: f"{len(r['drift'])} resource(s) drifted",
                parallelism=parallelism,
            )
            reports = {o.shard: o.value for o in done if o.value is not None}
            owner = shards.assign(config)
            for shard, r in reports.items():  # what a refresh cannot see, in its shard
                mine = {d: v for d, v in config.domains.items() if owner[d] == shard}
                r["drift"] = r["drift"] + ses_untracked(
                    config.model_copy(update={"domains": mine}), target
                )
            written = []
            for shard, r in reports.items():
                written += report.write(r, report_dir / shard) if report_dir else []
            written += shard_report.write(reports, report_dir, "report.html") if report_dir else []
            built = {"drift": shard_report.combine(reports)["drift"]}
    for path in written:
        output.status(f"wrote {path}")
    found = built["drift"]
    if json_mode:
        output.emit_json({"drift": found})
    else:
        for d in found:
            changed = ", ".join(d["attributes"]) or d["action"]
            where = f"shard {d['shard']}: " if "shard" in d else ""
            output.write_line(
                f"drift: {where}{d['address']}: {changed} changed outside sesame — who would "
                f"notice: {d['notice']}; fix: {d['fix']}"
            )
        output.write_line(
            f"{env}: {len(found)} resource(s) drifted" if found else f"{env}: no drift"
        )
    return 2 if found else 0
