"""Authentication: bearer tokens map to one account."""

from __future__ import annotations

import cloudflare
import pytest

OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210"
OTHER_TOKEN = "sandbox-token-" + "b" * 40


def test_unknown_token_is_an_authentication_error_with_code_9109(make_client, zone):
    with pytest.raises(cloudflare.AuthenticationError) as caught:
        make_client("not-a-real-token-" + "z" * 30).zones.list()

    assert caught.value.status_code == 401
    assert caught.value.body["errors"][0]["code"] == 9109


def test_token_of_another_account_is_denied_the_zone(make_client, backend, zone):
    backend.add_token(OTHER_TOKEN, OTHER_ACCOUNT)
    other = make_client(OTHER_TOKEN)

    with pytest.raises(cloudflare.PermissionDeniedError) as caught:
        other.dns.records.list(zone_id=zone["id"]).result  # noqa: B018

    assert caught.value.body["errors"][0]["code"] == 10000
    assert list(other.zones.list()) == []


def test_added_token_is_accepted_until_reset(make_client, backend, zone):
    backend.add_token(OTHER_TOKEN, OTHER_ACCOUNT)
    assert list(make_client(OTHER_TOKEN).zones.list()) == []

    backend.reset()

    with pytest.raises(cloudflare.AuthenticationError):
        make_client(OTHER_TOKEN).zones.list()
