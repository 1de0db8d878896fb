"""The workflow's decisions (`sesame ci pick-plan` / `post-plan`) against a fake GitHub API.

Each attack of issue 13 is a test: `sesame ci pick-plan` (run as the workflow runs it)
refuses it in one line, or picks the genuine plan, and where the attack worked on the
workflow's previous inline logic (tests/gitops_before.py) the test shows that too.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import fake_github
from fake_github import BOT, OTHER_WORKFLOW_ID, REPOSITORY, World
from gitops_before import pick_before
from sesame.gitops import GitHub, Refused, comment_body
from sesame.report.shards import combined_digest

A = "a1" * 20  # the innocent pull request's head
A_OLD = "a0" * 20  # its previous head
B = "b1" * 20  # another pull request's head
MERGE = "ee" * 20  # the merge commit on main
APPLY_RUN = 900  # the apply job's own run


def digest(head: str) -> str:
    return hashlib.sha256(f"plan of {head}".encode()).hexdigest()


def report_md(head: str) -> str:
    return f"# sesame plan\n\n| change | count |\n|---|---|\n| create | 1 |\n\n(plan of {head})\n"


def plan_bytes(head: str) -> bytes:
    return f"age-encrypted plan of {head}".encode()


def artifact(head: str) -> dict[str, bytes]:
    return {
        "reviewed.plan.age": plan_bytes(head),
        "report/report.md": report_md(head).encode(),
        "report/report.json": json.dumps({"digest": digest(head)}).encode(),
        "report/report.html": b"<html></html>",
    }


def genuine_body(head: str, run_id: int) -> str:
    return comment_body(report_md(head), digest(head), head, run_id)


def sesame_ci(
    argv: list[str], url: str, token: str, run_id: int, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess:
    """`sesame ci ARGV` as a workflow step runs it: GitHub's variables for `url`'s API."""
    github = {"GITHUB_API_URL": url, "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_TOKEN": token}
    return subprocess.run(
        [sys.executable, "-m", "sesame", "ci", *argv],
        cwd=cwd,
        env={**os.environ, **github, "GITHUB_RUN_ID": str(run_id), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@dataclass
class Pipeline:
    world: World
    url: str
    tmp: Path

    def pick(self, token: str = "workflow-token") -> subprocess.CompletedProcess:
        """`sesame ci pick-plan` exactly as the apply job runs it."""
        out = self.tmp / "github_output"
        out.write_text("")
        argv = ["pick-plan", "--out", str(self.tmp / "o")]
        return sesame_ci(argv, self.url, token, APPLY_RUN, GITHUB_SHA=MERGE, GITHUB_OUTPUT=str(out))

    def outputs(self) -> dict[str, str]:
        lines = (self.tmp / "github_output").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines)

    def before(self) -> dict[str, str]:
        """What the previous inline logic would have handed to `sesame apply`."""
        with GitHub(self.url, REPOSITORY, "workflow-token") as gh:
            return pick_before(gh, MERGE)

    def refused(self, *needles: str) -> str:
        proc = self.pick()
        assert proc.returncode == 1, proc.stdout + proc.stderr
        lines = proc.stderr.splitlines()
        assert len(lines) == 1, proc.stderr
        for needle in needles:
            assert needle in lines[0]
        assert not (self.tmp / "o" / "reviewed.plan.age").exists()  # nothing to apply
        assert self.world.token_leaks == []
        return lines[0]

    def picked(self, head: str, run_id: int, pr: int = 1) -> None:
        proc = self.pick()
        assert proc.returncode == 0, proc.stderr
        assert (self.tmp / "o" / "reviewed.plan.age").read_bytes() == plan_bytes(head)
        assert self.outputs() == {
            "digest": digest(head),
            "head": head,
            "pr": str(pr),
            "run_id": str(run_id),
        }
        assert self.world.token_leaks == []


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    """#1 (head A, run 101) was merged as MERGE; #2 (head B, run 102) is open.
    Both have the workflow's genuine plan comment; the apply job is run 900."""
    world = World()
    world.pull(1, A, merge_commit=MERGE)
    world.pull(2, B)
    world.run(101, A, files=artifact(A))
    world.run(102, B, files=artifact(B))
    world.run(APPLY_RUN, MERGE, event="push", conclusion=None)
    world.comment(1, "alice", "LGTM")
    world.comment(2, BOT, genuine_body(B, 102))
    with fake_github.serve(world) as url:
        yield Pipeline(world, url, tmp_path)


