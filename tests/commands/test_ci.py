"""`sesame ci shards|combine|atlantis`: the workflow's shard matrix from a real git diff of
sesame.yaml, one combined report and digest, and Atlantis projects per shard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from sesame import config, shards
from sesame.report import shards as shard_report
from testing import make_config


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@example.net", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


def _ci(repo: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    outputs = repo / "github-output"
    outputs.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    proc = subprocess.run(
        [sys.executable, "-m", "sesame", "ci", *args],
        cwd=repo,
        env={**env, "GITHUB_OUTPUT": str(outputs)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    got = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if line)
    return proc, got


def _repo(tmp_path: Path, data: dict) -> Path:
    """A clone of a repository whose main branch holds `data` as sesame.yaml, on a branch."""
    origin = tmp_path / "origin"
    origin.mkdir()
    _git(origin, "init", "-q", "-b", "main")
    (origin / "sesame.yaml").write_text(yaml.safe_dump(data))
    _git(origin, "add", "sesame.yaml")
    _git(origin, "commit", "-q", "-m", "base")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    _git(clone, "checkout", "-q", "-b", "tenant-change")
    return clone


SHARDED = make_config(
    {f"t{i}.example.net": {"senders": {}} for i in range(20)}
    | {"vip.example.net": {"senders": {}, "shard": "vip"}},
    shards={"count": 4},
)


def test_ci_shards_matrix_is_the_shards_a_pull_request_changes(tmp_path: Path) -> None:
    repo = _repo(tmp_path, SHARDED)
    data = yaml.safe_load((repo / "sesame.yaml").read_text())
    data["domains"]["t7.example.net"]["mail_from"] = "bounce"  # one tenant's change
    data["domains"]["new.example.net"] = {"senders": {}}  # a tenant added
    (repo / "sesame.yaml").write_text(yaml.safe_dump(data))
    _git(repo, "commit", "-q", "-am", "tenants")

    proc, out = _ci(repo, "shards", "--changed-since", "origin/main")
    assert proc.returncode == 0, proc.stderr
    head = config.load(repo / "sesame.yaml")
    owner = shards.assign(head)
    expected = [
        s for s in shards.names(head) if s in {owner["t7.example.net"], owner["new.example.net"]}
    ]
    assert out["sharded"] == "true"
    assert json.loads(out["matrix"]) == expected and out["count"] == str(len(expected))
    assert "global" not in expected and len(expected) < len(shards.names(head))

    proc, out = _ci(repo, "shards")  # on push: every shard
    assert json.loads(out["matrix"]) == shards.names(head)


def test_ci_shards_without_shards_keeps_the_one_state_jobs(tmp_path: Path) -> None:
    repo = _repo(tmp_path, make_config({"a.example.net": {"senders": {}}}))
    proc, out = _ci(repo, "shards", "--changed-since", "origin/main")
    assert proc.returncode == 0, proc.stderr
    assert out == {"sharded": "false", "matrix": "[]", "count": "0"}


def _report(digest: str, adds: int) -> dict:
    return {
        "digest": digest,
        "counts": {"create": adds} if adds else {},
        "banner": [],
        "dns": [],
        "iam": [],
        "ses": [],
        "imports": [],
        "moves": [],
        "drift": [],
        "outputs": {},
        "changes": [],
        "prior_state": {"lineage": None, "serial": None},
        "terraform_version": "1.11.4",
        "gates": [],
    }


def test_ci_combine_binds_every_shard_digest(tmp_path: Path) -> None:
    repo = _repo(tmp_path, SHARDED)
    for shard, digest, adds in (("global", "a" * 64, 0), ("shard-1", "b" * 64, 3)):
        (repo / "report" / shard).mkdir(parents=True)
        (repo / "report" / shard / "report.json").write_text(json.dumps(_report(digest, adds)))
    proc, _ = _ci(repo, "combine", "--report", "report")
    assert proc.returncode == 0, proc.stderr
    combined = json.loads((repo / "report" / "report.json").read_text())
    assert combined["digest"] == shard_report.combined_digest(
        {"global": "a" * 64, "shard-1": "b" * 64}
    )
    assert combined["counts"] == {"create": 3}
    assert combined["digest"] != shard_report.combined_digest(
        {"global": "a" * 64, "shard-1": "c" * 64}
    )
    md = (repo / "report" / "report.md").read_text()
    assert "| `shard-1` | 3 create |" in md and "| `global` | no changes |" in md


def test_ci_atlantis_writes_one_project_per_shard(tmp_path: Path) -> None:
    repo = _repo(tmp_path, SHARDED)
    proc, _ = _ci(repo, "atlantis")
    assert proc.returncode == 0, proc.stderr
    doc = yaml.safe_load((repo / "atlantis.yaml").read_text())
    head = config.load(repo / "sesame.yaml")
    assert [p["name"] for p in doc["projects"]] == shards.names(head)
    steps = doc["workflows"]["sesame"]
    assert '--shard "$PROJECT_NAME"' in steps["plan"]["steps"][0]["run"]
    assert "--expect-digest" in steps["apply"]["steps"][0]["run"]


def test_ci_atlantis_without_shards_is_one_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path, make_config({"a.example.net": {"senders": {}}}))
    proc, _ = _ci(repo, "atlantis")
    assert proc.returncode == 3 and "fix: add `shards: {count: N}`" in proc.stderr
    assert not (repo / "atlantis.yaml").exists()
