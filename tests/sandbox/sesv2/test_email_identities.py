"""Email identities: create/get/list/delete and their DKIM, MAIL FROM and default set."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

ACCOUNT = "123456789012"
REGION = "us-east-1"


def test_create_domain_identity_returns_three_base32_dkim_tokens_and_is_verified(client, backend):
    response = client.create_email_identity(EmailIdentity="example.org")

    assert response["IdentityType"] == "DOMAIN"
    assert response["VerifiedForSendingStatus"] is True
    dkim = response["DkimAttributes"]
    assert dkim["Status"] == "SUCCESS"
    assert dkim["SigningAttributesOrigin"] == "AWS_SES"
    assert dkim["NextSigningKeyLength"] == dkim["CurrentSigningKeyLength"] == "RSA_2048_BIT"
    assert isinstance(dkim["LastKeyGenerationTimestamp"], datetime)
    assert len(dkim["Tokens"]) == 3
    assert all(re.fullmatch(r"[a-z2-7]{32}", token) for token in dkim["Tokens"])
    stored = backend.get_identity(ACCOUNT, REGION, "example.org")
    assert stored is not None and stored.dkim_tokens == dkim["Tokens"]


def test_create_identity_echoes_requested_next_signing_key_length(client, backend):
    client.create_email_identity(
        EmailIdentity="example.org",
        DkimSigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"},
    )

    dkim = client.get_email_identity(EmailIdentity="example.org")["DkimAttributes"]
    assert dkim["NextSigningKeyLength"] == "RSA_1024_BIT"
    assert backend.get_identity(ACCOUNT, REGION, "example.org").next_signing_key_length == (
        "RSA_1024_BIT"
    )


def test_get_identity_is_stable_between_reads(client):
    client.create_email_identity(EmailIdentity="example.org")

    first = client.get_email_identity(EmailIdentity="example.org")
    second = client.get_email_identity(EmailIdentity="example.org")
    for key in ("DkimAttributes", "MailFromAttributes", "VerificationStatus"):
        assert first[key] == second[key]


def test_get_identity_always_reports_mail_from_behavior_and_omits_unset_fields(client):
    client.create_email_identity(EmailIdentity="example.org")

    response = client.get_email_identity(EmailIdentity="example.org")

    assert response["MailFromAttributes"]["BehaviorOnMxFailure"] == "USE_DEFAULT_VALUE"
    assert "MailFromDomainStatus" in response["MailFromAttributes"]
    assert "MailFromDomain" not in response["MailFromAttributes"]
    assert "ConfigurationSetName" not in response
    assert response["Policies"] == {}
    assert response["VerificationStatus"] == "SUCCESS"


def test_email_address_identity_has_no_dkim_tokens(client, backend):
    response = client.create_email_identity(EmailIdentity="ops@example.org")

    assert response["IdentityType"] == "EMAIL_ADDRESS"
    assert response["DkimAttributes"]["Tokens"] == []
    assert backend.get_identity(ACCOUNT, REGION, "ops@example.org").identity_type == (
        "EMAIL_ADDRESS"
    )


def test_duplicate_identity_raises_already_exists(client):
    client.create_email_identity(EmailIdentity="example.org")

    with pytest.raises(client.exceptions.AlreadyExistsException):
        client.create_email_identity(EmailIdentity="example.org")


def test_invalid_domain_is_a_bad_request(client, backend):
    with pytest.raises(client.exceptions.BadRequestException):
        client.create_email_identity(EmailIdentity="not a domain")
    assert backend.list_identities(ACCOUNT, REGION) == []


def test_missing_identity_raises_not_found_with_404(client):
    with pytest.raises(client.exceptions.NotFoundException) as info:
        client.get_email_identity(EmailIdentity="missing.org")

    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_delete_identity_removes_it(client, backend):
    client.create_email_identity(EmailIdentity="example.org")

    client.delete_email_identity(EmailIdentity="example.org")

    assert backend.get_identity(ACCOUNT, REGION, "example.org") is None
    with pytest.raises(client.exceptions.NotFoundException):
        client.delete_email_identity(EmailIdentity="example.org")


def test_list_identities_pages_with_next_token(client):
    names = [f"d{i}.example.org" for i in range(5)]
    for name in names:
        client.create_email_identity(EmailIdentity=name)

    seen, token, pages = [], None, 0
    while True:
        kwargs = {"PageSize": 2, **({"NextToken": token} if token else {})}
        page = client.list_email_identities(**kwargs)
        pages += 1
        seen += [item["IdentityName"] for item in page["EmailIdentities"]]
        token = page.get("NextToken")
        if not token:
            break

    assert seen == names
    assert pages == 3
    assert page["EmailIdentities"][0]["VerificationStatus"] == "SUCCESS"


def test_identity_default_configuration_set_is_echoed_and_cleared_by_empty_put(client, backend):
    client.create_configuration_set(ConfigurationSetName="cs1")
    client.create_email_identity(EmailIdentity="example.org", ConfigurationSetName="cs1")
    assert client.get_email_identity(EmailIdentity="example.org")["ConfigurationSetName"] == "cs1"

    client.put_email_identity_configuration_set_attributes(EmailIdentity="example.org")

    assert "ConfigurationSetName" not in client.get_email_identity(EmailIdentity="example.org")
    assert backend.get_identity(ACCOUNT, REGION, "example.org").configuration_set_name is None


def test_identity_default_set_must_exist(client):
    with pytest.raises(client.exceptions.NotFoundException):
        client.create_email_identity(EmailIdentity="example.org", ConfigurationSetName="nope")


def test_deleting_a_default_configuration_set_keeps_the_identity_reference(client, backend):
    client.create_configuration_set(ConfigurationSetName="cs1")
    client.create_email_identity(EmailIdentity="example.org", ConfigurationSetName="cs1")

    client.delete_configuration_set(ConfigurationSetName="cs1")

    assert client.get_email_identity(EmailIdentity="example.org")["ConfigurationSetName"] == "cs1"
    assert backend.find_configuration_set(ACCOUNT, REGION, "cs1") is None


def test_dkim_signing_put_updates_next_key_length_and_keeps_tokens(client, backend):
    created = client.create_email_identity(EmailIdentity="example.org")

    response = client.put_email_identity_dkim_signing_attributes(
        EmailIdentity="example.org",
        SigningAttributesOrigin="AWS_SES",
        SigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"},
    )

    assert response["DkimTokens"] == created["DkimAttributes"]["Tokens"]
    assert response["DkimStatus"] == "SUCCESS"
    stored = backend.get_identity(ACCOUNT, REGION, "example.org")
    assert stored.next_signing_key_length == "RSA_1024_BIT"


def test_dkim_signing_put_external_switches_to_byodkim_selector(client, backend):
    client.create_email_identity(EmailIdentity="example.org")

    response = client.put_email_identity_dkim_signing_attributes(
        EmailIdentity="example.org",
        SigningAttributesOrigin="EXTERNAL",
        SigningAttributes={"DomainSigningSelector": "sel1", "DomainSigningPrivateKey": "QUJD"},
    )

    assert response["DkimTokens"] == ["sel1"]
    dkim = client.get_email_identity(EmailIdentity="example.org")["DkimAttributes"]
    assert dkim["SigningAttributesOrigin"] == "EXTERNAL"
    assert backend.get_identity(ACCOUNT, REGION, "example.org").dkim_origin == "EXTERNAL"


def test_dkim_signing_put_external_without_key_is_a_bad_request(client):
    client.create_email_identity(EmailIdentity="example.org")

    with pytest.raises(client.exceptions.BadRequestException):
        client.put_email_identity_dkim_signing_attributes(
            EmailIdentity="example.org", SigningAttributesOrigin="EXTERNAL"
        )


def test_dkim_attributes_put_disables_signing_when_flag_missing(client, backend):
    client.create_email_identity(EmailIdentity="example.org")

    client.put_email_identity_dkim_attributes(EmailIdentity="example.org")

    assert (
        client.get_email_identity(EmailIdentity="example.org")["DkimAttributes"]["SigningEnabled"]
        is False
    )
    client.put_email_identity_dkim_attributes(EmailIdentity="example.org", SigningEnabled=True)
    assert backend.get_identity(ACCOUNT, REGION, "example.org").dkim_signing_enabled is True


def test_mail_from_put_sets_domain_and_empty_body_resets(client, backend):
    client.create_email_identity(EmailIdentity="example.org")
    client.put_email_identity_mail_from_attributes(
        EmailIdentity="example.org",
        MailFromDomain="mail.example.org",
        BehaviorOnMxFailure="REJECT_MESSAGE",
    )
    attrs = client.get_email_identity(EmailIdentity="example.org")["MailFromAttributes"]
    assert attrs == {
        "MailFromDomain": "mail.example.org",
        "MailFromDomainStatus": "SUCCESS",
        "BehaviorOnMxFailure": "REJECT_MESSAGE",
    }

    client.put_email_identity_mail_from_attributes(EmailIdentity="example.org")

    attrs = client.get_email_identity(EmailIdentity="example.org")["MailFromAttributes"]
    assert attrs["BehaviorOnMxFailure"] == "USE_DEFAULT_VALUE"
    assert "MailFromDomain" not in attrs
    assert backend.get_identity(ACCOUNT, REGION, "example.org").mail_from_domain is None


@pytest.mark.parametrize("domain", ["example.org", "mail.other.org", "notexample.org"])
def test_mail_from_domain_must_be_a_subdomain_of_the_identity(client, backend, domain):
    client.create_email_identity(EmailIdentity="example.org")

    with pytest.raises(client.exceptions.BadRequestException, match="subdomain"):
        client.put_email_identity_mail_from_attributes(
            EmailIdentity="example.org", MailFromDomain=domain
        )
    assert backend.get_identity(ACCOUNT, REGION, "example.org").mail_from_domain is None


def test_status_resolver_drives_dkim_and_verification_status(client, backend):
    calls = []

    def resolver(account, region, identity):
        calls.append((account, region, identity.name))
        return "PENDING"

    backend.dkim_status_resolver = resolver
    client.create_email_identity(EmailIdentity="example.org")

    response = client.get_email_identity(EmailIdentity="example.org")

    assert response["DkimAttributes"]["Status"] == "PENDING"
    assert response["VerificationStatus"] == "PENDING"
    assert response["VerifiedForSendingStatus"] is False
    assert (ACCOUNT, REGION, "example.org") in calls


def test_percent_encoded_email_identity_label_is_decoded(server, client, backend):
    import urllib.request

    client.create_email_identity(EmailIdentity="ops@example.org")
    request = urllib.request.Request(f"{server.url}/v2/email/identities/ops%40example.org")

    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    assert backend.get_identity(ACCOUNT, REGION, "ops@example.org") is not None


def test_dkim_signing_is_also_served_on_the_v1_path_the_go_sdk_uses(server, client) -> None:
    import requests

    client.create_email_identity(
        EmailIdentity="v1.example", DkimSigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"}
    )
    resp = requests.put(
        f"{server.url}/v1/email/identities/v1.example/dkim/signing",
        json={
            "SigningAttributesOrigin": "AWS_SES",
            "SigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"},
        },
        timeout=5,
    )
    assert resp.status_code == 200, resp.text
    got = client.get_email_identity(EmailIdentity="v1.example")["DkimAttributes"]
    assert got["NextSigningKeyLength"] == "RSA_2048_BIT"
