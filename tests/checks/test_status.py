"""`sesame status` after real sends: each configuration set's bounce and complaint rates from
CloudWatch against the alarm thresholds, and the suppression list's size. The sandbox's SMTP
endpoint makes the simulator's bounce@ and complaint@ bounce and complain for real."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

from sesame import secrets
from sesame.checks import status
from sesame.names import configuration_set_name
from sesame.sandbox import keys
from sesame.target import workdir_for
from testing import Sesame, domain, make_config, sandbox_smtp

SENDS = ("a.example", {"a-smtp": {"kind": "smtp", "from": ["app@a.example"]}})
# Bounces may reach 90 % before the alarm; complaints keep the 0.1 % default.
CONFIG = make_config({**domain(*SENDS), **domain("b.example")}, alarms={"bounce_rate": 0.9})
SIMULATOR = "simulator.amazonses.com"


def _send_through_smtp(top: Path, recipients: list[str]) -> None:
    """One message per recipient, as an app would: the sender's SMTP credentials, STARTTLS."""
    sender = secrets.decrypt(workdir_for(top, "sandbox") / "credentials.yaml", keys.age_key())
    fields = sender["senders"]["a-smtp"]
    with sandbox_smtp(top, CONFIG) as smtp:
        smtp.login(fields["SMTP_USERNAME"], fields["SMTP_PASSWORD"])
        for to in recipients:
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = "app@a.example", to, "reputation"
            msg.set_content("status test\n")
            smtp.send_message(msg)


def test_status_shows_rates_against_thresholds_and_flags_the_one_above(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    sesame.ok("apply")
    before = json.loads(sesame.ok("status", "--json").stdout)
    assert all(r["rate"] is None for r in before["reputation"])  # no feedback, no metric
    assert before["suppression"] == {"total": 0}

    _send_through_smtp(
        sesame.top, [f"success@{SIMULATOR}", f"bounce@{SIMULATOR}", f"complaint@{SIMULATOR}"]
    )

    proc = sesame.ok("status", "--json")
    report = json.loads(proc.stdout)
    a_set, b_set = configuration_set_name("a.example"), configuration_set_name("b.example")
    rows = {(r["configuration_set"], r["check"]): r for r in report["reputation"]}
    bounce, complaint = rows[(a_set, "bounce rate")], rows[(a_set, "complaint rate")]
    assert 0 < bounce["rate"] < bounce["threshold"] == 0.9
    assert complaint["rate"] > complaint["threshold"] == 0.001
    assert rows[(b_set, "bounce rate")]["rate"] is None  # nothing sent through b.example
    # Only the rate at or above its alarm's threshold is flagged.
    checks = {(c["scope"], c["check"]): c for c in report["checks"]}
    assert checks[(a_set, "bounce rate")]["ok"] is True
    assert checks[(a_set, "complaint rate")]["ok"] is False
    assert checks[(a_set, "complaint rate")]["fix"]
    # The configuration sets suppress BOUNCE and COMPLAINT (terraform/aws suppressed_reasons).
    assert report["suppression"] == {"total": 2, "BOUNCE": 1, "COMPLAINT": 1}

    text = sesame.ok("status").stdout
    lines = text.splitlines()
    assert any(
        ln.startswith(f"FAIL {a_set}: complaint rate: ") and "(alarm at 0.1 %)" in ln
        for ln in lines
    ), text
    assert any(
        ln.startswith(f"ok   {a_set}: bounce rate: ") and "(alarm at 90 %)" in ln for ln in lines
    ), text
    assert "ok   account: suppression list: 2 addresses (1 bounce, 1 complaint)" in lines, text
    assert sesame("status").returncode == 0  # status reports; the alarms notify


def test_a_mail_from_status_without_its_domain_is_not_shown() -> None:
    # SES keeps MailFromDomainStatus after the custom MAIL FROM is removed (an identity
    # given back by destroy): with no domain there is no status to show.
    base = {
        "exists": True,
        "verified_for_sending": False,
        "dkim_status": "SUCCESS",
        "error_type": None,
        "dkim_key_bits": 2048,
        "configuration_set": None,
    }
    report = {
        "region": "eu-west-1",
        "domains": [
            {**base, "domain": "a.example", "mail_from_domain": None, "mail_from_status": "FAILED"},
            {**base, "domain": "b.example", "mail_from_domain": "mail.b.example"}
            | {"mail_from_status": "SUCCESS"},
        ],
        "account": {
            "production_access": True,
            "sending_enabled": True,
            "max_24_hour_send": 200,
            "max_send_rate": 1,
            "sent_last_24_hours": 0,
            "review_status": None,
        },
        "keys": [],
        "checks": [],
    }
    rows = {ln.split()[0]: ln.split() for ln in status.table(report).splitlines()[1:3]}
    assert "FAILED" not in rows["a.example"]
    assert rows["b.example"][-3:-1] == ["mail.b.example", "SUCCESS"]
