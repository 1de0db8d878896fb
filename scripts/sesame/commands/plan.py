from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sesame import output, report, rotation, shards
from sesame.checks import gates
from sesame.config import Config
from sesame.environments import open_target
from sesame.report import shards as shard_report
from sesame.target import Target
from sesame.tf import fanout, moves, plans, runner
from sesame.tf.runner import known_secrets
from sesame.tf.terraform import Summary

__all__ = ["Review", "known_secrets", "plan"]


@dataclass(frozen=True)
class Review:
    """What a reviewed plan leaves behind: the report directory (HTML, Markdown, JSON; None:
    no report), the name the Markdown links the HTML by, and where the age-encrypted plan is
    exported (a file; with shards, a directory of `<shard>.plan.age`; None: not exported)."""

    report_dir: Path | None = None
    report_link: str = "report.html"
    out: Path | None = None

    @property
    def wanted(self) -> bool:
        """Whether the plan is reviewed at all (a report or an exported plan)."""
        return self.report_dir is not None or self.out is not None


def _review(prepared: runner.Prepared, config: Config, top: Path) -> dict[str, Any]:
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
    return built


def _say_refusals(
    summary: Summary, built: dict[str, Any] | None, top: Path, shard: str | None = None
) -> None:
    """Say what `sesame apply` will refuse this plan on, as apply words it (gates.enforce):
    a reviewed plan's every gate (`built`, its report), else the destroy gate from the
    streamed plan alone."""
    if built is not None:
        stops = built["gates"]
    else:
        retired = rotation.retired_keys(rotation.load(top))
        stops = [gates.line(f) for f in gates.destroys_planned(summary.planned, retired)]
    if stops:
        more = f" (and {len(stops) - 1} more)" if len(stops) > 1 else ""
        where = f"shard {shard}: " if shard else ""
        output.status(f"{where}apply will refuse this plan: {stops[0]}{more}")


def _verdict(summary: Summary) -> str:
    verdict = "changes" if summary.changes else "no changes"
    return (
        f"{verdict}: {summary.add} to add, {summary.change} to change, "
        f"{summary.remove} to destroy, {summary.import_} to import"
    )


def plan(
    config: Config,
    top: Path,
    env: str,
    review: Review = Review(),
    *,
    json_mode: bool,
    detailed_exitcode: bool,
    read_only: bool = False,
    shard_names: list[str] | None = None,
    parallelism: int = fanout.DEFAULT_PARALLELISM,
) -> int:
    """Plan the whole root (saved in the private work dir); exit 2 on changes if asked.
    `read_only`: with the plan-only credential set, without taking the state lock.
    `shard_names`: plan those shards (sesame.shards), each its own state and run."""
    output.show_steps(not json_mode)
    if shard_names is not None:
        return _plan_shards(
            config,
            top,
            env,
            shard_names,
            review,
            json_mode=json_mode,
            detailed_exitcode=detailed_exitcode,
            read_only=read_only,
            parallelism=parallelism,
        )
    with open_target(env, config, top, read_only=read_only) as target:
        prepared = runner.prepare(config, target, json_mode=json_mode)
        summary = runner.plan(prepared)
        if review.wanted:
            built = _review(prepared, config, top)
            for path in (
                report.write(built, review.report_dir, review.report_link)
                if review.report_dir
                else []
            ):
                output.status(f"wrote {path}")
            if review.out is not None:
                plans.export(target, review.out)
                output.status(f"wrote {review.out} (age-encrypted saved plan)")
            output.status(f"plan digest {built['digest']}")
        _say_refusals(summary, built if review.wanted else None, top)
    if not json_mode:
        output.write_line(f"{env}: {_verdict(summary)}")
    return 2 if detailed_exitcode and summary.changes else 0


def _plan_shards(
    config: Config,
    top: Path,
    env: str,
    shard_names: list[str],
    review: Review,
    *,
    json_mode: bool,
    detailed_exitcode: bool,
    read_only: bool,
    parallelism: int,
) -> int:
    """Each shard planned on its own state, side by side; one combined report and digest
    (each shard's own report in `<report_dir>/<shard>/`, its plan in `<out>/<shard>.plan.age`)."""
    if not shard_names:
        output.write_line(f"{env}: no shard changed: nothing to plan")
        return 0
    reviewed = review.wanted
    report_dir, report_link, out = review.report_dir, review.report_link, review.out

    def one(target: Target, shard: str) -> tuple[Summary, dict[str, Any] | None]:
        part = shards.view(config, shard)
        sub = fanout.shard_target(target, shard)
        if fanout.idle(part, sub) and not reviewed:
            return Summary(message="empty: no domain, no state"), None
        try:
            prepared = runner.prepare(
                part, sub, json_mode=json_mode, sharing=min(parallelism, len(shard_names))
            )
            summary = runner.plan(prepared)
            built = _review(prepared, part, top) if reviewed else None
            if report_dir is not None and built is not None:
                report.write(built, report_dir / shard, report_link)
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                plans.export(sub, out / f"{shard}.plan.age")
            return summary, built
        finally:
            sub.plan_file.unlink(missing_ok=True)

    with open_target(env, config, top, read_only=read_only) as target:
        moves.settle(config, target, read_only=read_only)
        done = fanout.run(
            shard_names,
            lambda s: one(target, s),
            lambda r: _verdict(r[0]),
            parallelism=parallelism,
        )
    results = {o.shard: o.value for o in done if o.value is not None}
    for shard, (summary, built) in sorted(results.items()):
        _say_refusals(summary, built, top, shard)
    if reviewed:
        reviews = {s: r[1] for s, r in results.items() if r[1] is not None}
        for path in shard_report.write(reviews, report_dir, report_link) if report_dir else []:
            output.status(f"wrote {path}")
        if out is not None:
            output.status(
                f"wrote {out}/<shard>.plan.age for {len(reviews)} shard(s) (age-encrypted)"
            )
        for shard, r in reviews.items():
            output.status(f"shard {shard}: plan digest {r['digest']}")
        digests = {s: r["digest"] for s, r in reviews.items()}
        output.status(f"plan digest {shard_report.combined_digest(digests)} (all shards)")
    changes = [s for s, r in results.items() if r[0].changes]
    if not json_mode:
        total = [r[0] for r in results.values()]
        output.write_line(
            f"{env}: {len(results)} shard(s), {len(changes)} with changes: "
            f"{sum(t.add for t in total)} to add, {sum(t.change for t in total)} to change, "
            f"{sum(t.remove for t in total)} to destroy, {sum(t.import_ for t in total)} to import"
        )
    return 2 if detailed_exitcode and changes else 0
