"""A fake GitHub REST API over loopback: the few endpoints the GitOps workflow calls.

State is plain dicts the tests fill in (pull requests, comments, runs, artifacts). Like
GitHub it pages lists (at most PAGE items, with a Link header), knows who a token belongs
to (a comment's author is the token's owner), and redirects artifact downloads to a blob
store on another origin that refuses a request carrying an Authorization header.
"""

from __future__ import annotations

import io
import itertools
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, abort, jsonify, redirect, request
from werkzeug.serving import make_server

OWNER, REPO = "acme", "mail"
REPOSITORY = f"{OWNER}/{REPO}"
WORKFLOW_ID = 7  # .github/workflows/sesame.yml
OTHER_WORKFLOW_ID = 8  # another workflow file, even one that is also named "sesame"
BOT = "github-actions[bot]"
PAGE = 2  # GitHub pages at 100; small here so every list is paginated in the tests
TOKENS = {"workflow-token": BOT, "mallory-token": "mallory", "reviewer-token": "alice"}


@dataclass
class World:
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    artifacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    blob_base: str = ""
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(5000))
    token_leaks: list[str] = field(default_factory=list)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)

    def issue(self, title: str, author: str, body: str = "", state: str = "open") -> int:
        """An issue as GitHub lists it; its number shares the comment numbering with pulls."""
        number = next(self.ids)
        self.issues[number] = {
            "number": number,
            "title": title,
            "body": body,
            "state": state,
            "state_reason": None,
            "user": {"login": author},
        }
        self.comments.setdefault(number, [])
        return number

    def pull(self, number: int, head: str, merge_commit: str | None = None) -> None:
        self.pulls[number] = {
            "number": number,
            "head": {"sha": head},
            "merged_at": "2026-11-29T12:00:00Z" if merge_commit else None,
            "merge_commit_sha": merge_commit,
        }
        self.comments.setdefault(number, [])

    def comment(self, pr: int, author: str, body: str) -> dict[str, Any]:
        made = {"id": next(self.ids), "user": {"login": author}, "body": body}
        self.comments[pr].append(made)
        return made

    def run(
        self, run_id: int, head: str, files: dict[str, bytes] | None = None, **fields: Any
    ) -> None:
        """A workflow run of `head`: by default the sesame workflow's, a pull_request run that
        succeeded; `fields` override that (workflow_id, event, conclusion: None is still
        running). `files`: its plan artifact's contents, by name."""
        run = {
            "id": run_id,
            "name": "sesame",
            "workflow_id": WORKFLOW_ID,
            "event": "pull_request",
            "head_sha": head,
            "conclusion": "success",
            **fields,
        }
        ours = run["workflow_id"] == WORKFLOW_ID
        run["path"] = f".github/workflows/{'sesame' if ours else 'other'}.yml"
        run["status"] = "completed" if run["conclusion"] else "in_progress"
        self.runs[run_id] = run
        if files is not None:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                for name, data in files.items():
                    z.writestr(name, data)
            art_id = next(self.ids)
            self.blobs[f"blob{art_id}"] = buf.getvalue()
            self.artifacts[art_id] = {
                "id": art_id,
                "run": run_id,
                "name": f"sesame-plan-{head}",
                "expired": False,
            }


def _paged(items: list[Any], key: str | None = None) -> Response:
    page = int(request.args.get("page", "1"))
    per = min(int(request.args.get("per_page", "30")), PAGE)
    chunk = items[(page - 1) * per : page * per]
    resp = jsonify({key: chunk, "total_count": len(items)} if key else chunk)
    if page * per < len(items):
        args = {**request.args.to_dict(), "page": str(page + 1)}
        query = "&".join(f"{k}={v}" for k, v in args.items())
        resp.headers["Link"] = f'<{request.base_url}?{query}>; rel="next"'
    return resp


