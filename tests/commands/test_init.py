"""`sesame init` writes the team key where sops (and sesame) look for it by default."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sesame import secrets
from testing import Sesame


def test_init_key_lands_where_secrets_and_sops_find_it(
    sesame: Sesame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_home = tmp_path / "xdg"
    for name in [k for k in os.environ if k.startswith("SOPS_AGE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    sesame.ok("init")
    assert secrets.age_key_file() == config_home / "sops" / "age" / "keys.txt"
    assert secrets.age_key_file().exists()
    # sesame's reader and sops itself both open it with no key named
    assert len(secrets.age_identities(None)) == 1
    data = secrets.decrypt(sesame.top / "secrets.yaml", None)
    assert sorted(data) == sorted(secrets.SECRET_KEYS)