def genuine(p: Pipeline) -> dict:
    return p.world.comment(1, BOT, genuine_body(A, 101))


def test_merge_applies_exactly_the_plan_its_pull_request_reviewed(pipeline: Pipeline) -> None:
    genuine(pipeline)
    pipeline.world.comment(1, "bob", "one more comment, so the list spans pages")
    pipeline.picked(A, 101)
    assert pipeline.before()["digest"] == digest(A)  # the old logic got the honest case right


def test_forged_comment_posted_first_is_ignored(pipeline: Pipeline) -> None:
    # mallory can comment: she points at #2's successful plan, before the workflow's comment
    pipeline.world.comment(1, "mallory", genuine_body(B, 102))
    genuine(pipeline)
    assert pipeline.before()["digest"] == digest(B)  # before: merging #1 applied #2's plan
    pipeline.picked(A, 101)


def test_forged_comment_alone_is_refused_naming_its_author(pipeline: Pipeline) -> None:
    pipeline.world.comment(1, "mallory", genuine_body(B, 102))
    assert pipeline.before()["digest"] == digest(B)
    pipeline.refused("#1 has no plan comment by github-actions[bot]", "mallory")


def test_missing_comment_is_refused(pipeline: Pipeline) -> None:
    with pytest.raises(Refused):
        pipeline.before()
    pipeline.refused("#1 has no plan comment by github-actions[bot];", "re-run")


def test_comment_for_an_older_head_is_refused(pipeline: Pipeline) -> None:
    # The plan of the last push (A) failed; the comment still holds A_OLD's plan.
    pipeline.world.run(99, A_OLD, files=artifact(A_OLD))
    pipeline.world.run(100, A, conclusion="failure")
    pipeline.world.comment(1, BOT, genuine_body(A_OLD, 99))
    pipeline.world.runs.pop(101)
    assert pipeline.before()["head"] == A_OLD  # before: merge applied the older plan
    pipeline.refused(f"is for {A_OLD[:12]}, but #1 was merged at {A[:12]}")


def test_comment_pointing_at_another_pull_requests_plan_is_refused(pipeline: Pipeline) -> None:
    # Any pull request's plan job holds a token that writes as the workflow's identity:
    # its code can post as github-actions[bot] on #1. Here it edits the genuine comment.
    genuine(pipeline)["body"] = genuine_body(B, 102)
    assert pipeline.before()["digest"] == digest(B)
    pipeline.refused(f"is for {B[:12]}, but #1 was merged at {A[:12]}")


def test_comment_naming_another_pull_requests_run_is_refused(pipeline: Pipeline) -> None:
    genuine(pipeline)["body"] = comment_body(report_md(B), digest(B), A, 102)
    pipeline.refused(f"run 102 planned {B[:12]}, not the merged head {A[:12]}")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"conclusion": "failure"}, "run 101 did not succeed (failure)"),
        ({"conclusion": None, "status": "in_progress"}, "did not succeed (in_progress)"),
        ({"workflow_id": OTHER_WORKFLOW_ID}, "run 101 is not a run of this workflow"),
        ({"event": "workflow_dispatch"}, "ran on workflow_dispatch, not a pull request"),
    ],
    ids=["failed", "unfinished", "other-workflow", "not-a-pull-request"],
)
def test_run_that_is_not_a_successful_plan_of_this_workflow_is_refused(
    pipeline: Pipeline, change: dict, why: str
) -> None:
    genuine(pipeline)
    pipeline.world.runs[101].update(change)
    pipeline.refused(why)


