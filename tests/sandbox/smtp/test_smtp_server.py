"""The SES SMTP endpoint, end to end: smtplib over STARTTLS against moto's IAM and SES v2."""

from __future__ import annotations

import base64
import json
import re
import smtplib
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sesame.sandbox.sesv2.models import SesV2Backend
from sesame.sandbox.smtp.server import SmtpServer
from sesame.smtp import smtp_password_v4
from testing import moto_client

ACCOUNT = "123456789012"  # as in conftest
REGION = "eu-west-1"  # as in conftest
DOMAIN = "example.com"
CONFIG_SET = "transactional"
SUCCESS = "success@simulator.amazonses.com"
NOREPLY = f"noreply@{DOMAIN}"
MESSAGE_ID = re.compile(r"^Ok 0102[0-9a-f]{12}-[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}-000000$")


def identity(name: str) -> str:
    return f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{name}"


def configuration_set(name: str) -> str:
    return f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{name}"


def send_policy(
    resources: list[str] | None = None,
    from_addresses: list[str] | None = None,
    extra: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """What sesame grants a sender: SendRawEmail on its domain and configuration set."""
    if resources is None:
        resources = [identity(DOMAIN), identity(f"*@{DOMAIN}"), configuration_set(CONFIG_SET)]
    if from_addresses is None:
        from_addresses = [NOREPLY, f"alerts-*@{DOMAIN}"]
    allow = {
        "Effect": "Allow",
        "Action": "ses:SendRawEmail",
        "Resource": resources,
        "Condition": {"StringLike": {"ses:FromAddress": from_addresses}},
    }
    return {"Version": "2012-10-17", "Statement": [allow, *(extra or [])]}


def message(
    sender: str | None = NOREPLY, to: str = SUCCESS, headers: dict[str, str] | None = None
) -> str:
    lines = [f"From: Example <{sender}>"] if sender else []
    lines += [f"To: {to}", "Subject: hello"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return "\r\n".join([*lines, "", "body"]) + "\r\n"


def send(
    client: smtplib.SMTP,
    text: str,
    mail_from: str = NOREPLY,
    rcpts: tuple[str, ...] = (SUCCESS,),
) -> tuple[int, str]:
    """MAIL, RCPT, DATA by hand, so the final DATA reply is visible."""
    code, reply = client.mail(mail_from)
    assert code == 250, reply
    for rcpt in rcpts:
        code, reply = client.rcpt(rcpt)
        assert code == 250, reply
    code, reply = client.data(text)
    return code, reply.decode()


@pytest.fixture(autouse=True)
def _verified_domain(ses: SesV2Backend) -> None:
    ses.create_configuration_set(ACCOUNT, REGION, configuration_set_name=CONFIG_SET)
    ses.create_email_identity(
        ACCOUNT, REGION, email_identity=DOMAIN, configuration_set_name=CONFIG_SET
    )


@pytest.fixture
def sender(make_sender: Callable[..., Any]) -> Any:
    return make_sender(send_policy())


@pytest.fixture
def client(connect: Callable[..., smtplib.SMTP], sender: Any) -> smtplib.SMTP:
    return connect(login=(sender.access_key_id, sender.password))


def sent(ses: SesV2Backend) -> list[dict[str, Any]]:
    return ses.region_state(ACCOUNT, REGION).sent_messages


# ---- sending ---------------------------------------------------------------------------------


def test_good_credentials_send_to_the_simulator_and_the_message_is_recorded(
    client: smtplib.SMTP, sender: Any, ses: SesV2Backend
) -> None:
    code, reply = send(client, message())

    assert code == 250
    assert MESSAGE_ID.match(reply), reply
    [record] = sent(ses)
    assert record["MessageId"] == reply.removeprefix("Ok ")
    assert record["From"] == NOREPLY
    assert record["Destinations"] == [SUCCESS]
    assert record["Subject"] == "hello"
    assert b"\r\nbody" in record["Raw"]
    assert record["User"] == sender.user_arn == f"arn:aws:iam::{ACCOUNT}:user/mailer"
    assert record["ConfigurationSetName"] == CONFIG_SET
    assert record["Identity"] == DOMAIN
    assert ses.get_account(ACCOUNT, REGION)["SendQuota"]["SentLast24Hours"] == 1.0


def test_auth_login_mechanism_is_accepted_as_well_as_plain(
    connect: Callable[..., smtplib.SMTP], sender: Any
) -> None:
    client = connect()
    client.user, client.password = sender.access_key_id, sender.password

    code, _ = client.auth("LOGIN", client.auth_login)

    assert code == 235
    assert send(client, message())[0] == 250


def test_from_header_is_authorised_rather_than_the_envelope_sender(
    client: smtplib.SMTP, ses: SesV2Backend
) -> None:
    code, _ = send(client, message(), mail_from="bounces@unverified.example.org")

    assert code == 250
    assert sent(ses)[0]["Source"] == "bounces@unverified.example.org"


def test_envelope_sender_is_authorised_when_there_is_no_from_header(
    client: smtplib.SMTP,
) -> None:
    assert send(client, message(sender=None))[0] == 250
    code, reply = send(client, message(sender=None), mail_from="x@unverified.example.org")
    assert code == 554
    assert reply.endswith("region EU-WEST-1: x@unverified.example.org")


def test_implicit_tls_port_authenticates_and_sends(smtp_server: SmtpServer, sender: Any) -> None:
    assert smtp_server.tls_port is not None
    context = smtp_server.ssl_context_for_clients()
    with smtplib.SMTP_SSL("127.0.0.1", smtp_server.tls_port, context=context, timeout=5) as c:
        c.login(sender.access_key_id, sender.password)
        assert send(c, message())[0] == 250


def test_certificate_is_valid_for_the_regional_ses_endpoint_name(smtp_server: SmtpServer) -> None:
    context = smtp_server.ssl_context_for_clients()
    with socket.create_connection(("127.0.0.1", smtp_server.tls_port or 0), timeout=5) as raw:
        hostname = f"email-smtp.{REGION}.amazonaws.com"
        with context.wrap_socket(raw, server_hostname=hostname) as tls:
            assert tls.recv(1024).startswith(b"220 " + hostname.encode())


# ---- transport security -----------------------------------------------------------------------


def test_ehlo_offers_starttls_and_hides_auth_until_tls(smtp_server: SmtpServer) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=5) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")
        client.starttls(context=smtp_server.ssl_context_for_clients())
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["LOGIN", "PLAIN"]
        assert not client.has_extn("starttls")


def test_auth_before_starttls_is_refused(smtp_server: SmtpServer, sender: Any) -> None:
    token = base64.b64encode(f"\0{sender.access_key_id}\0{sender.password}".encode()).decode()
    with smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=5) as client:
        client.ehlo()
        code, reply = client.docmd("AUTH", f"PLAIN {token}")
    assert (code, reply) == (530, b"Must issue a STARTTLS command first")


