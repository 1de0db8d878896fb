"""GetAccount and PutAccountDetails."""

from __future__ import annotations

from sesame.sandbox.sesv2.models import SesV2Backend

ACCOUNT = "123456789012"
REGION = "us-east-1"


def test_get_account_reports_sandbox_quota_and_health(client):
    response = client.get_account()

    assert response["ProductionAccessEnabled"] is False
    assert response["EnforcementStatus"] == "HEALTHY"
    assert response["SendingEnabled"] is True
    assert response["DedicatedIpAutoWarmupEnabled"] is False
    assert response["SendQuota"] == {
        "Max24HourSend": 200.0,
        "MaxSendRate": 1.0,
        "SentLast24Hours": 0.0,
    }
    assert response["SuppressionAttributes"] == {"SuppressedReasons": []}
    assert "Details" not in response


def test_recorded_sends_count_in_sent_last_24_hours(client, backend):
    backend.record_sent_message(ACCOUNT, REGION, {"Destination": "a@example.org"})
    backend.record_sent_message(ACCOUNT, REGION, {"Destination": "b@example.org"})

    assert client.get_account()["SendQuota"]["SentLast24Hours"] == 2.0


def test_constructor_sets_production_access_and_quota():
    backend = SesV2Backend(production_access=True, max_24h_send=50000.0, max_send_rate=14.0)

    response = backend.get_account(ACCOUNT, "eu-west-1")

    assert response["ProductionAccessEnabled"] is True
    assert response["SendQuota"]["Max24HourSend"] == 50000.0
    assert response["SendQuota"]["MaxSendRate"] == 14.0


def test_put_account_details_shows_up_in_get_account(client, backend):
    client.put_account_details(
        MailType="TRANSACTIONAL",
        WebsiteURL="https://example.org",
        UseCaseDescription="receipts",
        ProductionAccessEnabled=True,
    )

    details = client.get_account()["Details"]

    assert details["MailType"] == "TRANSACTIONAL"
    assert details["WebsiteURL"] == "https://example.org"
    assert details["ReviewDetails"]["Status"] == "PENDING"
    assert backend.region_state(ACCOUNT, REGION).account.details["UseCaseDescription"] == (
        "receipts"
    )