def test_comment_naming_a_missing_run_is_refused(pipeline: Pipeline) -> None:
    genuine(pipeline)["body"] = genuine_body(A, 4242)
    pipeline.refused("names run 4242, which does not exist")


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda b: b.replace("| create | 1 |", "| create | 0 |"), "not what run 101 posted"),
        (lambda b: b.replace(digest(A), digest(B)), "digest"),
        (lambda b: b + "\nsesame-digest: " + digest(B), "2 `sesame-digest:` lines"),
    ],
    ids=["report-text", "digest", "second-digest-line"],
)
def test_edited_comment_is_refused(pipeline: Pipeline, edit, why: str) -> None:
    made = genuine(pipeline)
    made["body"] = edit(made["body"])
    pipeline.refused(why)


def test_edited_report_was_accepted_before(pipeline: Pipeline) -> None:
    made = genuine(pipeline)
    made["body"] = made["body"].replace("| create | 1 |", "| create | 0 |")
    assert pipeline.before()["digest"] == digest(A)  # what reviewers read was never checked


def test_second_comment_as_the_workflow_is_refused(pipeline: Pipeline) -> None:
    genuine(pipeline)
    pipeline.world.comment(1, BOT, genuine_body(A, 101))
    pipeline.refused("#1 has 2 plan comments by github-actions[bot], not 1")


def test_push_without_a_merged_pull_request_is_refused(pipeline: Pipeline) -> None:
    pipeline.world.pulls[1]["merge_commit_sha"] = "ff" * 20
    pipeline.refused(f"no pull request was merged as {MERGE[:12]}")


def test_expired_artifact_is_refused(pipeline: Pipeline) -> None:
    genuine(pipeline)
    for art in pipeline.world.artifacts.values():
        art["expired"] = True
    pipeline.refused(f"artifact sesame-plan-{A} is expired")


def test_token_is_refused_by_github_in_one_line(pipeline: Pipeline) -> None:
    genuine(pipeline)
    proc = pipeline.pick(token="nobody")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert "GitHub answered 401" in proc.stderr


def _post(
    p: Pipeline, token: str, report: Path, run_id: int, *extra: str
) -> subprocess.CompletedProcess:
    """`sesame ci post-plan` as the plan job (or, with --replan, the apply job) runs it."""
    args = ["post-plan", "--pr", "1", "--head", A, "--report", str(report), *extra]
    return sesame_ci(args, p.url, token, run_id)


def test_post_plan_keeps_one_comment_of_its_own_that_pick_plan_accepts(
    pipeline: Pipeline,
) -> None:
    report = pipeline.tmp / "report"
    report.mkdir()
    for name, data in artifact(A).items():
        if name.startswith("report/"):
            (report / name.removeprefix("report/")).write_bytes(data)
    forged = pipeline.world.comment(1, "mallory", genuine_body(B, 102))
    pipeline.world.runs[98] = {**pipeline.world.runs[101], "id": 98}
    assert _post(pipeline, "workflow-token", report, 98).returncode == 0
    assert _post(pipeline, "workflow-token", report, 101).returncode == 0  # a re-run: update
    mine = [c for c in pipeline.world.comments[1] if c["user"]["login"] == BOT]
    assert [c["body"] for c in mine] == [genuine_body(A, 101)]
    assert forged["body"] == genuine_body(B, 102)  # someone else's comment is never touched
    pipeline.picked(A, 101)


