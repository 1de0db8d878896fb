"""doctor's R2 token scope check, against the Cloudflare emulator's token details."""

from __future__ import annotations

from pathlib import Path

from sesame.checks.r2_scope import beyond_bucket, r2_token_scope
from sesame.config import Config
from sesame.sandbox import world
from sesame.target import workdir_for
from testing import domain, make_config

CFG = Config.model_validate(make_config(domain("scope.example")))
ACCOUNT = CFG.backend.account_id
BUCKET = CFG.backend.bucket
MINE = f"com.cloudflare.edge.r2.bucket.{ACCOUNT}_default_{BUCKET}"


def _allow(resources: dict) -> dict:
    return {"effect": "allow", "resources": resources, "permission_groups": []}


def test_only_the_state_bucket_in_any_jurisdiction_is_within_scope() -> None:
    eu = f"com.cloudflare.edge.r2.bucket.{ACCOUNT}_eu_{BUCKET}"
    assert beyond_bucket([_allow({MINE: "*"}), _allow({eu: "*"})], ACCOUNT, BUCKET) == []


def test_account_wide_other_buckets_and_nested_grants_are_named() -> None:
    other = f"com.cloudflare.edge.r2.bucket.{ACCOUNT}_default_photos"
    policies = [
        _allow({f"com.cloudflare.api.account.{ACCOUNT}": "*"}),
        _allow({other: "*", MINE: "*"}),
        _allow({f"com.cloudflare.api.account.{ACCOUNT}": {other: "*"}}),
        {"effect": "deny", "resources": {"com.cloudflare.api.account.*": "*"}},
    ]
    assert beyond_bucket(policies, ACCOUNT, BUCKET) == [
        "bucket photos",
        "every bucket of the account",
    ]


def test_doctor_reads_the_r2_tokens_policies_from_cloudflare(tmp_path: Path) -> None:
    with world.Sandbox(workdir_for(tmp_path, "sandbox"), CFG) as sb:
        target = sb.target(tmp_path)
        seeded = sb.cloudflare.api_tokens[sb.secrets.get("R2_ACCESS_KEY_ID")]
        scoped = r2_token_scope(CFG, target)
        seeded.policies[0]["resources"] = {f"com.cloudflare.api.account.{ACCOUNT}": "*"}
        widened = r2_token_scope(CFG, target)
        sb.cloudflare.token_readers.clear()
        unreadable = r2_token_scope(CFG, target)
        sb.cloudflare.api_tokens.clear()
        sb.cloudflare.token_readers[sb.secrets.get("CLOUDFLARE_API_TOKEN")] = {ACCOUNT, "user"}
        missing = r2_token_scope(CFG, target)
    assert scoped.ok, scoped.line()
    assert not widened.ok and "every bucket of the account" in widened.detail
    assert f"Object Read & Write on {BUCKET} only" in (widened.fix or "")
    assert not unreadable.ok and "(403)" in unreadable.detail
    assert "Account API Tokens Read" in (unreadable.fix or "")
    assert not missing.ok and "not an R2 API token" in (missing.cause or "")
