"""One emulator per test session on a loopback port; state is reset before every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import cloudflare
import pytest

from sesame.sandbox.cloudflare.models import CloudflareBackend
from sesame.sandbox.cloudflare.routes import create_app
from sesame.sandbox.server import ServerThread

ACCOUNT = "0123456789abcdef0123456789abcdef"
OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210"
TOKEN = "sandbox-token-" + "a" * 40
OTHER_TOKEN = "sandbox-token-" + "b" * 40


@pytest.fixture(scope="session")
def backend() -> CloudflareBackend:
    return CloudflareBackend(tokens={TOKEN: ACCOUNT})


@pytest.fixture(scope="session")
def server(backend: CloudflareBackend) -> Iterator[ServerThread]:
    with ServerThread(create_app(backend), port=0) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_backend(backend: CloudflareBackend) -> None:
    backend.reset()


@pytest.fixture
def zone(backend: CloudflareBackend) -> dict[str, Any]:
    return backend.create_zone(ACCOUNT, "example.com")


@pytest.fixture(scope="session")
def make_client(server: ServerThread) -> Callable[[str], cloudflare.Cloudflare]:
    def make(token: str = TOKEN) -> cloudflare.Cloudflare:
        return cloudflare.Cloudflare(
            api_token=token, base_url=server.url + "/client/v4", max_retries=0
        )

    return make


@pytest.fixture(scope="session")
def client(make_client: Callable[[str], cloudflare.Cloudflare]) -> cloudflare.Cloudflare:
    return make_client(TOKEN)
