"""The S3 backend on Cloudflare R2: settings in a backend file, keys via credential_process.

`terraform init -backend-config=FILE` stores FILE's values in plaintext under
.terraform/, so FILE holds settings only. R2's keys never enter terraform's environment
(Terraform hands its whole environment to every provider plugin it starts, measured in
docs/state.md): while terraform runs, sesame serves them on a Unix socket in a private
(0700) directory, and the profile's credential_process, `python -m sesame.tf.backend`,
fetches them from there and prints them to the S3 backend. The environment carries only
the socket's path (SESAME_R2_SOCKET).

Run as `python -m sesame.tf.backend` it is that credential_process.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the credential_process imports only the standard library (see main)
    from sesame.config import Backend

PROFILE = "sesame-r2"
SOCKET_VAR = "SESAME_R2_SOCKET"
HELPER_MODULE = "sesame.tf.backend"


@dataclass(frozen=True)
class Credentials:
    """R2's S3 keys (secrets.yaml R2_ACCESS_KEY_ID / R2_SECRET_ACCESS_KEY)."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)

    def process_output(self) -> bytes:
        """The credential_process protocol's version-1 JSON (AWS SDKs' "Sourcing
        credentials with an external process")."""
        doc = {
            "Version": 1,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
        }
        return json.dumps(doc).encode()


def r2_endpoint(account_id: str) -> str:
    return f"https://{account_id}.r2.cloudflarestorage.com"


def _hcl(value: str) -> str:
    return json.dumps(value)


def write_files(workdir: Path, backend: Backend, s3_endpoint: str) -> Path:
    """Write the backend file and the AWS config profile it names; return the backend file."""
    aws_config = workdir / "r2.awsconfig"
    aws_config.write_text(
        f"[profile {PROFILE}]\ncredential_process = {sys.executable} -m sesame.tf.backend\n"
    )
    empty_credentials = workdir / "r2.credentials"
    empty_credentials.write_text("")
    backend_file = workdir / "backend.tfbackend"
    backend_file.write_text(
        "\n".join(
            [
                f"bucket = {_hcl(backend.bucket)}",
                f"key = {_hcl(backend.key)}",
                f"endpoints = {{ s3 = {_hcl(s3_endpoint)} }}",
                f"profile = {_hcl(PROFILE)}",
                f"shared_config_files = [{_hcl(str(aws_config))}]",
                f"shared_credentials_files = [{_hcl(str(empty_credentials))}]",
                "",
            ]
        )
    )
    return backend_file


def _peer_is_helper(conn: socket.socket) -> bool:
    """The connecting process runs as this user and is this module's credential_process
    (SO_PEERCRED, unix(7); its argv from /proc/PID/cmdline, proc(5)). A guard against
    other children asking by mistake: the boundary stays the user account."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", creds)
    if uid != os.getuid():
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return argv[1:3] == [b"-m", HELPER_MODULE.encode()]


def _answer(server: socket.socket, creds: Credentials, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with conn:
            if _peer_is_helper(conn):
                conn.sendall(creds.process_output())


PREFIX = "sesame-r2-"
STALE_AFTER = 60.0  # seconds: a younger directory may be about to bind its socket


def _answering(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def sweep(base: Path | None = None) -> list[Path]:
    """Remove the socket directories of runs that were killed (SIGKILL, a lost machine skip
    `serving`'s cleanup): this user's `sesame-r2-*` directories in the temp dir older than
    STALE_AFTER whose socket nobody answers. A running command's socket answers, so its
    directory stays. They held no secret (a socket only); this keeps /tmp from filling."""
    removed = []
    now = time.time()
    for found in Path(base or tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            info = found.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        if now - info.st_mtime < STALE_AFTER or _answering(found / "s"):
            continue
        shutil.rmtree(found, ignore_errors=True)
        removed.append(found)
    return removed


@contextmanager
def serving(creds: Credentials | None) -> Iterator[dict[str, str]]:
    """While the block runs, R2's keys are served to the credential_process; yields the
    environment terraform needs to find them (the socket path, no secret). None (no R2
    keys in secrets): nothing is served and the backend fails with its own words."""
    if creds is None:
        yield {}
        return
    sweep()
    private = Path(tempfile.mkdtemp(prefix=PREFIX))  # 0700; short: sun_path is 108 bytes
    path = private / "s"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stop = threading.Event()
    thread = threading.Thread(target=_answer, args=(server, creds, stop), daemon=True)
    try:
        server.bind(str(path))
        server.listen(8)
        server.settimeout(0.2)
        thread.start()
        yield {SOCKET_VAR: str(path)}
    finally:
        stop.set()
        if thread.is_alive():
            thread.join()
        server.close()
        shutil.rmtree(private, ignore_errors=True)


def main() -> int:
    """credential_process protocol: print version-1 credentials JSON on stdout. The S3
    backend runs it twice per terraform command (init, plan, apply, output, state), so it
    imports nothing beyond the standard library: importing sesame.config (pydantic, boto3)
    made each run 0.7 s, 1.5 s of every terraform command (TF_LOG=debug, measured)."""
    path = os.environ.get(SOCKET_VAR)
    if not path:
        sys.stderr.write("sesame: no R2 credentials are served to this process; run via sesame\n")
        return 1
    chunks = []
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(path)
            while chunk := conn.recv(4096):
                chunks.append(chunk)
    except OSError as exc:
        sys.stderr.write(f"sesame: R2 credentials unavailable at {path}: {exc.strerror}\n")
        return 1
    if not chunks:
        sys.stderr.write("sesame: R2 credentials refused to this process\n")
        return 1
    sys.stdout.write(b"".join(chunks).decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
