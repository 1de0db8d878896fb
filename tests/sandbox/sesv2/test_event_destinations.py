"""Configuration set event destinations."""

from __future__ import annotations

import pytest

ACCOUNT = "123456789012"
REGION = "us-east-1"
TOPIC = "arn:aws:sns:us-east-1:123456789012:bounces"
EVENTS = ["BOUNCE", "COMPLAINT", "REJECT", "DELIVERY_DELAY"]


@pytest.fixture
def config_set(client):
    client.create_configuration_set(ConfigurationSetName="cs1")
    return "cs1"


def _create_enabled_sns(client, config_set: str, events: list[str]) -> None:
    definition = {
        "Enabled": True,
        "MatchingEventTypes": events,
        "SnsDestination": {"TopicArn": TOPIC},
    }
    client.create_configuration_set_event_destination(
        ConfigurationSetName=config_set, EventDestinationName="sns", EventDestination=definition
    )


def _destinations(client, config_set: str) -> list[dict]:
    return client.get_configuration_set_event_destinations(ConfigurationSetName=config_set)[
        "EventDestinations"
    ]


def test_create_then_get_echoes_name_destination_and_enabled(client, backend, config_set):
    _create_enabled_sns(client, config_set, EVENTS)

    destinations = client.get_configuration_set_event_destinations(ConfigurationSetName=config_set)[
        "EventDestinations"
    ]

    assert destinations == [
        {
            "Name": "sns",
            "Enabled": True,
            "MatchingEventTypes": EVENTS,
            "SnsDestination": {"TopicArn": TOPIC},
        }
    ]
    stored = backend.find_configuration_set(ACCOUNT, REGION, config_set)
    assert list(stored.event_destinations) == ["sns"]


def test_missing_enabled_flag_reads_back_as_false(client, config_set):
    client.create_configuration_set_event_destination(
        ConfigurationSetName=config_set,
        EventDestinationName="sns",
        EventDestination={"MatchingEventTypes": ["BOUNCE"], "SnsDestination": {"TopicArn": TOPIC}},
    )

    (destination,) = _destinations(client, config_set)
    assert destination["Enabled"] is False


def test_duplicate_destination_raises_already_exists(client, config_set):
    definition = {"MatchingEventTypes": ["BOUNCE"], "SnsDestination": {"TopicArn": TOPIC}}
    client.create_configuration_set_event_destination(
        ConfigurationSetName=config_set, EventDestinationName="sns", EventDestination=definition
    )

    with pytest.raises(client.exceptions.AlreadyExistsException):
        client.create_configuration_set_event_destination(
            ConfigurationSetName=config_set,
            EventDestinationName="sns",
            EventDestination=definition,
        )


def test_destination_on_missing_set_raises_not_found(client):
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_configuration_set_event_destinations(ConfigurationSetName="nope")
    with pytest.raises(client.exceptions.NotFoundException):
        client.create_configuration_set_event_destination(
            ConfigurationSetName="nope",
            EventDestinationName="sns",
            EventDestination={
                "MatchingEventTypes": ["SEND"],
                "SnsDestination": {"TopicArn": TOPIC},
            },
        )


def test_destination_without_a_target_is_a_bad_request(client, config_set):
    with pytest.raises(client.exceptions.BadRequestException):
        client.create_configuration_set_event_destination(
            ConfigurationSetName=config_set,
            EventDestinationName="none",
            EventDestination={"MatchingEventTypes": ["SEND"]},
        )


def test_update_replaces_definition_and_delete_removes_it(client, backend, config_set):
    _create_enabled_sns(client, config_set, ["BOUNCE"])

    client.update_configuration_set_event_destination(
        ConfigurationSetName=config_set,
        EventDestinationName="sns",
        EventDestination={"MatchingEventTypes": ["SEND"], "SnsDestination": {"TopicArn": TOPIC}},
    )
    (destination,) = _destinations(client, config_set)
    assert destination["MatchingEventTypes"] == ["SEND"]
    assert destination["Enabled"] is False

    client.delete_configuration_set_event_destination(
        ConfigurationSetName=config_set, EventDestinationName="sns"
    )
    assert backend.find_configuration_set(ACCOUNT, REGION, config_set).event_destinations == {}
    with pytest.raises(client.exceptions.NotFoundException):
        client.delete_configuration_set_event_destination(
            ConfigurationSetName=config_set, EventDestinationName="sns"
        )
