"""Requests are checked against botocore's service model before the backend sees them."""

from __future__ import annotations

import pytest

from sesame.sandbox.sesv2.exceptions import BadRequestException
from sesame.sandbox.sesv2.validation import validate

ACCOUNT = "123456789012"
REGION = "us-east-1"


def test_bad_enum_is_rejected_with_the_aws_message(raw_client, backend):
    with pytest.raises(raw_client.exceptions.BadRequestException) as info:
        raw_client.create_email_identity(
            EmailIdentity="example.org",
            DkimSigningAttributes={"NextSigningKeyLength": "RSA_999"},
        )

    assert info.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'RSA_999' at "
        "'dkimSigningAttributes.nextSigningKeyLength' failed to satisfy constraint: "
        "Member must satisfy enum value set: [RSA_1024_BIT, RSA_2048_BIT]"
    )
    assert backend.get_identity(ACCOUNT, REGION, "example.org") is None


def test_missing_required_member_is_rejected(raw_client, backend):
    raw_client.create_configuration_set(ConfigurationSetName="cs1")

    with pytest.raises(raw_client.exceptions.BadRequestException) as info:
        raw_client.create_configuration_set_event_destination(
            ConfigurationSetName="cs1", EventDestinationName="sns"
        )

    assert "Value null at 'eventDestination' failed to satisfy constraint: " in str(info.value)
    assert "Member must not be null" in str(info.value)
    assert backend.find_configuration_set(ACCOUNT, REGION, "cs1").event_destinations == {}


def test_too_long_configuration_set_name_is_rejected(raw_client, backend):
    with pytest.raises(raw_client.exceptions.BadRequestException) as info:
        raw_client.create_configuration_set(ConfigurationSetName="x" * 65)

    assert "Member must have length less than or equal to 64" in str(info.value)
    assert backend.list_configuration_sets(ACCOUNT, REGION) == []


def test_out_of_range_number_is_rejected(raw_client):
    raw_client.create_configuration_set(ConfigurationSetName="cs1")

    with pytest.raises(raw_client.exceptions.BadRequestException, match="greater than or equal"):
        raw_client.put_configuration_set_delivery_options(
            ConfigurationSetName="cs1", MaxDeliverySeconds=5
        )


def test_every_error_is_reported_at_its_nested_path():
    with pytest.raises(BadRequestException) as info:
        validate(
            "CreateConfigurationSet",
            {
                "ConfigurationSetName": "bad name!",
                "Tags": [{"Key": "k"}],
                "SuppressionOptions": {"SuppressedReasons": ["BOUNCE", "LOUD"]},
                "SendingOptions": {"SendingEnabled": "yes"},
            },
        )

    message = info.value.message
    assert message.startswith("4 validation errors detected: ")
    assert (
        "at 'configurationSetName' failed to satisfy constraint: Member must satisfy regular"
        in (message)
    )
    assert "Value null at 'tags.1.member.value'" in message
    assert "Value 'LOUD' at 'suppressionOptions.suppressedReasons.2.member'" in message
    assert "at 'sendingOptions.sendingEnabled' failed to satisfy constraint: Member must be of" in (
        message
    )


def test_valid_input_passes():
    validate(
        "CreateEmailIdentity",
        {
            "EmailIdentity": "example.org",
            "DkimSigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"},
            "Tags": [{"Key": "k", "Value": "v"}],
        },
    )


def test_malformed_json_body_is_a_serialization_error(server):
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{server.url}/v2/email/identities", data=b"{not json", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)

    assert info.value.code == 400
    assert info.value.headers["X-Amzn-ErrorType"] == "SerializationException"
    assert json.loads(info.value.read())["__type"] == "SerializationException"
