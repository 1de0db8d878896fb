from __future__ import annotations

import os
from pathlib import Path

import pyrage

from sesame import output, secrets
from sesame.errors import ConfigError

SOPS_YAML = """\
# sops creation rules: secrets.yaml and credentials.yaml are encrypted for the team key.
creation_rules:
  - path_regex: (^|/)(secrets|credentials)\\.yaml$
    age: {recipient}
"""


def init(top: Path, key_file: Path | None, force: bool) -> int:
    """Make a team age key, .sops.yaml, and an encrypted secrets.yaml with every key."""
    key_file = key_file or secrets.age_key_file()
    targets = [top / ".sops.yaml", top / "secrets.yaml"]
    existing = [p for p in targets if p.exists()]
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
    output.write_line("wrote .sops.yaml and secrets.yaml; next: `sops secrets.yaml` to fill it in")
    return 0
