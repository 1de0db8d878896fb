"""The sandbox's Amazon SES SMTP endpoint (aiosmtpd), authenticating and authorising like SES.

- STARTTLS is required before AUTH and MAIL; AUTH LOGIN/PLAIN are offered only under TLS.
  An optional second listener speaks implicit TLS (port 465 style).
- The user name is an Active IAM access key ID from moto's IAM, the password the SES SMTP
  password v4 of its secret for this server's region.
- At the end of DATA the From header address (else MAIL FROM) must be covered by a
  verified SES identity; the IAM user's policies must allow `ses:SendRawEmail` on that
  identity and on the configuration set in use, with `ses:FromAddress` in the context;
  a sandbox (non-production) account may only send to verified identities and the
  mailbox simulator. Accepted messages are appended to the SES backend's sent list.
- The simulator's bounce@ and complaint@ addresses bounce and complain for real here: the
  reputation metrics reach moto's CloudWatch and the suppression list (sesv2/feedback.py).
"""

from __future__ import annotations

import asyncio
import email.utils
import hmac
import ipaddress
import ssl
import time
from dataclasses import dataclass
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from moto.iam.models import IAMBackend

from sesame.sandbox.sesv2 import feedback
from sesame.sandbox.sesv2.models import (
    DEFAULT_ACCOUNT,
    EmailIdentity,
    SesV2Backend,
    configuration_set_arn,
    identity_arn,
)
from sesame.smtp import smtp_password_v4

from ..authorization import (
    MOTO_LOCK,
    denied_resource,
    iam_backend,
    message_id,
    unverified_recipients,
    verified_identity,
)
from . import tls

ACTION = "ses:SendRawEmail"
CONFIGURATION_SET_HEADER = "X-SES-CONFIGURATION-SET"
MAX_MESSAGE_SIZE = 40 * 1024 * 1024  # SES v2's limit, MIME-encoded

INVALID_CREDENTIALS = "535 Authentication Credentials Invalid"


@dataclass(frozen=True)
class Principal:
    """Who a session authenticated as (kept in the aiosmtpd session's auth_data)."""

    access_key_id: str
    user_name: str
    user_arn: str


class Rejected(Exception):
    """A message SES would refuse; the argument is the full SMTP reply."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


def not_verified(region: str, addresses: list[str]) -> Rejected:
    return Rejected(
        "554 Message rejected: Email address is not verified. The following identities "
        f"failed the check in region {region.upper()}: {', '.join(addresses)}"
    )


def access_denied(user_arn: str, resource: str) -> Rejected:
    return Rejected(
        f"554 Access denied: User '{user_arn}' is not authorized to perform '{ACTION}' "
        f"on resource '{resource}'"
    )


def _address(value: str | None) -> str | None:
    if not value:
        return None
    _, addr = email.utils.parseaddr(value)
    return addr or None


# ---- the aiosmtpd pieces ------------------------------------------------------------------


class _Authenticator:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    def __call__(
        self, smtp: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        fail = AuthResult(success=False, handled=False, message=INVALID_CREDENTIALS)
        if not isinstance(auth_data, LoginPassword):
            return fail
        try:
            login = auth_data.login.decode("utf-8")
            password = auth_data.password.decode("utf-8")
        except UnicodeDecodeError:
            return fail
        principal = self.server.authenticate(login, password)
        if principal is None:
            return fail
        return AuthResult(success=True, auth_data=principal)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        principal = session.auth_data
        if not isinstance(principal, Principal):  # aiosmtpd requires AUTH before MAIL
            return "530 Authentication required"
        try:
            return self.server.accept(principal, envelope)
        except Rejected as rejected:
            return rejected.reply


class _ImplicitTlsSMTP(SMTP):
    """aiosmtpd's SMTP behind implicit TLS: AUTH is offered once the transport is TLS."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if transport.get_extra_info("ssl_object") is not None:
            self._auth_require_tls = False


