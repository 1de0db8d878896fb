"""Configuration sets: option blocks come back only when configured, in the order sent."""

from __future__ import annotations

import pytest

ACCOUNT = "123456789012"
REGION = "us-east-1"
PLAIN_BLOCKS = ("DeliveryOptions", "SuppressionOptions", "TrackingOptions", "VdmOptions")


def test_get_returns_only_configured_option_blocks(client):
    client.create_configuration_set(ConfigurationSetName="bare")

    response = client.get_configuration_set(ConfigurationSetName="bare")

    assert response["ConfigurationSetName"] == "bare"
    for block in PLAIN_BLOCKS:
        assert block not in response
    # computed blocks carry the service defaults
    assert response["ReputationOptions"] == {"ReputationMetricsEnabled": False}
    assert response["SendingOptions"] == {"SendingEnabled": True}


def test_create_with_options_echoes_them_exactly(client, backend):
    client.create_configuration_set(
        ConfigurationSetName="cs1",
        DeliveryOptions={"TlsPolicy": "REQUIRE"},
        ReputationOptions={"ReputationMetricsEnabled": True},
        SuppressionOptions={"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
        TrackingOptions={"CustomRedirectDomain": "track.example.org"},
        VdmOptions={"DashboardOptions": {"EngagementMetrics": "ENABLED"}},
    )

    response = client.get_configuration_set(ConfigurationSetName="cs1")

    assert response["DeliveryOptions"] == {"TlsPolicy": "REQUIRE"}
    assert response["ReputationOptions"] == {"ReputationMetricsEnabled": True}
    assert response["TrackingOptions"] == {"CustomRedirectDomain": "track.example.org"}
    assert response["VdmOptions"] == {"DashboardOptions": {"EngagementMetrics": "ENABLED"}}
    stored = backend.find_configuration_set(ACCOUNT, REGION, "cs1")
    assert stored.options["DeliveryOptions"] == {"TlsPolicy": "REQUIRE"}


@pytest.mark.parametrize(
    "reasons", [["BOUNCE", "COMPLAINT"], ["COMPLAINT", "BOUNCE"], ["COMPLAINT"]]
)
def test_suppressed_reasons_keep_the_order_sent(client, backend, reasons):
    client.create_configuration_set(
        ConfigurationSetName="cs1", SuppressionOptions={"SuppressedReasons": reasons}
    )

    response = client.get_configuration_set(ConfigurationSetName="cs1")

    assert response["SuppressionOptions"]["SuppressedReasons"] == reasons
    stored = backend.find_configuration_set(ACCOUNT, REGION, "cs1")
    assert stored.options["SuppressionOptions"]["SuppressedReasons"] == reasons


def test_put_delivery_options_updates_and_empty_put_removes_block(client, backend):
    client.create_configuration_set(ConfigurationSetName="cs1")

    client.put_configuration_set_delivery_options(
        ConfigurationSetName="cs1", TlsPolicy="OPTIONAL", MaxDeliverySeconds=600
    )
    response = client.get_configuration_set(ConfigurationSetName="cs1")
    assert response["DeliveryOptions"] == {"TlsPolicy": "OPTIONAL", "MaxDeliverySeconds": 600}

    client.put_configuration_set_delivery_options(ConfigurationSetName="cs1")
    assert "DeliveryOptions" not in client.get_configuration_set(ConfigurationSetName="cs1")
    assert "DeliveryOptions" not in backend.find_configuration_set(ACCOUNT, REGION, "cs1").options


def test_put_suppression_tracking_and_vdm_options_round_trip(client, backend):
    client.create_configuration_set(ConfigurationSetName="cs1")

    client.put_configuration_set_suppression_options(
        ConfigurationSetName="cs1", SuppressedReasons=["COMPLAINT"]
    )
    client.put_configuration_set_tracking_options(
        ConfigurationSetName="cs1", CustomRedirectDomain="t.example.org", HttpsPolicy="REQUIRE"
    )
    client.put_configuration_set_vdm_options(
        ConfigurationSetName="cs1",
        VdmOptions={"GuardianOptions": {"OptimizedSharedDelivery": "ENABLED"}},
    )

    response = client.get_configuration_set(ConfigurationSetName="cs1")
    assert response["SuppressionOptions"] == {"SuppressedReasons": ["COMPLAINT"]}
    assert response["TrackingOptions"] == {
        "CustomRedirectDomain": "t.example.org",
        "HttpsPolicy": "REQUIRE",
    }
    assert response["VdmOptions"] == {"GuardianOptions": {"OptimizedSharedDelivery": "ENABLED"}}

    client.put_configuration_set_tracking_options(ConfigurationSetName="cs1")
    client.put_configuration_set_vdm_options(ConfigurationSetName="cs1")
    client.put_configuration_set_suppression_options(ConfigurationSetName="cs1")
    assert backend.find_configuration_set(ACCOUNT, REGION, "cs1").options == {}


def test_put_reputation_and_sending_options_treat_missing_flags_as_false(client, backend):
    client.create_configuration_set(ConfigurationSetName="cs1")

    client.put_configuration_set_reputation_options(
        ConfigurationSetName="cs1", ReputationMetricsEnabled=True
    )
    client.put_configuration_set_sending_options(ConfigurationSetName="cs1")

    response = client.get_configuration_set(ConfigurationSetName="cs1")
    assert response["ReputationOptions"]["ReputationMetricsEnabled"] is True
    assert response["SendingOptions"] == {"SendingEnabled": False}
    assert backend.find_configuration_set(ACCOUNT, REGION, "cs1").sending_options == {
        "SendingEnabled": False
    }


def test_duplicate_configuration_set_raises_already_exists(client):
    client.create_configuration_set(ConfigurationSetName="cs1")

    with pytest.raises(client.exceptions.AlreadyExistsException):
        client.create_configuration_set(ConfigurationSetName="cs1")


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_configuration_set(ConfigurationSetName="nope"),
        lambda c: c.delete_configuration_set(ConfigurationSetName="nope"),
        lambda c: c.put_configuration_set_delivery_options(ConfigurationSetName="nope"),
        lambda c: c.put_configuration_set_sending_options(ConfigurationSetName="nope"),
    ],
)
def test_operations_on_a_missing_set_raise_not_found(client, call):
    with pytest.raises(client.exceptions.NotFoundException):
        call(client)


def test_delete_configuration_set_removes_it(client, backend):
    client.create_configuration_set(ConfigurationSetName="cs1")

    client.delete_configuration_set(ConfigurationSetName="cs1")

    assert backend.list_configuration_sets(ACCOUNT, REGION) == []


def test_list_configuration_sets_pages_in_creation_order(client):
    for name in ("a", "b", "c"):
        client.create_configuration_set(ConfigurationSetName=name)

    first = client.list_configuration_sets(PageSize=2)
    second = client.list_configuration_sets(PageSize=2, NextToken=first["NextToken"])

    assert first["ConfigurationSets"] == ["a", "b"]
    assert second["ConfigurationSets"] == ["c"]
    assert "NextToken" not in second
