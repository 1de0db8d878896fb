from __future__ import annotations

import os
import sys
from pathlib import Path

import pyrage
import yaml

from sesame import output, secrets
from sesame.errors import ConfigError, SecretsError
from sesame.recipients import PLAN_RULE
from sesame.target import PLAN_SECRETS, THROWAWAY_RECIPIENT

SOPS_YAML = """\
# sops creation rules: secrets.yaml and credentials.yaml are encrypted for the team key.
creation_rules:
  - path_regex: (^|/)(secrets|credentials)\\.yaml$
    age: {recipient}
"""


def _shipped_template(path: Path) -> bool:
    """The repo's secrets.yaml, encrypted to the public throwaway key: init replaces it."""
    if path.name != "secrets.yaml":
        return False
    try:
        return secrets.recipients_of(path) == [THROWAWAY_RECIPIENT]
    except SecretsError:
        return False


def init(top: Path, key_file: Path | None, force: bool) -> int:
    """Make a team age key, .sops.yaml, and an encrypted secrets.yaml with every key."""
    key_file = key_file or secrets.age_key_file()
    targets = [top / ".sops.yaml", top / "secrets.yaml"]
    existing = [p for p in targets if p.exists() and not _shipped_template(p)]
    if existing and not force:
        raise ConfigError(
            f"{existing[0]} already exists; fix: keep it, or pass --force to start over"
        )
    identity = pyrage.x25519.Identity.generate()
    recipient = str(identity.to_public())
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as fh:
        fh.write(f"# sesame team key, public key: {recipient}\n{identity}\n")
    (top / ".sops.yaml").write_text(SOPS_YAML.format(recipient=recipient))
    secrets.encrypt({k: "" for k in secrets.SECRET_KEYS}, top / "secrets.yaml", [recipient])
    output.write_line(f"age key appended to {key_file} (public key {recipient})")
    output.write_line("wrote .sops.yaml and secrets.yaml; next: `make secrets` to fill it in")
    return 0


# -- the pipeline's two keys (docs/gitops.md) ---------------------------------------------


def _pipeline_key(secret_name: str) -> tuple[str, str]:
    """A new age key for CI: its private half only ever goes to stdout, into a pipe."""
    if sys.stdout.isatty():
        raise ConfigError(
            f"this prints a private age key; fix: pipe it into GitHub, e.g. "
            f"`sesame init ... | gh secret set {secret_name}`"
        )
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def _rules(top: Path) -> dict:
    try:
        doc = yaml.safe_load((top / ".sops.yaml").read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"{top / '.sops.yaml'}: missing; fix: run `sesame init` first") from None
    doc.setdefault("creation_rules", [])
    return doc


def _write_rules(top: Path, doc: dict) -> None:
    (top / ".sops.yaml").write_text(
        "# sops creation rules (sesame init): first match wins\n"
        + yaml.safe_dump(doc, sort_keys=False)
    )


def plan_key(top: Path, force: bool) -> int:
    """The plan-only set: a new age key (stdout) and secrets.plan.yaml, for it and the team."""
    path = top / PLAN_SECRETS
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; fix: keep it, or pass --force to start over")
    doc = _rules(top)
    team = secrets.recipients_of(top / "secrets.yaml")
    private, recipient = _pipeline_key("SOPS_AGE_KEY_PLAN")
    recipients = [*team, recipient]
    rules = [r for r in doc["creation_rules"] if r.get("path_regex") != PLAN_RULE]
    doc["creation_rules"] = [{"path_regex": PLAN_RULE, "age": ",".join(recipients)}, *rules]
    _write_rules(top, doc)  # sops matches a creation rule for the file it encrypts
    secrets.encrypt({k: "" for k in secrets.SECRET_KEYS}, path, recipients)
    output.write_line(private)
    output.status(
        f"wrote {path.name} for the team and the plan-only key {recipient}; next: "
        f"`{secrets.edit_command(Path(path.name))}`: keys from `sesame admin-policy --read-only`, "
        "a Cloudflare token "
        "with Zone:Read + DNS:Read, an R2 token with Object Read only"
    )
    return 0


def apply_key(top: Path) -> int:
    """The apply set: a new age key (stdout) added as a recipient of secrets.yaml (and
    credentials.yaml); re-encrypting needs the team key, as `sops updatekeys` would."""
    doc = _rules(top)
    private, recipient = _pipeline_key("SOPS_AGE_KEY --env production")
    files = [p for p in (top / "secrets.yaml", top / "credentials.yaml") if p.exists()]
    opened = {path: secrets.decrypt(path) for path in files}  # all, before changing any
    for rule in doc["creation_rules"]:
        if rule.get("path_regex") != PLAN_RULE:
            rule["age"] = ",".join([*str(rule.get("age", "")).split(","), recipient]).strip(",")
    _write_rules(top, doc)
    for path, data in opened.items():
        secrets.encrypt(data, path, [*secrets.recipients_of(path), recipient])
    output.write_line(private)
    output.status(
        f"added the apply key {recipient} to {', '.join(p.name for p in files)} and "
        ".sops.yaml; next: commit them"
    )
    return 0
