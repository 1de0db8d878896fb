"""The S3 backend on Cloudflare R2: settings in a backend file, keys via credential_process.

`terraform init -backend-config=FILE` stores FILE's values in plaintext under
.terraform/, so FILE holds settings only. R2's keys travel in SESAME_R2_* variables that
only this module's credential_process reads: the AWS provider's default chain never sees
them (it reads AWS_*), so an instance-role provider cannot pick up R2's keys.

Run as `python -m sesame.tf.backend` it is that credential_process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from sesame.config import Backend

PROFILE = "sesame-r2"
KEY_ID_VAR = "SESAME_R2_ACCESS_KEY_ID"
SECRET_VAR = "SESAME_R2_SECRET_ACCESS_KEY"


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


def credential_env(access_key_id: str, secret_access_key: str) -> dict[str, str]:
    """What the terraform child needs in its environment for the backend to authenticate."""
    return {KEY_ID_VAR: access_key_id, SECRET_VAR: secret_access_key}


def main() -> int:
    """credential_process protocol: print version-1 credentials JSON on stdout."""
    key_id = os.environ.get(KEY_ID_VAR)
    secret = os.environ.get(SECRET_VAR)
    if not key_id or not secret:
        sys.stderr.write("sesame: R2 credentials are not in this environment; run via sesame\n")
        return 1
    sys.stdout.write(json.dumps({"Version": 1, "AccessKeyId": key_id, "SecretAccessKey": secret}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
