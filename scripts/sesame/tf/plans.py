"""Saved plans that leave the private work dir: age-encrypted, decrypted only into it.

A saved plan embeds prior state, and state holds sender secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyrage

from sesame import secrets
from sesame.errors import ConfigError, SecretsError
from sesame.target import Target


def export(target: Target, out: Path) -> None:
    recipients = [pyrage.x25519.Recipient.from_str(r) for r in target.credentials_recipients]
    blob = pyrage.encrypt(target.plan_file.read_bytes(), recipients)
    out.write_bytes(blob)


def restore(target: Target, encrypted: Path) -> Path:
    """Decrypt an exported plan into the private work dir (0600); returns its path there."""
    try:
        blob = encrypted.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{encrypted}: no such plan; fix: `sesame plan --out {encrypted}`"
        ) from None
    try:
        plain = pyrage.decrypt(blob, secrets.age_identities(target.age_key))
    except pyrage.DecryptError:
        raise SecretsError(
            f"{encrypted}: the age key cannot decrypt this plan; fix: use the key it was made for"
        ) from None
    fd = os.open(target.plan_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(plain)
    return target.plan_file
