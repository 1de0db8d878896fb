"""The apply job's decision as the workflow made it before issue 13 (inline github-script),
translated line by line to Python, so the tests can show each attack succeeding against it.

    const prs = await github.rest.repos.listPullRequestsAssociatedWithCommit({..., commit_sha});
    const pr = prs.data.find(p => p.merged_at);
    const comments = await github.paginate(github.rest.issues.listComments, {...});
    const mine = comments.find(c => c.body && c.body.startsWith('<!-- sesame-plan -->'));
    const digest = (mine.body.match(/^sesame-digest: ([0-9a-f]{64})$/m) || [])[1];
    const head = (mine.body.match(/^sesame-head: ([0-9a-f]{40})$/m) || [])[1];
    const runs = await github.rest.actions.listWorkflowRunsForRepo(
        {..., head_sha: head, event: 'pull_request', status: 'success'});
    const run = runs.data.workflow_runs.find(r => r.name === context.workflow);
"""

from __future__ import annotations

import re

from sesame.gitops import GitHub, Refused


def pick_before(gh: GitHub, sha: str, workflow_name: str = "sesame") -> dict[str, str]:
    prs = gh.get(f"/commits/{sha}/pulls")
    pr = next((p for p in prs if p.get("merged_at")), None)
    if pr is None:
        raise Refused("no merged pull request for this commit: nothing reviewed to apply")
    comments = list(gh.paginate(f"/issues/{pr['number']}/comments"))
    mine = next(
        (c for c in comments if c.get("body") and c["body"].startswith("<!-- sesame-plan -->")),
        None,
    )
    if mine is None:
        raise Refused(f"pull request #{pr['number']} has no sesame plan comment")
    digest = re.search(r"^sesame-digest: ([0-9a-f]{64})$", mine["body"], re.M)
    head = re.search(r"^sesame-head: ([0-9a-f]{40})$", mine["body"], re.M)
    if not digest or not head:
        raise Refused("the plan comment has no digest")
    runs = gh.get("/actions/runs", head_sha=head[1], event="pull_request", status="success")[
        "workflow_runs"
    ]
    run = next((r for r in runs if r["name"] == workflow_name), None)
    if run is None:
        raise Refused(f"no successful plan run for {head[1]}")
    return {"digest": digest[1], "head": head[1], "run_id": str(run["id"])}
