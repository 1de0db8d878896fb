"""Shared fixtures (helpers live in testing.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sesame.tf import cli_config
from testing import Sesame


@pytest.fixture(scope="session", autouse=True)
def terraform_cli_config() -> Path:
    """`make setup` writes it; write it here too so a lone pytest run works."""
    path = cli_config.default_path()
    if not path.exists():
        cli_config.write(path)
    return path


@pytest.fixture
def sesame(tmp_path: Path) -> Sesame:
    return Sesame(tmp_path)