def test_mail_before_starttls_is_refused(smtp_server: SmtpServer) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=5) as client:
        client.ehlo()
        assert client.mail(NOREPLY)[0] == 530


def test_mail_without_auth_is_refused(connect: Callable[..., smtplib.SMTP]) -> None:
    code, _ = connect().mail(NOREPLY)
    assert code == 530


# ---- authentication -----------------------------------------------------------------------


def assert_invalid_credentials(
    connect: Callable[..., smtplib.SMTP], user: str, password: str
) -> None:
    with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
        connect(login=(user, password))
    assert (caught.value.smtp_code, caught.value.smtp_error) == (
        535,
        b"Authentication Credentials Invalid",
    )


def test_password_derived_for_another_region_is_invalid(
    connect: Callable[..., smtplib.SMTP], sender: Any
) -> None:
    password = smtp_password_v4(sender.secret, "us-east-1")
    assert_invalid_credentials(connect, sender.access_key_id, password)


def test_raw_secret_as_password_is_invalid(
    connect: Callable[..., smtplib.SMTP], sender: Any
) -> None:
    assert_invalid_credentials(connect, sender.access_key_id, sender.secret)


def test_unknown_access_key_is_invalid(connect: Callable[..., smtplib.SMTP], sender: Any) -> None:
    assert_invalid_credentials(connect, "FAKEUNKNOWNACCESSKEY", sender.password)


def test_iam_user_name_as_user_name_is_invalid(
    connect: Callable[..., smtplib.SMTP], sender: Any
) -> None:
    assert_invalid_credentials(connect, sender.user_name, sender.password)


def test_inactive_access_key_is_invalid(
    connect: Callable[..., smtplib.SMTP], sender: Any, iam: Any
) -> None:
    iam.update_access_key(
        UserName=sender.user_name, AccessKeyId=sender.access_key_id, Status="Inactive"
    )
    assert_invalid_credentials(connect, sender.access_key_id, sender.password)


# ---- verification ---------------------------------------------------------------------------


def test_from_an_unverified_domain_is_rejected_as_not_verified(client: smtplib.SMTP) -> None:
    code, reply = send(client, message(sender="noreply@elsewhere.example.org"))

    assert (code, reply) == (
        554,
        "Message rejected: Email address is not verified. The following identities failed "
        "the check in region EU-WEST-1: noreply@elsewhere.example.org",
    )


