"""The GitOps workflow's decisions: which comment, which run, which digest, which head.

`.github/workflows/sesame.yml` calls these through `sesame ci post-plan` (pull request)
and `sesame ci pick-plan` (merge); `.github/workflows/drift.yml` through `sesame ci
drift-issue` (the one drift issue). The trust chain (docs/gitops.md): the merge commit names
the merged pull request and its head SHA; the plan comment must be the one the workflow's
own identity wrote; it names a run of this workflow that succeeded on exactly that head;
that run's artifact holds the encrypted plan and the report; the comment's body must be
exactly what that run posted from that report (so an edit shows); and `sesame apply`
re-computes the digest from the plan file. Anything else is a `Refused`: one line, nothing
applied.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sesame.errors import FatalError

MARKER = "<!-- sesame-plan -->"
# A re-plan on main after a stale reviewed plan: posted for approval, never picked as reviewed.
REPLAN_MARKER = "<!-- sesame-replan -->"
# The identity GITHUB_TOKEN writes as; a GitHub App token writes as "<app-slug>[bot]".
WORKFLOW_AUTHOR = "github-actions[bot]"
PLAN_FILE = "reviewed.plan.age"
REPORT_MD = "report/report.md"
REPORT_JSON = "report/report.json"
# An exported plan of a few hundred domains is a few MB; refuse anything absurd.
MAX_ARTIFACT_BYTES = 512 * 1024 * 1024
MAX_REPORT_BYTES = 64 * 1024 * 1024  # report.md / report.json, read into memory
_LINE = re.compile(r"^sesame-(digest|head|run): (\S+)$", re.MULTILINE)
_SHA = re.compile(r"^[0-9a-f]{40}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class Refused(FatalError):
    """The merge has no reviewed plan this job may apply; the message says why."""


def artifact_name(head: str) -> str:
    return f"sesame-plan-{head}"


def comment_body(report_md: str, digest: str, head: str, run_id: int, marker: str = MARKER) -> str:
    """The one sticky comment: the report, then the lines the apply job binds to."""
    return "\n".join(
        [
            marker,
            report_md.rstrip("\n"),
            "",
            f"sesame-digest: {digest}",
            f"sesame-head: {head}",
            f"sesame-run: {run_id}",
        ]
    )


def _normal(body: str) -> str:
    """GitHub may turn line ends into CRLF and trim the end; nothing else is forgiven."""
    return body.replace("\r\n", "\n").rstrip()


def parse_comment(body: str) -> dict[str, str]:
    found: dict[str, list[str]] = {}
    for key, value in _LINE.findall(body.replace("\r\n", "\n")):
        found.setdefault(key, []).append(value)
    out = {}
    for key in ("digest", "head", "run"):
        values = found.get(key, [])
        if len(values) != 1:
            raise Refused(
                f"the plan comment has {len(values)} `sesame-{key}:` lines, not 1; "
                "fix: re-run the pull request's plan job"
            )
        out[key] = values[0]
    if not _DIGEST.match(out["digest"]) or not _SHA.match(out["head"]):
        raise Refused("the plan comment's digest or head is malformed; fix: re-run the plan job")
    if not out["run"].isdigit():
        raise Refused("the plan comment's run id is malformed; fix: re-run the plan job")
    return out


class GitHub:
    """The few REST calls the workflow needs (httpx; the token only in a header)."""

    def __init__(self, api_url: str, repository: str, token: str, *, timeout: float = 30.0) -> None:
        self.repo = repository
        self.http = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "sesame-gitops",
            },
            timeout=timeout,
        )

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def _check(self, resp: httpx.Response, what: str) -> httpx.Response:
        if resp.status_code >= 400:
            raise Refused(
                f"GitHub answered {resp.status_code} to {what}; fix: check the job's "
                "`permissions:` (pull-requests, actions: read) and GITHUB_TOKEN"
            )
        return resp

    def get(self, path: str, **params: Any) -> Any:
        resp = self.http.get(f"/repos/{self.repo}{path}", params=params or None)
        return self._check(resp, f"GET {path}").json()

    def get_or_none(self, path: str) -> Any:
        resp = self.http.get(f"/repos/{self.repo}{path}")
        if resp.status_code == 404:
            return None
        return self._check(resp, f"GET {path}").json()

    def paginate(self, path: str, key: str | None = None, **params: Any) -> Iterator[Any]:
        """Follow the Link header; `key` picks the list out of an object page."""
        url: str | None = f"/repos/{self.repo}{path}"
        query: dict[str, Any] | None = {"per_page": 100, **params}
        while url:
            resp = self._check(self.http.get(url, params=query), f"GET {path}")
            page = resp.json()
            yield from page[key] if key else page
            url = resp.links.get("next", {}).get("url")
            query = None  # the next link carries the query

    def post(self, path: str, body: dict[str, Any]) -> Any:
        resp = self.http.post(f"/repos/{self.repo}{path}", json=body)
        return self._check(resp, f"POST {path}").json()

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        resp = self.http.patch(f"/repos/{self.repo}{path}", json=body)
        return self._check(resp, f"PATCH {path}").json()

    def download(self, path: str, into: Path) -> None:
        """Stream a redirecting download to a file (httpx drops the token off-origin)."""
        size = 0
        with self.http.stream("GET", f"/repos/{self.repo}{path}", follow_redirects=True) as r:
            self._check(r, f"GET {path}")
            with into.open("wb") as fh:
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > MAX_ARTIFACT_BYTES:
                        raise Refused(f"the plan artifact is over {MAX_ARTIFACT_BYTES} bytes")
                    fh.write(chunk)


# -- pull request: post or update the one sticky comment -----------------------------------


def post_plan(
    gh: GitHub, pr: int, body: str, author: str = WORKFLOW_AUTHOR, marker: str = MARKER
) -> int:
    """Update the workflow's own plan comment (never someone else's), or create it, with
    `body` (comment_body's: it starts with `marker`). Returns the comment's ID."""
    mine = [
        c
        for c in gh.paginate(f"/issues/{pr}/comments")
        if c["user"]["login"] == author and (c.get("body") or "").startswith(marker)
    ]
    if mine:
        return int(gh.patch(f"/issues/comments/{mine[0]['id']}", {"body": body})["id"])
    return int(gh.post(f"/issues/{pr}/comments", {"body": body})["id"])


# -- merge: pick the reviewed plan ----------------------------------------------------------


@dataclass(frozen=True)
class Reviewed:
    pr: int
    head: str
    digest: str
    run_id: int
    # A sharded plan: each shard's digest (its plan is plans/<shard>.plan.age); the digest
    # above is their combined digest (sesame.report.shards).
    shards: dict[str, str] | None = None


SHARD_PLANS = "plans"


def _shard_digests(raw: bytes, digest: str, run_id: int) -> dict[str, str] | None:
    """A sharded report.json's {shard: digest}, checked to combine into `digest`; None if
    the report is one state's."""
    from sesame.shards import combined_digest

    listed = json.loads(raw).get("shards")
    if listed is None:
        return None
    try:
        got = {str(s): str(v["digest"]) for s, v in listed.items()}
    except (AttributeError, KeyError, TypeError):
        raise Refused(f"run {run_id}'s {REPORT_JSON} lists shards without digests") from None
    if combined_digest(got) != digest or not all(_DIGEST.match(d) for d in got.values()):
        raise Refused(
            f"run {run_id}'s shard digests do not combine into its digest {digest[:16]}; fix: "
            "re-run the plan jobs, review, then merge"
        )
    return got


def merged_pull_request(gh: GitHub, sha: str) -> dict[str, Any]:
    for pr in gh.paginate(f"/commits/{sha}/pulls"):
        if pr.get("merged_at") and pr.get("merge_commit_sha") == sha:
            return pr
    raise Refused(
        f"no pull request was merged as {sha[:12]}: only a reviewed pull request is applied; "
        "fix: open a pull request instead of pushing to main"
    )


def plan_comment(gh: GitHub, pr: int, author: str) -> dict[str, Any]:
    marked = [
        c for c in gh.paginate(f"/issues/{pr}/comments") if (c.get("body") or "").startswith(MARKER)
    ]
    mine = [c for c in marked if c["user"]["login"] == author]
    if len(mine) == 1:
        return mine[0]
    if len(mine) > 1:
        raise Refused(
            f"pull request #{pr} has {len(mine)} plan comments by {author}, not 1; "
            "fix: delete all but the newest and re-run the plan job"
        )
    others = sorted({c["user"]["login"] for c in marked})
    ignored = f" (ignored plan comments by: {', '.join(others)})" if others else ""
    raise Refused(
        f"pull request #{pr} has no plan comment by {author}{ignored}; "
        "fix: re-run the pull request's plan job, then merge"
    )


def this_workflow(gh: GitHub, current_run_id: int) -> int:
    return int(gh.get(f"/actions/runs/{current_run_id}")["workflow_id"])


def verify_run(gh: GitHub, run_id: int, head: str, workflow_id: int) -> dict[str, Any]:
    run = gh.get_or_none(f"/actions/runs/{run_id}")
    fix = "fix: re-run the pull request's plan job on its last commit, then merge"
    if run is None:
        raise Refused(f"the plan comment names run {run_id}, which does not exist; {fix}")
    if int(run["workflow_id"]) != workflow_id:
        raise Refused(f"run {run_id} is not a run of this workflow ({run.get('path')}); {fix}")
    if run.get("event") != "pull_request":
        raise Refused(f"run {run_id} ran on {run.get('event')}, not a pull request; {fix}")
    if run.get("head_sha") != head:
        raise Refused(
            f"run {run_id} planned {str(run.get('head_sha'))[:12]}, not the merged head "
            f"{head[:12]}; {fix}"
        )
    if run.get("status") != "completed" or run.get("conclusion") != "success":
        state = run.get("conclusion") or run.get("status")
        raise Refused(f"run {run_id} did not succeed ({state}); {fix}")
    return run


def plan_artifact(gh: GitHub, run_id: int, head: str) -> dict[str, Any]:
    name = artifact_name(head)
    found = [
        a
        for a in gh.paginate(f"/actions/runs/{run_id}/artifacts", key="artifacts", name=name)
        if a["name"] == name
    ]
    if len(found) != 1 or found[0].get("expired"):
        state = "expired" if found and found[0].get("expired") else "missing"
        raise Refused(
            f"run {run_id}'s artifact {name} is {state}; fix: re-run the plan job, then merge"
        )
    return found[0]


def _member(archive: zipfile.ZipFile, name: str, run_id: int, limit: int) -> zipfile.ZipInfo:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise Refused(f"run {run_id}'s artifact has no {name}; fix: re-run the plan job") from None
    if info.file_size > limit:
        raise Refused(f"run {run_id}'s {name} is over {limit} bytes; fix: re-run the plan job")
    return info


def _report_digest(raw: bytes, run_id: int) -> str:
    try:
        digest = json.loads(raw).get("digest")
    except (ValueError, AttributeError):
        digest = None
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise Refused(f"run {run_id}'s {REPORT_JSON} has no digest; fix: re-run the plan job")
    return digest


def pick_plan(
    gh: GitHub,
    sha: str,
    current_run_id: int,
    out_dir: Path,
    author: str = WORKFLOW_AUTHOR,
) -> Reviewed:
    """The reviewed plan of the pull request merged as `sha`, written to out_dir, or Refused."""
    pr = merged_pull_request(gh, sha)
    number, head = int(pr["number"]), pr["head"]["sha"]
    comment = plan_comment(gh, number, author)
    lines = parse_comment(comment["body"])
    if lines["head"] != head:
        raise Refused(
            f"the plan comment is for {lines['head'][:12]}, but #{number} was merged at "
            f"{head[:12]} (its last push was never planned successfully); fix: re-run the "
            "plan job on the last commit, review, then merge"
        )
    run_id = int(lines["run"])
    verify_run(gh, run_id, head, this_workflow(gh, current_run_id))
    artifact = plan_artifact(gh, run_id, head)
    with tempfile.TemporaryDirectory() as tmp:
        zipped = Path(tmp) / "artifact.zip"
        gh.download(f"/actions/artifacts/{artifact['id']}/zip", zipped)
        try:
            archive = zipfile.ZipFile(zipped)
        except zipfile.BadZipFile:
            raise Refused(
                f"run {run_id}'s artifact is not a zip; fix: re-run the plan job"
            ) from None
        with archive:
            md = _member(archive, REPORT_MD, run_id, MAX_REPORT_BYTES)
            report_md = archive.read(md).decode(errors="replace")
            js = _member(archive, REPORT_JSON, run_id, MAX_REPORT_BYTES)
            digest = _report_digest(archive.read(js), run_id)
            if lines["digest"] != digest:
                raise Refused(
                    f"the plan comment's digest {lines['digest'][:16]} is not run {run_id}'s "
                    f"{digest[:16]}; fix: re-run the plan job, review, then merge"
                )
            body = comment_body(report_md, digest, head, run_id)
            if _normal(comment["body"]) != _normal(body):
                raise Refused(
                    f"the plan comment is not what run {run_id} posted (edited since?); what "
                    "was reviewed is unknown; fix: re-run the plan job, review, then merge"
                )
            per_shard = _shard_digests(archive.read(js), digest, run_id)
            names = (
                [PLAN_FILE]
                if per_shard is None
                else [f"{SHARD_PLANS}/{shard}.plan.age" for shard in per_shard]
            )
            for name in names:
                plan = _member(archive, name, run_id, MAX_ARTIFACT_BYTES)
                (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
                with archive.open(plan) as src, (out_dir / name).open("wb") as dst:
                    shutil.copyfileobj(src, dst)  # streamed: memory stays bounded
    return Reviewed(pr=number, head=head, digest=digest, run_id=run_id, shards=per_shard)


def atlantis_yaml(shards: list[str], config_name: str = "sesame.yaml") -> str:
    """Atlantis repo config (version 3): a project per shard. Each plans with the plan
    credentials into its own encrypted plan and report; apply applies exactly that plan,
    bound to the digest in its report.json (docs/gitops.md#atlantis)."""
    import yaml

    config_arg = "" if config_name == "sesame.yaml" else f"--config {config_name} "
    digest = (
        ".venv/bin/python -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"digest\"])' "
        "sesame-report/$PROJECT_NAME/report.json"
    )
    doc = {
        "version": 3,
        "automerge": False,
        "parallel_plan": True,
        "parallel_apply": True,
        "projects": [
            {
                "name": shard,
                "dir": ".",
                "workflow": "sesame",
                "autoplan": {
                    "enabled": True,
                    "when_modified": [config_name, "terraform/**/*.tf", "scripts/**/*.py"],
                },
            }
            for shard in shards
        ],
        "workflows": {
            "sesame": {
                "plan": {
                    "steps": [
                        {
                            "run": "make setup TEST_BROWSER= LINT_TOOLS= && .venv/bin/sesame "
                            f"{config_arg}plan "
                            '--env production --read-only --shard "$PROJECT_NAME" --out '
                            "sesame-plans --report sesame-report"
                        }
                    ]
                },
                "apply": {
                    "steps": [
                        {
                            "run": f".venv/bin/sesame {config_arg}apply --env production "
                            '--shard "$PROJECT_NAME" --plan "sesame-plans/$PROJECT_NAME.plan.age" '
                            f'--expect-digest "$({digest})"'
                        }
                    ]
                },
            }
        },
    }
    header = (
        "# Written by `sesame ci atlantis`: one project per shard (docs/gitops.md#atlantis).\n"
        "# Regenerate after changing `shards:`; or run it in a pre_workflow_hook with\n"
        "# --changed-since to plan only the shards a pull request touches.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, width=200)


# -- schedule: the one drift issue ------------------------------------------------------------

DRIFT_TITLE = "sesame: drift outside the reviewed plan"
MAX_ISSUE_BODY = 60_000  # GitHub refuses an issue body over 65,536 characters


@dataclass(frozen=True)
class DriftIssue:
    """What `drift_issue` did: opened, updated, closed or none; the issue's number."""

    action: str
    number: int | None


def _open_drift_issue(gh: GitHub, author: str, title: str) -> int | None:
    """The workflow's own open drift issue (oldest, if a race made two); an issue someone
    else opened with that title is never edited or closed."""
    found = [
        int(i["number"])
        for i in gh.paginate("/issues", state="open", creator=author)
        if "pull_request" not in i and i.get("title") == title
    ]
    return min(found) if found else None


def drift_body(found: str, report_md: str, run_url: str) -> str:
    """The issue's text: the run, `sesame drift`'s lines, then the review report; cut to
    what GitHub accepts, saying so."""
    body = f"Found by {run_url}\n\n```\n{found.strip()}\n```\n\n{report_md}".rstrip() + "\n"
    if len(body) > MAX_ISSUE_BODY:
        body = body[:MAX_ISSUE_BODY] + f"\n\n… cut at {MAX_ISSUE_BODY} characters: see {run_url}\n"
    return body


def drift_issue(
    gh: GitHub, drifted: bool, body: str, seen: str, author: str = WORKFLOW_AUTHOR
) -> DriftIssue:
    """Drift opens the one issue (DRIFT_TITLE), or updates its body and comments while it
    lasts; the first run without drift comments and closes it (state_reason completed).
    `seen`: the run's day and URL, e.g. "2026-12-04: https://github.com/o/r/actions/runs/1"."""
    number = _open_drift_issue(gh, author, DRIFT_TITLE)
    if drifted and number is None:
        made = gh.post("/issues", {"title": DRIFT_TITLE, "body": body})
        return DriftIssue("opened", int(made["number"]))
    if drifted:
        assert number is not None
        gh.patch(f"/issues/{number}", {"body": body})
        gh.post(f"/issues/{number}/comments", {"body": f"Still drifted on {seen}"})
        return DriftIssue("updated", number)
    if number is None:
        return DriftIssue("none", None)
    gh.post(f"/issues/{number}/comments", {"body": f"No drift on {seen}"})
    gh.patch(f"/issues/{number}", {"state": "closed", "state_reason": "completed"})
    return DriftIssue("closed", number)