class _Controller(Controller):
    """aiosmtpd's Controller, able to listen on port 0 (learns the port before its probe)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _ImplicitTlsController(_Controller):
    def factory(self) -> SMTP:
        return _ImplicitTlsSMTP(self.handler, **self.SMTP_kwargs)


# ---- the server ---------------------------------------------------------------------------


class SmtpServer:
    """SES's SMTP interface for one region of one account, on a loopback port."""

    def __init__(
        self,
        ses: SesV2Backend,
        region: str,
        account_id: str = DEFAULT_ACCOUNT,
        host: str = "127.0.0.1",
        port: int = 0,
        cert_dir: Path | None = None,
        tls_port: int | None = None,
    ) -> None:
        self.ses = ses
        self.region = region
        self.account_id = account_id
        self.host = host
        self.hostname = tls.endpoint_hostname(region)
        self.certificate = tls.load_or_create(
            [self.hostname, "localhost"], _ip_addresses(host), cert_dir
        )
        self._requested = (port, tls_port)
        self._starttls: _Controller | None = None
        self._implicit: _Controller | None = None

    # ---- lifecycle ----------------------------------------------------------------------

    def _controller(self, port: int, implicit: bool) -> _Controller:
        server_context = self.certificate.server_context()
        common: dict[str, Any] = {
            "hostname": self.host,
            "port": port,
            "server_hostname": self.hostname,
            "ident": "SimpleEmailService-sesame-sandbox",
            "authenticator": _Authenticator(self),
            "auth_required": True,
            "data_size_limit": MAX_MESSAGE_SIZE,
        }
        if implicit:
            return _ImplicitTlsController(_Handler(self), ssl_context=server_context, **common)
        return _Controller(
            _Handler(self),
            tls_context=server_context,
            require_starttls=True,
            auth_require_tls=True,
            **common,
        )

    def start(self) -> SmtpServer:
        port, tls_port = self._requested
        self._starttls = self._controller(port, implicit=False)
        self._starttls.start()
        if tls_port is not None:
            self._implicit = self._controller(tls_port, implicit=True)
            try:
                self._implicit.start()
            except BaseException:
                self._starttls.stop()
                raise
        return self

    def stop(self) -> None:
        for controller in (self._implicit, self._starttls):
            if controller is not None:
                controller.stop()
        self._starttls = self._implicit = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The STARTTLS (submission, 587-style) port."""
        assert self._starttls is not None, "SmtpServer is not running"
        return self._starttls.port

    @property
    def tls_port(self) -> int | None:
        """The implicit-TLS (465-style) port, when one was asked for."""
        return self._implicit.port if self._implicit is not None else None

    @property
    def ca_pem(self) -> bytes:
        return self.certificate.cert_pem

    def ssl_context_for_clients(self) -> ssl.SSLContext:
        return self.certificate.client_context()

    # ---- authentication -----------------------------------------------------------------

    def _iam(self) -> IAMBackend:
        return iam_backend(self.account_id, self.region)

    def authenticate(self, access_key_id: str, password: str) -> Principal | None:
        """The IAM user whose Active key and region-bound SMTP password these are."""
        with MOTO_LOCK:
            keys = [(u, k) for u in self._iam().users.values() for k in list(u.access_keys)]
        for user, key in keys:
            if key.access_key_id != access_key_id or key.status != "Active":
                continue
            expected = smtp_password_v4(key.secret_access_key, self.region)
            if hmac.compare_digest(expected.encode(), password.encode()):
                return Principal(access_key_id, user.name, user.arn)
            return None
        return None

    # ---- authorisation ------------------------------------------------------------------

    def _verified_identity(self, address: str) -> EmailIdentity | None:
        return verified_identity(self.ses, self.account_id, self.region, address)

    def _authorise(
        self, principal: Principal, resources: list[str], context: dict[str, Any]
    ) -> None:
        denied = denied_resource(self._iam(), principal.user_name, ACTION, resources, context)
        if denied is not None:
            raise access_denied(principal.user_arn, denied)

    def accept(self, principal: Principal, envelope: Envelope) -> str:
        """Check one message as SES does and record it; the SMTP reply, or Rejected."""
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        headers: EmailMessage = BytesHeaderParser(policy=email_policy.default).parsebytes(raw)
        from_header = _header(headers, "From")
        sender = _address(from_header) or envelope.mail_from or ""
        recipients = list(envelope.rcpt_tos)

        identity = self._verified_identity(sender) if "@" in sender else None
        if identity is None:
            raise not_verified(self.region, [sender or "<>"])

        config_set_name = _header(headers, CONFIGURATION_SET_HEADER) or (
            identity.configuration_set_name
        )
        if config_set_name is not None:
            config_set_name = config_set_name.strip()
            if (
                self.ses.find_configuration_set(self.account_id, self.region, config_set_name)
                is None
            ):
                raise Rejected(
                    "554 Configuration set does not exist: "
                    f"Configuration set <{config_set_name}> does not exist."
                )

        resources = [identity_arn(self.account_id, self.region, identity.name)]
        if config_set_name is not None:
            resources.append(configuration_set_arn(self.account_id, self.region, config_set_name))
        display_name, _ = email.utils.parseaddr(from_header or "")
        context: dict[str, Any] = {
            "ses:FromAddress": sender,
            "ses:Recipients": recipients,
            "ses:FromDisplayName": display_name,
            "aws:username": principal.user_name,
        }
        self._authorise(principal, resources, context)

        unverified = unverified_recipients(self.ses, self.account_id, self.region, recipients)
        if unverified:
            raise not_verified(self.region, unverified)

        ses_message_id = message_id()
        self.ses.record_sent_message(
            self.account_id,
            self.region,
            {
                "MessageId": ses_message_id,
                "Source": envelope.mail_from,
                "From": sender,
                "Destinations": recipients,
                "Subject": _header(headers, "Subject"),
                "Raw": raw,
                "User": principal.user_arn,
                "UserName": principal.user_name,
                "AccessKeyId": principal.access_key_id,
                "Identity": identity.name,
                "ConfigurationSetName": config_set_name,
                "Timestamp": time.time(),
            },
        )
        feedback.record(self.ses, self.account_id, self.region, config_set_name, recipients)
        return f"250 Ok {ses_message_id}"


def _header(headers: EmailMessage, name: str) -> str | None:
    try:
        value = headers.get(name)
    except Exception:  # a header the parser cannot make sense of counts as absent
        return None
    return None if value is None else str(value)


def _ip_addresses(host: str) -> list[str]:
    """The loopback address, plus the listening address when it is a literal IP."""
    addresses = ["127.0.0.1"]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return addresses
    return addresses if host in addresses else [*addresses, host]