def test_stale_replan_is_posted_beside_the_reviewed_plan_and_never_picked_as_it(
    pipeline: Pipeline,
) -> None:
    genuine(pipeline)
    report = pipeline.tmp / "replan"
    report.mkdir()
    (report / "report.md").write_text("# sesame plan\n\nre-planned on main\n")
    (report / "report.json").write_text(json.dumps({"digest": digest(MERGE)}))
    proc = _post(pipeline, "workflow-token", report, APPLY_RUN, "--replan")
    assert proc.returncode == 0, proc.stderr
    replan = pipeline.world.comments[1][-1]
    assert replan["user"]["login"] == BOT
    assert replan["body"].startswith("<!-- sesame-replan -->")
    assert f"sesame-digest: {digest(MERGE)}" in replan["body"]
    assert f"sesame-run: {APPLY_RUN}" in replan["body"]
    pipeline.picked(A, 101)  # the reviewed plan is still the pull request's own


@pytest.mark.parametrize(
    ("drop", "replace", "why"),
    [
        ("reviewed.plan.age", {}, "artifact has no reviewed.plan.age"),
        (None, {"report/report.json": b"[]"}, "report/report.json has no digest"),
        (None, {"report/report.md": b"# another report\n"}, "not what run 101 posted"),
    ],
    ids=["no-plan", "no-digest", "other-report"],
)
def test_artifact_that_does_not_match_the_comment_is_refused(
    pipeline: Pipeline, drop: str | None, replace: dict, why: str
) -> None:
    files = {k: v for k, v in artifact(A).items() if k != drop} | replace
    pipeline.world.runs.pop(101)
    pipeline.world.artifacts.clear()
    pipeline.world.run(101, A, files=files)
    genuine(pipeline)
    pipeline.refused(why)


# -- the drift watch: `sesame ci drift-issue` keeps one issue -------------------------------

DRIFT_RUN = 950


def drift_issue_step(
    url: str, tmp: Path, drift_exit: int, found: str = "", token: str = "workflow-token"
) -> subprocess.CompletedProcess:
    """`sesame ci drift-issue` exactly as .github/workflows/drift.yml runs it."""
    (tmp / "drift.txt").write_text(found)
    (tmp / "drift-report").mkdir(exist_ok=True)
    (tmp / "drift-report" / "report.md").write_text("# sesame drift\n\n| resource | … |\n")
    argv = ["drift-issue", "--drift-exit", str(drift_exit), "--found", "drift.txt"]
    argv += ["--report", "drift-report"]
    server = {"GITHUB_SERVER_URL": "https://github.example"}
    return sesame_ci(argv, url, token, DRIFT_RUN, cwd=tmp, **server)


@pytest.fixture
def drift_world() -> Iterator[tuple[World, str]]:
    world = World()
    with fake_github.serve(world) as url:
        yield world, url


DRIFTED = "drift: module.x: content changed outside sesame\nsandbox: 1 resource(s) drifted\n"


def test_drift_opens_one_issue_updates_it_while_it_lasts_and_closes_it_when_gone(
    drift_world: tuple[World, str], tmp_path: Path
) -> None:
    world, url = drift_world
    assert drift_issue_step(url, tmp_path, 0, "sandbox: no drift\n").returncode == 0
    assert world.issues == {}  # no drift, nothing to open

    opened = drift_issue_step(url, tmp_path, 2, DRIFTED)
    assert opened.returncode == 0, opened.stderr
    [(number, issue)] = world.issues.items()
    assert issue["title"] == "sesame: drift outside the reviewed plan"
    assert issue["user"]["login"] == BOT and issue["state"] == "open"
    assert "content changed outside sesame" in issue["body"] and "# sesame drift" in issue["body"]
    assert f"https://github.example/{REPOSITORY}/actions/runs/{DRIFT_RUN}" in issue["body"]
    assert f"drift issue #{number} opened" in opened.stdout

    world.issue("padding so the open issues span pages", BOT)
    world.issue("another", "alice")
    again = drift_issue_step(url, tmp_path, 2, DRIFTED.replace("content", "ttl"))
    assert f"drift issue #{number} updated" in again.stdout
    assert len([i for i in world.issues.values() if i["title"] == issue["title"]]) == 1
    assert "ttl changed outside sesame" in world.issues[number]["body"]
    assert world.comments[number][-1]["body"].startswith("Still drifted on ")

    gone = drift_issue_step(url, tmp_path, 0, "sandbox: no drift\n")
    assert f"drift issue #{number} closed" in gone.stdout
    assert world.issues[number]["state"] == "closed"
    assert world.issues[number]["state_reason"] == "completed"
    assert world.comments[number][-1]["body"].startswith("No drift on ")


