"""Shared fixtures (helpers live in testing.py)."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto's server on a loopback port the kernel picks (tests reset it as they need)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
