"""`sesame ci`: the GitOps workflow's steps (decisions in sesame.gitops)."""

from __future__ import annotations

import json
import os
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
