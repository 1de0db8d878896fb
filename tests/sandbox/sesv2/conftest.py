"""One emulator per test session on a loopback port; state is reset before every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sesame.sandbox.server import ServerThread
from sesame.sandbox.sesv2.models import SesV2Backend
from sesame.sandbox.sesv2.routes import create_app

ACCOUNT = "123456789012"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def backend() -> SesV2Backend:
    return SesV2Backend(account_id=ACCOUNT)


@pytest.fixture(scope="session")
def server(backend: SesV2Backend) -> Iterator[ServerThread]:
    with ServerThread(create_app(backend)) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_backend(backend: SesV2Backend) -> None:
    backend.reset()
    backend.dkim_status_resolver = None
    backend.mail_from_status_resolver = None


@pytest.fixture(scope="session")
def make_client(server: ServerThread) -> Callable[..., Any]:
    cache: dict[tuple[str, bool], Any] = {}

    def make(region: str = REGION, validate: bool = True) -> Any:
        if (region, validate) not in cache:
            cache[region, validate] = boto3.client(
                "sesv2",
                endpoint_url=server.url,
                region_name=region,
                aws_access_key_id="FAKEACCESSKEYEXAMPLE",
                aws_secret_access_key="x",
                config=Config(parameter_validation=validate, retries={"max_attempts": 1}),
            )
        return cache[region, validate]

    return make


@pytest.fixture
def client(make_client: Callable[..., Any]) -> Any:
    return make_client()


@pytest.fixture
def raw_client(make_client: Callable[..., Any]) -> Any:
    """A client that skips botocore's own checks, so the emulator's validation is reached."""
    return make_client(validate=False)
