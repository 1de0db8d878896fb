"""A real moto server (IAM) and the SES SMTP endpoint on loopback; both reset per test.

The tests' own modules repeat ACCOUNT and REGION (conftest is not importable from them).
"""

from __future__ import annotations

import json
import smtplib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from sesame.sandbox.sesv2.models import SesV2Backend
from sesame.sandbox.smtp.server import SmtpServer
from sesame.smtp import smtp_password_v4
from testing import moto_client

ACCOUNT = "123456789012"
REGION = "eu-west-1"


@dataclass
class Sender:
    user_name: str
    user_arn: str
    access_key_id: str
    secret: str

    @property
    def password(self) -> str:
        return smtp_password_v4(self.secret, REGION)


@pytest.fixture(scope="session")
def ses() -> SesV2Backend:
    return SesV2Backend(account_id=ACCOUNT)


@pytest.fixture(scope="session")
def smtp_server(ses: SesV2Backend) -> Iterator[SmtpServer]:
    with SmtpServer(ses, REGION, account_id=ACCOUNT, tls_port=0) as server:
        yield server


@pytest.fixture
def iam(moto_url: str) -> Any:
    return moto_client(moto_url, "iam", REGION)


@pytest.fixture(autouse=True)
def _fresh_state(moto_url: str, ses: SesV2Backend) -> None:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    ses.reset()
    ses.dkim_status_resolver = None


@pytest.fixture
def make_sender(iam: Any) -> Callable[..., Sender]:
    def make(policy: dict[str, Any], name: str = "mailer") -> Sender:
        user = iam.create_user(UserName=name)["User"]
        key = iam.create_access_key(UserName=name)["AccessKey"]
        iam.put_user_policy(
            UserName=name,
            PolicyName="ses-send",
            PolicyDocument=json.dumps(policy),
        )
        return Sender(name, user["Arn"], key["AccessKeyId"], key["SecretAccessKey"])

    return make


@pytest.fixture
def connect(smtp_server: SmtpServer) -> Iterator[Callable[..., smtplib.SMTP]]:
    """An SMTP client on the submission port, after STARTTLS (verified) and, if asked, AUTH."""
    clients: list[smtplib.SMTP] = []

    def open_client(login: tuple[str, str] | None = None) -> smtplib.SMTP:
        client = smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=5)
        clients.append(client)
        client.starttls(context=smtp_server.ssl_context_for_clients())
        client.ehlo()
        if login is not None:
            client.login(*login)
        return client

    yield open_client
    for client in clients:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
