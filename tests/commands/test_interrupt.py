"""Interrupted and concurrent runs converge: real signals to a real sandbox `sesame apply`,
then the emulators' inventories (IAM users and keys in moto, SES identities, Cloudflare
records): nothing duplicated, nothing left after destroy (issue 12 §B, §H)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sesame import errors
from sesame.config import Config
from sesame.sandbox import world
from sesame.target import workdir_for
from sesame.tf import journal
from testing import Sesame, account_users, domain, make_config

ZONE = "stop.example"
CONFIG = make_config(
    domain(ZONE, {"stop-smtp": {"kind": "smtp", "from": [f"noreply@{ZONE}"]}}),
)
CFG = Config.model_validate(CONFIG)
LOCK_KEY = f"{CFG.backend.key}.tflock"


def _sandbox(top: Path) -> world.Sandbox:
    return world.Sandbox(workdir_for(top, "sandbox"), CFG)


def _inventory(top: Path) -> dict[str, Any]:
    """What the emulators hold: IAM users and their keys, SES identities and configuration
    sets, every Cloudflare record, and whether the state is locked."""
    with _sandbox(top) as sb:
        iam = sb.client("iam")
        users = account_users(sb)  # not the users sesame runs as (new keys each command)
        keys = {u: len(iam.list_access_keys(UserName=u)["AccessKeyMetadata"]) for u in users}
        s3 = sb.client("s3", region="us-east-1")
        listed = s3.list_objects_v2(Bucket=CFG.backend.bucket).get("Contents", [])
        zone = sb.cloudflare.zone_by_name(ZONE)
        return {
            "users": users,
            "keys": keys,
            "identities": [i.name for i in sb.ses.list_identities(world.ACCOUNT_ID, CFG.region)],
            "sets": [c.name for c in sb.ses.list_configuration_sets(world.ACCOUNT_ID, CFG.region)],
            "records": [
                (r.type, r.name, r.content, r.ttl, r.proxied, r.comment)
                for r in sb.cloudflare.records(zone.id)
            ],
            "locked": any(o["Key"] == LOCK_KEY for o in listed),
            "journal": any(o["Key"] == journal.key(CFG) for o in listed),
        }


def _processes_in(workdir: Path) -> list[str]:
    """Processes (terraform, providers) whose working directory is under the work dir."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
            comm = (proc / "comm").read_text().strip()
        except OSError:
            continue
        if cwd.startswith(str(workdir)):
            found.append(f"{proc.name} {comm}")
    return found


def _start(top: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sesame", *args],
        cwd=top,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SOPS_DISABLE_VERSION_CHECK": "1"},
    )


def _signal_when(proc: subprocess.Popen[str], pattern: str, sig: int) -> list[str]:
    """Read sesame's progress until a line matches, send `sig`, collect the rest."""
    assert proc.stderr is not None
    lines: list[str] = []
    sent = False
    deadline = time.monotonic() + 900
    for line in proc.stderr:
        lines.append(line)
        if not sent and re.search(pattern, line):
            proc.send_signal(sig)
            sent = True
        assert time.monotonic() < deadline, "".join(lines[-20:])
    proc.wait(timeout=300)
    assert sent, f"never saw {pattern!r}:\n{''.join(lines[-30:])}"
    return lines


def _no_duplicates(inv: dict[str, Any]) -> None:
    assert sorted(inv["users"]) == ["stop-smtp"]
    assert inv["keys"] == {"stop-smtp": 1}, inv["keys"]
    assert inv["identities"] == [ZONE]
    names = Counter((t, n) for t, n, *_ in inv["records"])
    assert all(c == 1 for c in names.values()), names
    assert not inv["locked"]
    assert not inv["journal"]  # the apply that completed removed it


# The points: right after sesame's own _dmarc record is created (a later apply must know
# it is sesame's, from state), and right after the sender's access key is created; Ctrl-C
# (SIGINT, forwarded to Terraform) at both, SIGKILL of sesame itself at the second.
POINTS = {
    "sigint-after-dmarc-then-apply": (r'done .*cloudflare_dns_record\.this\[".*/dmarc"\]', "INT"),
    "sigint-after-access-key-then-destroy": (r"done .*aws_iam_access_key\.this", "INT"),
    "sigkill-after-access-key-then-apply": (r"done .*aws_iam_access_key\.this", "KILL"),
}


