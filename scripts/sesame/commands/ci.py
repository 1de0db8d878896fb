"""`sesame ci`: the GitOps workflow's steps (decisions in sesame.gitops)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from sesame import gitops, output
from sesame.errors import ConfigError


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ConfigError(
            f"${name} is not set; fix: run this in GitHub Actions (see docs/gitops.md)"
        )
    return value


def _client() -> gitops.GitHub:
    return gitops.GitHub(
        os.environ.get("GITHUB_API_URL") or "https://api.github.com",
        _env("GITHUB_REPOSITORY"),
        _env("GITHUB_TOKEN"),
    )


def _set_outputs(values: dict[str, str]) -> None:
    """Step outputs for later steps ($GITHUB_OUTPUT), and one line for the log."""
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a") as fh:
            fh.writelines(f"{k}={v}\n" for k, v in values.items())


def post_plan(pr: int, head: str, report_dir: Path, author: str, marker: str) -> int:
    """Post or update the workflow's one sticky plan comment from a written report."""
    try:
        report_md = (report_dir / "report.md").read_text()
        digest = json.loads((report_dir / "report.json").read_text())["digest"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        raise ConfigError(
            f"{report_dir}: no report.md/report.json with a digest; fix: "
            f"`sesame plan --report {report_dir}` first"
        ) from None
    run_id = int(_env("GITHUB_RUN_ID"))
    with _client() as gh:
        body = gitops.comment_body(report_md, digest, head, run_id, marker)
        comment_id = gitops.post_plan(gh, pr, body, author, marker)
    _set_outputs({"digest": digest, "comment_id": str(comment_id)})
    output.write_line(f"plan comment {comment_id} on #{pr}: digest {digest}, run {run_id}")
    return 0


def pick_plan(out_dir: Path, author: str) -> int:
    """Find the reviewed plan of the merged pull request; write it to out_dir, or refuse."""
    with _client() as gh:
        got = gitops.pick_plan(gh, _env("GITHUB_SHA"), int(_env("GITHUB_RUN_ID")), out_dir, author)
    values = {"digest": got.digest, "head": got.head, "pr": str(got.pr), "run_id": str(got.run_id)}
    if got.shards is not None:  # the apply matrix: one job per shard, with its own digest
        values["shards"] = json.dumps(sorted(got.shards))
        values["shard_digests"] = json.dumps(got.shards, sort_keys=True)
    _set_outputs(values)
    output.write_line(
        f"reviewed plan of #{got.pr}: head {got.head[:12]}, run {got.run_id}, digest {got.digest}"
    )
    return 0


def drift_issue(drift_exit: int, found: Path, report_dir: Path | None, author: str) -> int:
    """After `sesame drift`: open, update or close the one drift issue from its exit status
    (0 none, 2 drifted) and what it wrote. Any other status is the drift run's own failure:
    the issue is left alone and that status returned."""
    if drift_exit not in (0, 2):
        output.write_line(f"sesame drift failed (exit {drift_exit}); the drift issue is unchanged")
        return drift_exit
    try:
        lines = found.read_text()
    except FileNotFoundError:
        raise ConfigError(
            f"{found}: missing; fix: `sesame drift ... > {found}` before this step"
        ) from None
    report_md = ""
    if report_dir is not None and (report_dir / "report.md").exists():
        report_md = (report_dir / "report.md").read_text()
    server = os.environ.get("GITHUB_SERVER_URL") or "https://github.com"
    run_url = f"{server}/{_env('GITHUB_REPOSITORY')}/actions/runs/{_env('GITHUB_RUN_ID')}"
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    with _client() as gh:
        body = gitops.drift_body(lines, report_md, run_url)
        done = gitops.drift_issue(gh, drift_exit == 2, body, f"{today}: {run_url}", author)
    _set_outputs({"action": done.action, "issue": str(done.number or "")})
    if done.number is None:
        output.write_line("no drift, and no drift issue open")
    else:
        output.write_line(f"drift issue #{done.number} {done.action}")
    return 0


def shards_cmd(config_path: Path, changed_since: str | None) -> int:
    """The plan matrix: which shards to plan (all, or those changed since the base ref)."""
    from sesame import config, shards

    cfg = config.load(config_path)
    chosen = None
    if cfg.shards is not None:
        chosen = shards.select(
            cfg, config_path, shard=None, all_shards=changed_since is None, since=changed_since
        )
    sharded = chosen is not None
    matrix = chosen or []
    _set_outputs(
        {
            "sharded": str(sharded).lower(),
            "matrix": json.dumps(matrix),
            "count": str(len(matrix)),
        }
    )
    if not sharded:
        output.write_line(f"{config_path}: no shards: one state, one plan")
    else:
        output.write_line(f"shards to plan: {' '.join(matrix) or '(none)'}")
    return 0


def combine(report_dir: Path, link: str) -> int:
    """report.md and report.json over the shard reports in report_dir/<shard>/ (the plan
    jobs' artifacts): the combined comment and the digest that binds every shard's."""
    from sesame.report import shards as shard_report

    reports = {}
    for path in sorted(report_dir.glob("*/report.json")):
        try:
            reports[path.parent.name] = json.loads(path.read_text())
        except json.JSONDecodeError:
            raise ConfigError(f"{path}: not JSON; fix: re-run that shard's plan") from None
    for path in shard_report.write(reports, report_dir, link):
        output.status(f"wrote {path}")
    digest = shard_report.combined_digest({s: r["digest"] for s, r in reports.items()})
    output.write_line(f"{len(reports)} shard report(s) combined: plan digest {digest}")
    return 0


def atlantis(config_path: Path, out: Path, changed_since: str | None) -> int:
    """atlantis.yaml: one project per shard (or the changed ones), each planning and
    applying only its shard with sesame, the apply bound to the reviewed plan's digest."""
    from sesame import config, shards

    cfg = config.load(config_path)
    if cfg.shards is None:
        raise ConfigError(
            f"{config_path}: has no `shards:` section, so there is one project; fix: add "
            "`shards: {count: N}` (docs/scale.md#shards)"
        )
    chosen = shards.select(
        cfg, config_path, shard=None, all_shards=changed_since is None, since=changed_since
    )
    out.write_text(gitops.atlantis_yaml(chosen or [], config_path.as_posix()))
    output.write_line(f"wrote {out}: {len(chosen or [])} project(s), one per shard")
    return 0