def test_identity_pending_verification_does_not_cover_its_addresses(
    client: smtplib.SMTP, ses: SesV2Backend
) -> None:
    ses.dkim_status_resolver = lambda account, region, ident: "PENDING"

    code, reply = send(client, message())

    assert code == 554
    assert reply.startswith("Message rejected: Email address is not verified.")
    assert sent(ses) == []


def test_verified_email_address_identity_is_the_resource_authorised(
    make_sender: Callable[..., Any],
    connect: Callable[..., smtplib.SMTP],
    ses: SesV2Backend,
) -> None:
    ses.create_email_identity(ACCOUNT, REGION, email_identity=NOREPLY)
    only_address = send_policy(resources=[identity(NOREPLY)])
    user = make_sender(only_address)
    client = connect(login=(user.access_key_id, user.password))

    assert send(client, message())[0] == 250
    assert sent(ses)[0]["Identity"] == NOREPLY
    assert sent(ses)[0]["ConfigurationSetName"] is None


def test_subdomain_is_covered_by_its_verified_parent_domain(client: smtplib.SMTP) -> None:
    code, reply = send(client, message(sender=f"noreply@mail.{DOMAIN}"))

    # verified through example.com, then refused by the policy's FromAddress list
    assert code == 554
    assert reply.endswith(f"on resource '{identity(DOMAIN)}'")


# ---- authorisation ---------------------------------------------------------------------------


def test_from_outside_the_policys_from_addresses_is_access_denied(
    client: smtplib.SMTP, sender: Any, ses: SesV2Backend
) -> None:
    code, reply = send(client, message(sender=f"ceo@{DOMAIN}"))

    assert (code, reply) == (
        554,
        f"Access denied: User '{sender.user_arn}' is not authorized to perform "
        f"'ses:SendRawEmail' on resource '{identity(DOMAIN)}'",
    )
    assert sent(ses) == []


def test_from_address_wildcard_in_the_policy_allows_matching_addresses(
    client: smtplib.SMTP,
) -> None:
    assert send(client, message(sender=f"alerts-disk@{DOMAIN}"))[0] == 250


def test_from_address_condition_is_case_sensitive(client: smtplib.SMTP) -> None:
    code, reply = send(client, message(sender=f"NoReply@{DOMAIN}"))

    assert code == 554
    assert reply.startswith("Access denied: ")


def test_policy_missing_the_configuration_set_resource_is_denied_on_the_configuration_set(
    make_sender: Callable[..., Any], connect: Callable[..., smtplib.SMTP]
) -> None:
    user = make_sender(send_policy(resources=[identity(DOMAIN)]))
    client = connect(login=(user.access_key_id, user.password))

    code, reply = send(client, message())

    assert code == 554
    assert reply == (
        f"Access denied: User '{user.user_arn}' is not authorized to perform "
        f"'ses:SendRawEmail' on resource '{configuration_set(CONFIG_SET)}'"
    )


def test_configuration_set_header_overrides_the_identitys_default(
    client: smtplib.SMTP, ses: SesV2Backend
) -> None:
    ses.create_configuration_set(ACCOUNT, REGION, configuration_set_name="marketing")

    code, reply = send(client, message(headers={"X-SES-CONFIGURATION-SET": "marketing"}))

    assert code == 554
    assert reply.endswith(f"on resource '{configuration_set('marketing')}'")


def test_unknown_configuration_set_is_rejected(client: smtplib.SMTP) -> None:
    code, reply = send(client, message(headers={"X-SES-CONFIGURATION-SET": "nope"}))

    assert code == 554
    assert "Configuration set <nope> does not exist." in reply


def test_explicit_deny_wins_over_the_allow(
    make_sender: Callable[..., Any], connect: Callable[..., smtplib.SMTP]
) -> None:
    deny = {"Effect": "Deny", "Action": "ses:*", "Resource": configuration_set("*")}
    user = make_sender(send_policy(extra=[deny]))
    client = connect(login=(user.access_key_id, user.password))

    code, reply = send(client, message())

    assert code == 554
    assert reply.endswith(f"on resource '{configuration_set(CONFIG_SET)}'")


def test_user_without_any_policy_is_access_denied(
    make_sender: Callable[..., Any], connect: Callable[..., smtplib.SMTP], iam: Any
) -> None:
    user = make_sender(send_policy())
    iam.delete_user_policy(UserName=user.user_name, PolicyName="ses-send")
    client = connect(login=(user.access_key_id, user.password))

    assert send(client, message())[0] == 554