@pytest.mark.parametrize("point", list(POINTS))
def test_interrupted_apply_converges(sesame: Sesame, point: str) -> None:
    pattern, sig_name = POINTS[point]
    sesame.write(CONFIG)
    before = _inventory(sesame.top)["records"]
    workdir = workdir_for(sesame.top, "sandbox")

    proc = _start(sesame.top, "apply")
    lines = _signal_when(proc, pattern, getattr(signal, f"SIG{sig_name}"))
    if sig_name == "INT":
        # Terraform got the interrupt, stopped gracefully and saved state; sesame then ended.
        assert proc.returncode == 130, "".join(lines[-20:])
        assert any("Terraform is stopping gracefully" in ln for ln in lines)
        assert "its state saved" in lines[-1] and "fix:" in lines[-1]
        assert _processes_in(workdir) == []  # no terraform, no provider outlives sesame
        assert not _inventory(sesame.top)["locked"]
        # The journal the apply wrote before it ran stays for the next run (sesame.tf.journal).
        assert _inventory(sesame.top)["journal"]
    else:  # the killed sandbox never saved its world: the next command starts from before
        assert proc.returncode == -signal.SIGKILL

    if point.endswith("then-destroy"):
        # Destroy straight from the partial state, no apply first.
        sesame.ok("destroy")
    else:
        done = sesame.ok("apply")
        assert "applied:" in done.stdout
        _no_duplicates(_inventory(sesame.top))
        assert sesame("plan", "--detailed-exitcode").returncode == 0
        sesame.ok("destroy")
    after = _inventory(sesame.top)
    assert not after["journal"]
    assert after["users"] == [] and after["identities"] == [] and after["sets"] == []
    assert sorted(after["records"]) == sorted(before)  # the zone exactly as its owner had it
    assert _processes_in(workdir) == []


def _put_lock(top: Path, who: str, lock_id: str = "5e5a4c1e-0000-4000-8000-000000000001") -> None:
    info = {
        "ID": lock_id,
        "Operation": "OperationTypeApply",
        "Info": "",
        "Who": who,
        "Version": "1.11.4",
        "Created": "2026-11-29T19:58:01.123456789Z",
        "Path": f"{CFG.backend.bucket}/{CFG.backend.key}",
    }
    with _sandbox(top) as sb:
        sb.client("s3", region="us-east-1").put_object(
            Bucket=CFG.backend.bucket, Key=LOCK_KEY, Body=json.dumps(info).encode()
        )


def test_a_lock_held_elsewhere_is_named_and_unlocked_only_with_force(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    _put_lock(sesame.top, "runner@ci-7.example.net")

    proc = sesame("plan")
    assert proc.returncode == errors.LockedError.exit_code, proc.stderr
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("sesame: "))
    assert "locked: apply by runner@ci-7.example.net since 2026-11-29 19:58:01 UTC" in line
    assert "`sesame state unlock`" in line
    # Terraform's own words follow sesame's line, for the curious.
    after = proc.stderr.split(line, 1)[1]
    assert "Error acquiring the state lock" in after
    assert "-lock=false" not in line

    refused = sesame("state", "unlock")
    assert refused.returncode == errors.LockedError.exit_code
    [msg] = refused.stderr.strip().splitlines()
    assert "taken on ci-7.example.net, not here" in msg and "--force" in msg
    assert _inventory(sesame.top)["locked"]

    done = sesame.ok("state", "unlock", "--force")
    assert "removed the Terraform state lock: apply by runner@ci-7.example.net" in done.stdout
    assert not _inventory(sesame.top)["locked"]
    assert "no changes" not in sesame.ok("plan").stdout  # plans again (changes: all new)


def test_a_stale_sandbox_lock_of_a_dead_run_is_repaired_by_the_next_command(
    sesame: Sesame,
) -> None:
    # What the issue saw: a world saved with `<key>.tflock` by an interrupted run on this
    # machine. Its holder is gone (this checkout's lock is free), so the next command
    # removes it and says so.
    sesame.write(CONFIG)
    _put_lock(sesame.top, f"me@{socket.gethostname()}")
    proc = sesame.ok("plan")
    assert "removed a stale Terraform state lock: apply by me@" in proc.stderr
    assert not _inventory(sesame.top)["locked"]


