"""GetEmailIdentity states where SES publishes Easy DKIM keys: DkimAttributes.SigningHostedZone."""

from __future__ import annotations

import pytest

from sesame import regions

# The AWS General Reference's DKIM domains table (regions.py cites it): a few regions have
# their own zone, every other region uses dkim.amazonses.com.
CASES = {
    "us-east-1": "dkim.amazonses.com",
    "eu-west-1": "dkim.amazonses.com",
    "af-south-1": "dkim.af-south-1.amazonses.com",
    "il-central-1": "dkim.il-central-1.amazonses.com",
    "us-gov-east-1": "dkim.us-gov-east-1.amazonses.com",
}


@pytest.mark.parametrize(("region", "zone"), sorted(CASES.items()))
def test_each_region_states_its_documented_signing_hosted_zone(make_client, region, zone):
    client = make_client(region=region)
    created = client.create_email_identity(EmailIdentity="zone.example")
    assert created["DkimAttributes"]["SigningHostedZone"] == zone
    got = client.get_email_identity(EmailIdentity="zone.example")["DkimAttributes"]
    assert got["SigningHostedZone"] == zone == regions.dkim_host(region)


def test_the_stated_zone_is_the_emulator_s_not_the_fallback_table(client, backend):
    backend.signing_hosted_zones["us-east-1"] = "dkim.us-east-1.amazonses.com"
    try:
        client.create_email_identity(EmailIdentity="moved.example")
        got = client.get_email_identity(EmailIdentity="moved.example")["DkimAttributes"]
        resigned = client.put_email_identity_dkim_signing_attributes(
            EmailIdentity="moved.example",
            SigningAttributesOrigin="AWS_SES",
            SigningAttributes={"NextSigningKeyLength": "RSA_2048_BIT"},
        )
    finally:
        backend.signing_hosted_zones.clear()
    assert got["SigningHostedZone"] == "dkim.us-east-1.amazonses.com"
    assert resigned["SigningHostedZone"] == "dkim.us-east-1.amazonses.com"


def test_byodkim_and_address_identities_state_no_zone(client):
    client.create_email_identity(
        EmailIdentity="byo.example",
        DkimSigningAttributes={
            "DomainSigningSelector": "sel1",
            "DomainSigningPrivateKey": "TUlJQ2VBSUJBREFOQmdrcWhr",
        },
    )
    assert (
        "SigningHostedZone"
        not in client.get_email_identity(EmailIdentity="byo.example")["DkimAttributes"]
    )
    client.create_email_identity(EmailIdentity="me@byo.example")
    address = client.get_email_identity(EmailIdentity="me@byo.example")["DkimAttributes"]
    assert "SigningHostedZone" not in address
