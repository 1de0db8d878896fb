"""The Terraform state lock, and what an interrupted or killed run leaves behind.

The S3 backend with `use_lockfile` holds its lock as the object `<key>.tflock` next to
the state: Terraform's lock info as JSON (ID, Operation, Who = user@host, Version,
Created). sesame reads it to say who holds a lock and since when, and removes it (`sesame
state unlock`) only when that holder is gone: this host's run whose terraform process is
dead (sesame notes each terraform it starts in the work dir), or with --force.

Leftovers of a killed sesame, found by the next command (`recover`): the note of a
terraform that may still run, and `errored.tfstate` (state Terraform could not save to
the backend), which is pushed back. See docs/ownership.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from sesame import aws, output, process
from sesame.config import Config
from sesame.errors import ConfigError, LockedError
from sesame.target import Target

RUNNING = "sesame-terraform.json"  # in the Terraform data dir: the terraform sesame started
ERRORED = "errored.tfstate"
STOP_SECONDS = 60


def lock_key(config: Config) -> str:
    return f"{config.backend.key}.tflock"


def read(config: Config, target: Target) -> dict[str, Any] | None:
    """The lock info, or None when the state is not locked."""
    s3 = aws.r2_client(target)
    try:
        body = s3.get_object(Bucket=config.backend.bucket, Key=lock_key(config))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    raw = body["Body"].read()
    try:
        info = json.loads(raw or b"{}")
    except ValueError:
        info = {}
    return info if isinstance(info, dict) else {}


def describe(info: dict[str, Any]) -> str:
    who = info.get("Who") or "an unknown holder"
    operation = str(info.get("Operation") or "").removeprefix("OperationType").lower()
    created = re.match(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)", str(info.get("Created") or ""))
    since = f"{created[1]} {created[2]} UTC" if created else "an unknown time"  # Terraform: UTC
    what = f"{operation} by {who}" if operation else who
    return f"{what} since {since} (lock ID {info.get('ID', '?')})"


def unlock_command(target: Target) -> str:
    return "sesame state unlock" + (" --env production" if target.name == "production" else "")


def locked_line(config: Config, target: Target) -> str:
    """One line for a plan/apply Terraform refused with 'Error acquiring the state lock'."""
    info = read(config, target)
    if info is None:
        return (
            "the Terraform state was locked by another run, which has since released it; "
            "fix: run this again"
        )
    return (
        f"the Terraform state is locked: {describe(info)}; fix: wait for that run, or if it "
        f"is gone, `{unlock_command(target)}` (it checks the holder is gone first)"
    )


# -- the terraform sesame runs -------------------------------------------------------


def note_running(data_dir: Path, pid: int, command: str) -> None:
    """Written as terraform starts, removed when it has stopped: what a killed sesame left."""
    note = {
        "pid": pid,
        "sesame_pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command,
        "started": datetime.now(UTC).isoformat(),
    }
    (data_dir / RUNNING).write_text(json.dumps(note))


def clear_running(data_dir: Path) -> None:
    (data_dir / RUNNING).unlink(missing_ok=True)


def _running_note(data_dir: Path) -> dict[str, Any] | None:
    with contextlib.suppress(OSError, ValueError):
        note = json.loads((data_dir / RUNNING).read_text())
        if isinstance(note, dict):
            return note
    return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is gone for our purposes.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.2)
    return not alive(pid)


def stop_orphan(target: Target) -> None:
    """A terraform a killed sesame started and that still runs. In the sandbox its world
    died with that sesame, so it is stopped (Ctrl-C, then kill); in production it may be
    finishing real changes, so this command is refused until it ends."""
    note = _running_note(target.data_dir)
    if note is None:
        return
    pid = int(note.get("pid", 0))
    if pid and note.get("host") == socket.gethostname() and alive(pid):
        if target.name != "sandbox":
            raise LockedError(
                f"terraform (pid {pid}, `sesame {note.get('command', '')}` since "
                f"{note.get('started', '?')}) from an earlier sesame is still running here; "
                "fix: wait for it to finish, then run this again"
            )
        output.status(f"stopping terraform (pid {pid}) left running by a killed sesame")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGINT)  # stop gracefully
        if not _wait_gone(pid, STOP_SECONDS):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            _wait_gone(pid, 5)
    if pid:
        process.reap_group(pid, grace=2)
    clear_running(target.data_dir)


# -- unlock ---------------------------------------------------------------------------


def holder_gone(info: dict[str, Any], target: Target) -> tuple[bool, str]:
    """Whether the run that holds the lock is provably over, and why (or why not)."""
    who = str(info.get("Who") or "")
    host = who.rsplit("@", 1)[-1] if "@" in who else ""
    if host != socket.gethostname():
        return False, f"it was taken on {host or 'another machine'}, not here"
    note = _running_note(target.data_dir)
    if note is not None and alive(int(note.get("pid", 0))):
        return False, f"its terraform (pid {note['pid']}) is still running"
    if target.name == "sandbox":
        # The sandbox's world lives in this work dir, which this command holds: any run
        # that took the lock in it has ended.
        return True, "the sandbox run that took it has ended"
    if note is None:
        return False, "no terraform that sesame started here is known to have taken it"
    return True, f"terraform pid {note['pid']} on this host has exited"


def remove(config: Config, target: Target, info: dict[str, Any]) -> None:
    """Delete the lock object, only if it is still the same lock (same ID)."""
    current = read(config, target)
    if current is None:
        return
    if current.get("ID") != info.get("ID"):
        raise LockedError(
            f"the state lock changed while unlocking (now {describe(current)}); fix: run "
            f"`{unlock_command(target)}` again"
        )
    aws.r2_client(target).delete_object(Bucket=config.backend.bucket, Key=lock_key(config))


def unlock(config: Config, target: Target, *, force: bool) -> str:
    """`sesame state unlock`: the line to print. Refuses while the holder may be alive."""
    info = read(config, target)
    if info is None:
        return "the Terraform state is not locked"
    gone, why = holder_gone(info, target)
    if not gone and not force:
        raise LockedError(
            f"the Terraform state is locked: {describe(info)}; not removed: {why}; fix: wait "
            f"for that run, or if you know it is over, `{unlock_command(target)} --force`"
        )
    remove(config, target, info)
    clear_running(target.data_dir)
    return f"removed the Terraform state lock: {describe(info)} ({why if gone else 'forced'})"


# -- recovery at the start of a command ------------------------------------------------


def recover(config: Config, target: Target, tf: Any) -> None:
    """Repair what a killed sesame left, before this command uses the state."""
    stop_orphan(target)
    info = read(config, target) if target.name == "sandbox" else None
    if info is not None:  # production: the plan's lock error names it and the fix
        gone, why = holder_gone(info, target)
        if gone:
            remove(config, target, info)
            output.status(f"removed a stale Terraform state lock: {describe(info)} ({why})")
    errored = tf.root / ERRORED
    if errored.exists():
        if tf.state_push(errored):
            errored.unlink()
            output.status(
                f"recovered state an interrupted run could not save ({ERRORED}): pushed to "
                "the backend"
            )
        else:
            raise ConfigError(
                f"{errored}: state an interrupted run could not save, and the backend refused "
                "it (see above); fix: inspect it, then `terraform state push` it or delete it"
            )
