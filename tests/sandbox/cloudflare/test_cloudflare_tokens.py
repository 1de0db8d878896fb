"""API token details: read by ID with (Account) API Tokens Read, as Cloudflare answers."""

from __future__ import annotations

import cloudflare
import pytest

from sesame.sandbox.cloudflare.models import ApiToken

ACCOUNT = "0123456789abcdef0123456789abcdef"  # the conftest backend's token's account
TOKEN = "sandbox-token-" + "a" * 40
OTHER_TOKEN = "sandbox-token-" + "b" * 40

R2_TOKEN_ID = "3c1f5bd2e6a84e7f9d0c2b4a6e8f0a1b"
POLICY = {
    "id": "f267e341f3dd4697bd3b9f71dd96247f",
    "effect": "allow",
    "permission_groups": [
        {"id": "2efd5506f9c8494dacb1fa10a3e7d5b6", "name": "Workers R2 Storage Bucket Item Write"}
    ],
    "resources": {f"com.cloudflare.edge.r2.bucket.{ACCOUNT}_default_state": "*"},
}


def test_an_account_token_reads_back_with_its_policies_and_no_value(client, backend) -> None:
    backend.add_api_token(ApiToken(R2_TOKEN_ID, "state", [POLICY], ACCOUNT), {TOKEN: ACCOUNT})
    got = client.accounts.tokens.get(R2_TOKEN_ID, account_id=ACCOUNT)
    assert got.id == R2_TOKEN_ID and got.status == "active"
    [policy] = got.policies
    assert policy.resources == POLICY["resources"]
    assert policy.permission_groups[0].name == "Workers R2 Storage Bucket Item Write"
    assert "value" not in got.model_dump(exclude_none=True)


def test_a_user_token_is_not_found_under_the_account_and_found_under_the_user(
    client, backend
) -> None:
    backend.add_api_token(ApiToken(R2_TOKEN_ID, "mine", [POLICY]), {TOKEN: ACCOUNT})
    backend.add_api_token(ApiToken(R2_TOKEN_ID, "mine", [POLICY]), {TOKEN: "user"})
    with pytest.raises(cloudflare.NotFoundError):
        client.accounts.tokens.get(R2_TOKEN_ID, account_id=ACCOUNT)
    assert client.user.tokens.get(R2_TOKEN_ID).name == "mine"


def test_a_caller_without_tokens_read_is_refused_with_403(make_client, backend) -> None:
    backend.add_token(OTHER_TOKEN, ACCOUNT)
    backend.add_api_token(ApiToken(R2_TOKEN_ID, "state", [POLICY], ACCOUNT), {TOKEN: ACCOUNT})
    with pytest.raises(cloudflare.PermissionDeniedError) as caught:
        make_client(OTHER_TOKEN).accounts.tokens.get(R2_TOKEN_ID, account_id=ACCOUNT)
    assert caught.value.body["errors"][0]["code"] == 9109


def test_verify_answers_for_the_callers_own_token(client) -> None:
    got = client.user.tokens.verify()
    assert got.status == "active" and len(got.id) == 32
