"""The sandbox's throwaway age key and the secrets it decrypts (both committed on purpose)."""

from __future__ import annotations

from pathlib import Path

import pyrage

HERE = Path(__file__).resolve().parent
KEY_FILE = HERE / "throwaway-age-key.txt"
SECRETS_FILE = HERE / "secrets.yaml"


def age_key() -> str:
    return KEY_FILE.read_text()


def age_identity() -> pyrage.x25519.Identity:
    line = next(ln for ln in age_key().splitlines() if ln.startswith("AGE-SECRET-KEY"))
    return pyrage.x25519.Identity.from_str(line)
