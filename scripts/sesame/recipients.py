"""Who can open secrets.yaml and credentials.yaml: the age recipients in .sops.yaml.

Adding or removing one re-encrypts both files with a fresh data key (`sops rotate` with
`--add-age`/`--rm-age`), so a removed key cannot open what is written from now on — and
what it could already read is named, so its credentials can be rotated.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyrage
import yaml

from sesame import secrets
from sesame.errors import ConfigError, FatalError, SecretsError
from sesame.process import cmd_output

SOPS_CONFIG = ".sops.yaml"
FILES = ("secrets.yaml", "credentials.yaml")
HEADER = (
    "# sops creation rules: secrets.yaml and credentials.yaml are encrypted for the team's\n"
    "# age keys (`sesame secrets recipients add|remove` keeps this list and the files alike).\n"
)


def parse_recipient(text: str) -> str:
    try:
        return str(pyrage.x25519.Recipient.from_str(text.strip()))
    except Exception:  # pyrage raises its own error types per parse failure
        raise ConfigError(
            f"{text!r} is not an age public key; fix: pass the age1… line `age-keygen -y` prints"
        ) from None


def _rules(top: Path) -> dict:
    path = top / SOPS_CONFIG
    if not path.exists():
        raise ConfigError(f"{path}: missing; fix: run `sesame init` (or restore it from git)")
    doc = yaml.safe_load(path.read_text()) or {}
    if not isinstance(doc.get("creation_rules"), list) or not doc["creation_rules"]:
        raise ConfigError(f"{path}: no creation_rules; fix: restore it from git")
    return doc


# The creation rule `sesame init --plan-key` puts first: the plan-only set's file, readable
# by the pull-request key. Team members are recipients of the other rules only.
PLAN_RULE = r"(^|/)secrets\.plan\.yaml$"


def _team_rules(doc: dict) -> list[dict]:
    """The creation rules of the team's files (secrets.yaml, credentials.yaml): every rule
    but the plan-only set's."""
    return [r for r in doc["creation_rules"] if r.get("path_regex") != PLAN_RULE]


def current(top: Path) -> list[str]:
    """The age recipients of the team's files (the rule `sesame init` writes)."""
    rules = _team_rules(_rules(top))
    if not rules:
        raise ConfigError(
            f"{top / SOPS_CONFIG}: no rule for secrets.yaml; fix: restore it from git"
        )
    return [r.strip() for r in str(rules[0].get("age") or "").split(",") if r.strip()]


def _reencrypt(path: Path, flag: str, recipient: str) -> Path:
    """A re-encrypted copy beside `path` (fresh data key); `path` itself is untouched."""
    copy = path.with_name(path.name + ".recipients.tmp")
    shutil.copyfile(path, copy)
    copy.chmod(0o600)
    proc = cmd_output(
        [
            secrets.sops_binary(),
            "rotate",
            "--in-place",
            flag,
            recipient,
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            str(copy),
        ],
        env=secrets.sops_env(None),
        cwd=path.parent,
    )
    if proc.returncode != 0:
        copy.unlink(missing_ok=True)
        first = (proc.stderr.decode(errors="replace").strip().splitlines() or ["?"])[0]
        raise SecretsError(
            f"{path}: sops could not re-encrypt it ({first[:200]}); nothing changed; fix: "
            "run with the team's age key (SOPS_AGE_KEY_FILE)"
        )
    return copy


def change(top: Path, action: str, key: str) -> tuple[list[Path], list[str]]:
    """Add or remove `key`; the files re-encrypted and the recipients now in .sops.yaml."""
    recipient = parse_recipient(key)
    doc = _rules(top)
    now = current(top)
    if action == "add" and recipient in now:
        raise ConfigError(f"{recipient[:16]}… is already a recipient; fix: nothing to do")
    if action == "remove" and recipient not in now:
        raise ConfigError(
            f"{recipient[:16]}… is not a recipient in {SOPS_CONFIG}; fix: check the key"
        )
    if action == "remove" and len(now) == 1:
        raise ConfigError(
            "that is the only recipient: nobody could open the files; fix: add the new "
            "team key first, then remove this one"
        )
    wanted = [*now, recipient] if action == "add" else [r for r in now if r != recipient]
    flag = "--add-age" if action == "add" else "--rm-age"
    files = [top / name for name in FILES if (top / name).exists()]
    copies = []
    try:
        copies = [_reencrypt(f, flag, recipient) for f in files]
    except FatalError:
        for copy in copies:
            copy.unlink(missing_ok=True)
        raise
    for copy, original in zip(copies, files, strict=True):
        copy.replace(original)
    for rule in _team_rules(doc):  # the plan-only set's rule keeps its own recipients
        rule["age"] = ",".join(wanted)
    (top / SOPS_CONFIG).write_text(HEADER + yaml.safe_dump(doc, sort_keys=False))
    return files, wanted


def readable_senders(top: Path) -> list[str]:
    """smtp/api senders whose keys are in credentials.yaml (what a leaver could have read)."""
    path = top / "credentials.yaml"
    if not path.exists():
        return []
    creds = secrets.decrypt(path).get("senders") or {}
    return sorted(n for n, e in creds.items() if e.get("kind") in ("smtp", "api"))
