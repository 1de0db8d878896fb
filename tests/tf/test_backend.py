"""R2's keys reach only the backend's credential_process, through sesame's socket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

from sesame import process
from sesame.tf import backend

CREDS = backend.Credentials("r2-test-key-id", "r2-test-secret-not-real")


def _helper(env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return process.cmd_output(
        [sys.executable, "-m", backend.HELPER_MODULE], env={**os.environ, **env}
    )


def test_credential_process_prints_the_served_keys_in_the_sdk_protocol() -> None:
    with backend.serving(CREDS) as env:
        assert list(env) == [backend.SOCKET_VAR]
        assert CREDS.secret_access_key not in json.dumps(env)
        proc = _helper(env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "Version": 1,
        "AccessKeyId": CREDS.access_key_id,
        "SecretAccessKey": CREDS.secret_access_key,
    }


def test_a_process_that_is_not_the_credential_helper_gets_nothing() -> None:
    with (
        backend.serving(CREDS) as env,
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn,
    ):
        conn.connect(env[backend.SOCKET_VAR])
        assert conn.recv(4096) == b""


def test_after_the_run_nothing_is_served_and_the_socket_is_gone() -> None:
    with backend.serving(CREDS) as env:
        pass
    assert not os.path.exists(env[backend.SOCKET_VAR])
    proc = _helper(env)
    assert proc.returncode == 1 and b"R2 credentials unavailable" in proc.stderr
    assert proc.stdout == b""


def test_the_credential_process_loads_only_the_standard_library() -> None:
    """The S3 backend starts it twice per terraform command; importing sesame.config with it
    (pydantic, boto3) cost 0.7 s per start, measured."""
    shown = (
        "import runpy, sys\n"
        "before = set(sys.modules)\n"  # the interpreter's own start (site, .pth hooks)
        "try:\n"
        f"    runpy.run_module({backend.HELPER_MODULE!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted({m.split('.')[0] for m in set(sys.modules) - before}\n"
        "             - set(sys.stdlib_module_names)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", shown],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != backend.SOCKET_VAR},
        check=False,
    )
    assert proc.stdout.strip().splitlines()[-1] == "['sesame']", proc.stdout + proc.stderr


def _left_behind(base, name: str, age: float, listening: bool = False) -> socket.socket | None:
    """A socket directory as a run left it `age` seconds ago (killed: nothing answers)."""
    where = base / name
    where.mkdir(mode=0o700)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(where / "s"))
    if listening:
        server.listen(1)
    else:
        server.close()  # the file stays, as after SIGKILL
    then = time.time() - age
    os.utime(where, (then, then))
    return server if listening else None


def test_socket_directories_of_killed_runs_are_swept_and_live_ones_kept(tmp_path) -> None:
    _left_behind(tmp_path, "sesame-r2-killed", age=3600)
    live = _left_behind(tmp_path, "sesame-r2-running", age=3600, listening=True)
    _left_behind(tmp_path, "sesame-r2-starting", age=1)  # may be about to bind
    _left_behind(tmp_path, "other-tool-dir", age=3600)
    try:
        removed = backend.sweep(tmp_path)
    finally:
        assert live is not None
        live.close()

    assert [p.name for p in removed] == ["sesame-r2-killed"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "other-tool-dir",
        "sesame-r2-running",
        "sesame-r2-starting",
    ]