def test_attached_managed_policy_grants_like_an_inline_one(
    make_sender: Callable[..., Any], connect: Callable[..., smtplib.SMTP], iam: Any
) -> None:
    unrelated = {"Effect": "Allow", "Action": "ses:GetAccount", "Resource": "*"}
    user = make_sender({"Version": "2012-10-17", "Statement": [unrelated]})
    arn = iam.create_policy(PolicyName="send", PolicyDocument=json.dumps(send_policy()))
    iam.attach_user_policy(UserName=user.user_name, PolicyArn=arn["Policy"]["Arn"])
    client = connect(login=(user.access_key_id, user.password))

    assert send(client, message())[0] == 250


# ---- sandbox account ---------------------------------------------------------------------------


def test_sandbox_account_refuses_an_unverified_recipient(
    client: smtplib.SMTP, ses: SesV2Backend
) -> None:
    code, reply = send(client, message(), rcpts=(SUCCESS, "someone@gmail.example"))

    assert (code, reply) == (
        554,
        "Message rejected: Email address is not verified. The following identities failed "
        "the check in region EU-WEST-1: someone@gmail.example",
    )
    assert sent(ses) == []


def test_sandbox_account_sends_to_verified_recipients_and_the_simulator(
    client: smtplib.SMTP, ses: SesV2Backend
) -> None:
    ses.create_email_identity(ACCOUNT, REGION, email_identity="me@gmail.example")
    rcpts = ("me@gmail.example", f"ops@{DOMAIN}", "bounce@simulator.amazonses.com")

    assert send(client, message(), rcpts=rcpts)[0] == 250
    assert sent(ses)[0]["Destinations"] == list(rcpts)


def test_production_account_sends_to_any_recipient(client: smtplib.SMTP, ses: SesV2Backend) -> None:
    ses.region_state(ACCOUNT, REGION).account.production_access = True

    assert send(client, message(), rcpts=("someone@gmail.example",))[0] == 250


# ---- the simulator's bounce and complaint: reputation metrics and the suppression list ------

BOUNCE = "bounce@simulator.amazonses.com"
COMPLAINT = "complaint@simulator.amazonses.com"


def _set_rates(moto_url: str, metric: str) -> list[float]:
    """What CloudWatch holds for the configuration set's metric, oldest first."""
    got = moto_client(moto_url, "cloudwatch", REGION).get_metric_data(
        MetricDataQueries=[
            {
                "Id": "rate",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SES",
                        "MetricName": metric,
                        "Dimensions": [{"Name": "ses:configuration-set", "Value": CONFIG_SET}],
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=datetime.now(UTC) - timedelta(minutes=5),
        EndTime=datetime.now(UTC) + timedelta(minutes=5),
    )
    return got["MetricDataResults"][0]["Values"]


def test_simulator_bounce_and_complaint_publish_rates_and_suppress_the_addresses(
    client: smtplib.SMTP, ses: SesV2Backend, moto_url: str
) -> None:
    ses.put_configuration_set_reputation_options(
        ACCOUNT, REGION, configuration_set_name=CONFIG_SET, reputation_metrics_enabled=True
    )
    ses.put_configuration_set_suppression_options(
        ACCOUNT, REGION, configuration_set_name=CONFIG_SET, suppressed_reasons=["BOUNCE"]
    )
    assert send(client, message())[0] == 250  # no feedback yet: nothing published
    assert _set_rates(moto_url, "Reputation.BounceRate") == []

    for to in (BOUNCE, COMPLAINT, SUCCESS):
        assert send(client, message(to=to), rcpts=(to,))[0] == 250

    # 4 sends: 1 bounce, 1 complaint; the rate falls as a delivered message follows.
    assert max(_set_rates(moto_url, "Reputation.BounceRate")) == pytest.approx(1 / 2)
    assert _set_rates(moto_url, "Reputation.ComplaintRate") != []
    suppressed = ses.list_suppressed_destinations(ACCOUNT, REGION)
    # Only the reason the configuration set suppresses (BOUNCE) puts an address on the list.
    assert [
        (s["EmailAddress"], s["Reason"]) for s in suppressed["SuppressedDestinationSummaries"]
    ] == [(BOUNCE, "BOUNCE")]


def test_without_reputation_metrics_enabled_nothing_is_published(
    client: smtplib.SMTP, ses: SesV2Backend, moto_url: str
) -> None:
    assert send(client, message(to=BOUNCE), rcpts=(BOUNCE,))[0] == 250
    assert _set_rates(moto_url, "Reputation.BounceRate") == []
    assert ses.list_suppressed_destinations(ACCOUNT, REGION)["SuppressedDestinationSummaries"] == []