def api(world: World) -> Flask:
    app = Flask("fake-github")
    base = f"/repos/{OWNER}/{REPO}"

    @app.before_request
    def authenticate() -> None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in TOKENS:
            abort(401)

    def me() -> str:
        return TOKENS[request.headers["Authorization"].removeprefix("Bearer ")]

    @app.get(f"{base}/commits/<sha>/pulls")
    def pulls_of_commit(sha: str) -> Response:
        found = [
            p
            for p in world.pulls.values()
            if p["merge_commit_sha"] == sha or p["head"]["sha"] == sha
        ]
        return _paged(found)

    @app.get(f"{base}/issues/<int:number>/comments")
    def list_comments(number: int) -> Response:
        return _paged(world.comments.get(number, []))

    @app.post(f"{base}/issues/<int:number>/comments")
    def create_comment(number: int) -> Response:
        return jsonify(world.comment(number, me(), request.get_json()["body"]))

    @app.patch(f"{base}/issues/comments/<int:comment_id>")
    def update_comment(comment_id: int) -> Response:
        for c in itertools.chain.from_iterable(world.comments.values()):
            if c["id"] == comment_id:
                c["body"] = request.get_json()["body"]
                return jsonify(c)
        abort(404)

    @app.get(f"{base}/issues")
    def list_issues() -> Response:
        state = request.args.get("state", "open")
        creator = request.args.get("creator")
        found = [
            i
            for i in sorted(world.issues.values(), key=lambda i: -i["number"])  # newest first
            if state in ("all", i["state"]) and creator in (None, i["user"]["login"])
        ]
        return _paged(found)

    @app.post(f"{base}/issues")
    def create_issue() -> Response:
        got = request.get_json()
        number = world.issue(got["title"], me(), got.get("body", ""))
        return jsonify(world.issues[number])

    @app.patch(f"{base}/issues/<int:number>")
    def update_issue(number: int) -> Response:
        if number not in world.issues:
            abort(404)
        got = request.get_json()
        issue = world.issues[number]
        issue.update({k: got[k] for k in ("title", "body", "state", "state_reason") if k in got})
        return jsonify(issue)

    @app.get(f"{base}/actions/runs")
    def list_runs() -> Response:
        runs = [
            r
            for r in world.runs.values()
            if r["head_sha"] == request.args.get("head_sha", r["head_sha"])
            and r["event"] == request.args.get("event", r["event"])
            and request.args.get("status") in (None, r["status"], r["conclusion"])
        ]
        return _paged(runs, key="workflow_runs")

    @app.get(f"{base}/actions/runs/<int:run_id>")
    def get_run(run_id: int) -> Response:
        if run_id not in world.runs:
            abort(404)
        return jsonify(world.runs[run_id])

    @app.get(f"{base}/actions/runs/<int:run_id>/artifacts")
    def run_artifacts(run_id: int) -> Response:
        found = [
            a
            for a in world.artifacts.values()
            if a["run"] == run_id and a["name"] == request.args.get("name", a["name"])
        ]
        return _paged(found, key="artifacts")

    @app.get(f"{base}/actions/artifacts/<int:art_id>/zip")
    def download_artifact(art_id: int) -> Response:
        if art_id not in world.artifacts:
            abort(404)
        return redirect(f"{world.blob_base}/blob{art_id}?sig=signed", code=302)

    return app


def blob_store(world: World) -> Flask:
    app = Flask("fake-blob-store")

    @app.get("/<name>")
    def blob(name: str) -> Response:
        if "Authorization" in request.headers:  # the token must never leave GitHub's origin
            world.token_leaks.append(request.headers["Authorization"])
            abort(400)
        if request.args.get("sig") != "signed" or name not in world.blobs:
            abort(403)
        return Response(world.blobs[name], mimetype="application/zip")

    return app


@contextmanager
def serve(world: World) -> Iterator[str]:
    """Serve the API and the blob store on loopback; yield the API's base URL."""
    github = make_server("127.0.0.1", 0, api(world), threaded=True)
    blobs = make_server("127.0.0.1", 0, blob_store(world), threaded=True)
    world.blob_base = f"http://127.0.0.1:{blobs.server_port}"
    servers = (github, blobs)
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{github.server_port}"
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
