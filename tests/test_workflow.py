"""The GitOps workflow as written: actions pinned to commits, each key only where its role is.

Run by `make lint` too: an action pinned by tag or branch fails the lint.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from testing import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<tag>\S+))?", re.M)
_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def unpinned(text: str) -> list[str]:
    """Every `uses:` that is not a full commit SHA with its tag in a comment."""
    bad = []
    for m in _USES.finditer(text):
        ref, tag = m["ref"].strip("'\""), m["tag"]
        if ref.startswith("./"):  # an action in this repository: pinned by the checkout
            continue
        if ref.startswith("docker://"):
            if not re.search(r"@sha256:[0-9a-f]{64}$", ref):
                bad.append(f"{ref}: pin the image by @sha256 digest")
            continue
        if not _PINNED.match(ref):
            bad.append(f"{ref}: pin to a full 40-hex commit SHA (`# vX.Y.Z` after it)")
        elif not tag:
            bad.append(f"{ref}: name the tag in a comment after the SHA")
    return bad


def test_workflows_exist() -> None:
    assert WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit(path: Path) -> None:
    text = path.read_text()
    assert _USES.search(text)
    assert unpinned(text) == []


@pytest.mark.parametrize(
    "line",
    [
        "      - uses: actions/checkout@v4",
        "      - uses: actions/checkout@main",
        "      - uses: actions/checkout@11d5960",
        "      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262",
        "    uses: org/repo/.github/workflows/x.yml@v1",
        "      - uses: docker://alpine:3",
        "      - uses: 'actions/checkout@v4' # v4",
    ],
)
def test_pin_check_refuses_tags_branches_short_shas_and_missing_tag_comments(line: str) -> None:
    assert unpinned(line + "\n") != []


def test_pin_check_accepts_a_sha_with_its_tag_and_local_actions() -> None:
    text = (
        "      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0\n"
        "      - uses: ./.github/actions/local\n"
    )
    assert unpinned(text) == []


def _jobs() -> dict:
    doc = yaml.safe_load((REPO / ".github" / "workflows" / "sesame.yml").read_text())
    return doc["jobs"]


def _secrets_used(job: dict) -> set[str]:
    return set(re.findall(r"secrets\.(\w+)", yaml.safe_dump(job)))


def test_pull_request_plan_holds_only_the_plan_key_and_no_environment() -> None:
    plan = _jobs()["plan"]
    assert _secrets_used(plan) == {"SOPS_AGE_KEY_PLAN"}
    assert "environment" not in plan
    assert "--read-only" in yaml.safe_dump(plan)
    assert set(plan["permissions"]) == {"contents", "pull-requests"}
    assert plan["permissions"]["contents"] == "read"


def test_production_key_only_in_jobs_of_the_production_environment() -> None:
    for name, job in _jobs().items():
        if "SOPS_AGE_KEY" in _secrets_used(job):
            assert job.get("environment") == "production", name


def test_no_decision_is_inline_script() -> None:
    for name, job in _jobs().items():
        for step in job.get("steps", []):
            assert "github-script" not in step.get("uses", ""), name


def test_shard_plans_are_a_matrix_over_the_changed_shards_with_only_the_plan_key() -> None:
    jobs = _jobs()
    select = yaml.safe_dump(jobs["shards"])
    assert "sesame ci shards" in select and "--changed-since" in select
    assert jobs["shards"]["steps"][0]["with"]["fetch-depth"] == 0  # the base branch, for the diff
    assert _secrets_used(jobs["shards"]) == set()
    plan = jobs["plan-shard"]
    assert plan["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.shards.outputs.matrix) }}"
    assert plan["strategy"]["fail-fast"] is False
    assert "${{ matrix.shard }}" in plan["concurrency"]["group"]
    assert _secrets_used(plan) == {"SOPS_AGE_KEY_PLAN"} and "environment" not in plan
    run = "\n".join(step.get("run", "") for step in plan["steps"])
    assert "--read-only" in run and '--shard "$SHARD"' in run


def test_shard_reports_make_one_sticky_comment() -> None:
    comment = _jobs()["plan-comment"]
    assert comment["needs"] == ["shards", "plan-shard"]
    assert _secrets_used(comment) == set()
    steps = yaml.safe_dump(comment)
    assert "sesame ci combine" in steps and "sesame ci post-plan" in steps


def test_shard_applies_are_per_shard_with_that_shards_digest_and_concurrency() -> None:
    jobs = _jobs()
    apply = jobs["apply-shard"]
    assert apply["environment"] == "production"
    assert apply["concurrency"] == {
        "group": "sesame-apply-${{ matrix.shard }}",
        "cancel-in-progress": False,
    }
    assert (
        apply["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.pick-shards.outputs.shards) }}"
    )
    env = apply["steps"][-1]["env"]
    assert env["DIGEST"] == "${{ fromJSON(needs.pick-shards.outputs.shard_digests)[matrix.shard] }}"
    assert '--shard "$SHARD"' in apply["steps"][-1]["run"]
    assert _secrets_used(jobs["pick-shards"]) == set()