def test_errored_state_of_a_killed_run_is_pushed_by_the_next_command(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    sesame.ok("plan")  # init done; nothing applied, so the backend holds no state yet
    # What Terraform writes when it cannot reach the backend at the end of a killed run.
    errored = {
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 7,
        "lineage": "0b7f4f5e-1111-4222-8333-444455556666",
        "outputs": {"left": {"value": "by the killed run", "type": "string"}},
        "resources": [],
        "check_results": None,
    }
    root = workdir_for(sesame.top, "sandbox") / "root"
    (root / "errored.tfstate").write_text(json.dumps(errored))
    proc = sesame.ok("plan")
    assert "recovered state an interrupted run could not save (errored.tfstate)" in proc.stderr
    assert not (root / "errored.tfstate").exists()
    assert _state(sesame.top)["outputs"] == errored["outputs"]


def _state(top: Path) -> dict[str, Any]:
    with _sandbox(top) as sb:
        s3 = sb.client("s3", region="us-east-1")
        body = s3.get_object(Bucket=CFG.backend.bucket, Key=CFG.backend.key)["Body"]
        return json.loads(body.read())


def test_two_commands_at_once_in_one_checkout_the_second_is_refused(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    first = _start(sesame.top, "plan")
    lock = workdir_for(sesame.top, "sandbox") / "sesame.lock"
    deadline = time.monotonic() + 120
    while not (lock.exists() and str(first.pid) in lock.read_text()):
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.1)

    second = sesame("apply")
    assert second.returncode == errors.LockedError.exit_code, second.stderr
    [line] = second.stderr.strip().splitlines()
    assert line.startswith("sesame: another sesame command is running in this checkout")
    assert f"`sesame plan` (pid {first.pid}, since " in line and "fix: wait" in line

    _, err = first.communicate(timeout=900)
    assert first.returncode == 0, err
    assert _inventory(sesame.top)["users"] == []  # the refused apply changed nothing
    sesame.ok("plan")  # the lock went with the first command


SHARDED = make_config(
    {
        **domain(
            "one.example", {"one-smtp": {"kind": "smtp", "from": ["a@one.example"]}}, shard="one"
        ),
        **domain(
            "two.example", {"two-api": {"kind": "api", "from": ["b@two.example"]}}, shard="two"
        ),
    },
    shards={},
)


def test_ctrl_c_during_parallel_shard_applies_stops_every_shard_and_the_next_apply_converges(
    sesame: Sesame,
) -> None:
    """Ctrl-C while shards apply side by side: every shard's Terraform gets it and saves its
    state, none outlives sesame, no shard's state stays locked, and the next apply finishes
    without duplicating anything (one identity per domain, one key per sender)."""
    sesame.write(SHARDED)
    cfg = Config.model_validate(SHARDED)
    workdir = workdir_for(sesame.top, "sandbox")
    proc = _start(sesame.top, "apply", "--parallel", "3")
    # The global shard has a topic and two alarms: it finishes first, the others still run.
    lines = _signal_when(proc, r"shard global: ", signal.SIGINT)
    assert proc.returncode == errors.INTERRUPTED, "".join(lines[-20:])
    assert "its state saved" in lines[-1] or "interrupted" in lines[-1], lines[-1]
    assert _processes_in(workdir) == []
    with world.Sandbox(workdir, cfg) as sb:
        s3 = sb.client("s3", region="us-east-1")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=cfg.backend.bucket).get("Contents", [])]
    assert [k for k in keys if k.endswith(".tflock")] == []

    done = sesame.ok("apply")
    assert "applied:" in done.stdout + done.stderr
    with world.Sandbox(workdir, cfg) as sb:
        iam = sb.client("iam")
        users = account_users(sb)
        keys_of = {u: len(iam.list_access_keys(UserName=u)["AccessKeyMetadata"]) for u in users}
        identities = [i.name for i in sb.ses.list_identities(world.ACCOUNT_ID, cfg.region)]
    assert keys_of == {"one-smtp": 1, "two-api": 1}
    assert sorted(identities) == ["one.example", "two.example"]
    assert sesame("plan", "--detailed-exitcode").returncode == 0
    sesame.ok("destroy")
    assert _processes_in(workdir) == []