def test_someone_elses_issue_with_the_title_is_never_edited_or_closed(
    drift_world: tuple[World, str], tmp_path: Path
) -> None:
    world, url = drift_world
    decoy = world.issue("sesame: drift outside the reviewed plan", "mallory", "close me")
    drift_issue_step(url, tmp_path, 2, DRIFTED)
    drift_issue_step(url, tmp_path, 0, "sandbox: no drift\n")
    assert world.issues[decoy]["state"] == "open"
    assert world.issues[decoy]["body"] == "close me"
    assert world.comments[decoy] == []
    mine = [n for n, i in world.issues.items() if i["user"]["login"] == BOT]
    assert [world.issues[n]["state"] for n in mine] == ["closed"]


def test_a_failed_drift_run_leaves_the_issue_alone_and_keeps_its_exit_status(
    drift_world: tuple[World, str], tmp_path: Path
) -> None:
    world, url = drift_world
    drift_issue_step(url, tmp_path, 2, DRIFTED)
    [number] = world.issues
    failed = drift_issue_step(url, tmp_path, 5, "")
    assert failed.returncode == 5
    assert "the drift issue is unchanged" in failed.stdout
    assert world.issues[number]["state"] == "open" and world.comments[number] == []


def _sharded_artifact(head: str, digests: dict[str, str], combined: str) -> dict[str, bytes]:
    files = {f"plans/{s}.plan.age": plan_bytes(f"{head}/{s}") for s in digests}
    report = {"digest": combined, "shards": {s: {"digest": d} for s, d in digests.items()}}
    files["report/report.md"] = report_md(head).encode()
    files["report/report.json"] = json.dumps(report).encode()
    return files


def _sharded_pipeline(tmp_path: Path, digests: dict[str, str], combined: str) -> Iterator[Pipeline]:
    world = World()
    world.pull(1, A, merge_commit=MERGE)
    world.run(101, A, files=_sharded_artifact(A, digests, combined))
    world.run(APPLY_RUN, MERGE, event="push", conclusion=None)
    world.comment(1, BOT, comment_body(report_md(A), combined, A, 101))
    with fake_github.serve(world) as url:
        yield Pipeline(world, url, tmp_path)


SHARD_DIGESTS = {"global": "1" * 64, "shard-0": "2" * 64}


def test_merge_of_a_sharded_plan_hands_each_shard_its_plan_and_digest(tmp_path: Path) -> None:
    combined = combined_digest(SHARD_DIGESTS)
    for p in _sharded_pipeline(tmp_path, SHARD_DIGESTS, combined):
        proc = p.pick()
        assert proc.returncode == 0, proc.stderr
        for shard in SHARD_DIGESTS:
            got = (p.tmp / "o" / "plans" / f"{shard}.plan.age").read_bytes()
            assert got == plan_bytes(f"{A}/{shard}")
        out = p.outputs()
        assert out["digest"] == combined
        assert json.loads(out["shards"]) == ["global", "shard-0"]
        assert json.loads(out["shard_digests"]) == SHARD_DIGESTS


def test_shard_digests_that_do_not_bind_to_the_reviewed_digest_are_refused(
    tmp_path: Path,
) -> None:
    swapped = {**SHARD_DIGESTS, "shard-0": "3" * 64}  # a shard plan other than the reviewed one
    for p in _sharded_pipeline(tmp_path, swapped, combined_digest(SHARD_DIGESTS)):
        p.refused("shard digests do not combine into its digest")
        assert not (p.tmp / "o" / "plans").exists()
