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
        comment_id = gitops.post_plan(gh, pr, report_md, digest, head, run_id, author, marker)
    _set_outputs({"digest": digest, "comment_id": str(comment_id)})
    output.write_line(f"plan comment {comment_id} on #{pr}: digest {digest}, run {run_id}")
    return 0


def pick_plan(out_dir: Path, author: str) -> int:
    """Find the reviewed plan of the merged pull request; write it to out_dir, or refuse."""
    with _client() as gh:
        got = gitops.pick_plan(gh, _env("GITHUB_SHA"), int(_env("GITHUB_RUN_ID")), out_dir, author)
    _set_outputs(
        {"digest": got.digest, "head": got.head, "pr": str(got.pr), "run_id": str(got.run_id)}
    )
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
        done = gitops.drift_issue(
            gh,
            drift_exit == 2,
            gitops.drift_body(lines, report_md, run_url),
            run_url,
            today,
            author,
        )
    _set_outputs({"action": done.action, "issue": str(done.number or "")})
    if done.number is None:
        output.write_line("no drift, and no drift issue open")
    else:
        output.write_line(f"drift issue #{done.number} {done.action}")
    return 0
