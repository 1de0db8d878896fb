"""Tags live under the ARN the Terraform provider builds, and go with their resource."""

from __future__ import annotations

import pytest

ACCOUNT = "123456789012"
REGION = "us-east-1"
IDENTITY_ARN = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/example.org"
SET_ARN = f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/cs1"


def test_create_time_tags_are_listed_under_the_provider_arns(client):
    client.create_configuration_set(ConfigurationSetName="cs1", Tags=[{"Key": "a", "Value": "1"}])
    client.create_email_identity(EmailIdentity="example.org", Tags=[{"Key": "b", "Value": "2"}])

    assert client.list_tags_for_resource(ResourceArn=SET_ARN)["Tags"] == [
        {"Key": "a", "Value": "1"}
    ]
    assert client.list_tags_for_resource(ResourceArn=IDENTITY_ARN)["Tags"] == [
        {"Key": "b", "Value": "2"}
    ]


def test_tag_and_untag_resource_update_the_stored_tags(client, backend):
    client.create_email_identity(EmailIdentity="example.org", Tags=[{"Key": "a", "Value": "1"}])

    client.tag_resource(
        ResourceArn=IDENTITY_ARN,
        Tags=[
            {"Key": "a", "Value": "changed"},
            {"Key": "b", "Value": "2"},
            {"Key": "c", "Value": ""},
        ],
    )
    client.untag_resource(ResourceArn=IDENTITY_ARN, TagKeys=["b", "missing"])

    tags = client.list_tags_for_resource(ResourceArn=IDENTITY_ARN)["Tags"]
    assert tags == [{"Key": "a", "Value": "changed"}, {"Key": "c", "Value": ""}]
    assert backend.get_identity(ACCOUNT, REGION, "example.org").tags == {"a": "changed", "c": ""}


def test_tags_of_an_email_address_identity_use_its_raw_name_in_the_arn(client):
    client.create_email_identity(EmailIdentity="ops@example.org", Tags=[{"Key": "k", "Value": "v"}])

    arn = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/ops@example.org"
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]


def test_deleting_a_resource_removes_its_tags(client):
    client.create_configuration_set(ConfigurationSetName="cs1", Tags=[{"Key": "a", "Value": "1"}])
    client.delete_configuration_set(ConfigurationSetName="cs1")
    client.create_configuration_set(ConfigurationSetName="cs1")

    assert client.list_tags_for_resource(ResourceArn=SET_ARN)["Tags"] == []


@pytest.mark.parametrize(
    "arn",
    [
        IDENTITY_ARN,
        f"arn:aws:ses:eu-west-1:{ACCOUNT}:configuration-set/cs1",
        f"arn:aws:ses:{REGION}:999999999999:configuration-set/cs1",
    ],
)
def test_unknown_arn_raises_not_found(client, arn):
    client.create_configuration_set(ConfigurationSetName="cs1")

    with pytest.raises(client.exceptions.NotFoundException):
        client.list_tags_for_resource(ResourceArn=arn)
    with pytest.raises(client.exceptions.NotFoundException):
        client.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "b"}])


def test_reserved_aws_prefix_is_rejected(client, backend):
    client.create_configuration_set(ConfigurationSetName="cs1")

    with pytest.raises(client.exceptions.BadRequestException):
        client.tag_resource(ResourceArn=SET_ARN, Tags=[{"Key": "aws:x", "Value": "b"}])
    assert backend.find_configuration_set(ACCOUNT, REGION, "cs1").tags == {}
