"""`sesame doctor`: the R2 token reaches the state bucket and nothing else.

Facts (developers.cloudflare.com/r2/api/tokens/):
- "Get S3 API credentials from an API token": an R2 token's S3 Access Key ID is the API
  token's ID (its Secret Access Key is the SHA-256 of the token value), so the token's
  details can be read by ID.
- "Create API tokens via API", Resources: one bucket is the resource
  `com.cloudflare.edge.r2.bucket.<ACCOUNT_ID>_<JURISDICTION>_<BUCKET_NAME>` (jurisdiction
  `default`, `eu` or `fedramp`); an `Account` resource (`com.cloudflare.api.account.<ID>`)
  covers every bucket of the account.
Token details: `GET /accounts/{account_id}/tokens/{token_id}` for an account token,
`GET /user/tokens/{token_id}` for a user token (Cloudflare API v4, "Token Details"); the
caller needs Account API Tokens Read / API Tokens Read. They return the token's
`policies`, never its value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import cloudflare

from sesame.checks.check import Check
from sesame.config import Config
from sesame.dns import zones
from sesame.errors import FatalError
from sesame.target import Target

BUCKET_RESOURCE = "com.cloudflare.edge.r2.bucket.{account}_{jurisdiction}_{bucket}"
JURISDICTIONS = ("default", "eu", "fedramp")
_ACCOUNT_RESOURCE = re.compile(r"^com\.cloudflare\.api\.account\.([0-9a-f]{32}|\*)$")


def bucket_resources(account_id: str, bucket: str) -> set[str]:
    """The resource names that mean exactly this bucket (one per jurisdiction)."""
    return {
        BUCKET_RESOURCE.format(account=account_id, jurisdiction=j, bucket=bucket)
        for j in JURISDICTIONS
    }


def _describe(resource: str, account_id: str) -> str:
    found = _ACCOUNT_RESOURCE.match(resource)
    if found:
        return "every bucket of the account" if found.group(1) != "*" else "every account"
    prefix = f"com.cloudflare.edge.r2.bucket.{account_id}_"
    if resource.startswith(prefix):
        return f"bucket {resource[len(prefix) :].partition('_')[2]}"
    return resource


def beyond_bucket(policies: list[Mapping[str, Any]], account_id: str, bucket: str) -> list[str]:
    """What the token's allow policies reach besides the bucket, in words (sorted)."""
    mine = bucket_resources(account_id, bucket)
    wider: set[str] = set()
    for policy in policies:
        if policy.get("effect") != "allow":
            continue
        for resource, scope in (policy.get("resources") or {}).items():
            if isinstance(scope, Mapping):  # nested: the outer resource narrowed by the inner
                wider |= {_describe(r, account_id) for r in scope if r not in mine}
            elif resource not in mine:
                wider.add(_describe(resource, account_id))
    return sorted(wider)


def _details(cf: cloudflare.Cloudflare, account_id: str, token_id: str) -> Any | None:
    """The token's details: account token first, then user token; None if neither."""
    try:
        return cf.accounts.tokens.get(token_id, account_id=account_id)
    except cloudflare.NotFoundError:
        pass
    try:
        return cf.user.tokens.get(token_id)
    except cloudflare.NotFoundError:
        return None


def r2_token_scope(config: Config, target: Target) -> Check:
    """The R2 token's policies allow the state bucket only (read with CLOUDFLARE_API_TOKEN)."""
    bucket, account_id = config.backend.bucket, config.backend.account_id
    token_id = target.secrets.get("R2_ACCESS_KEY_ID")
    try:
        cf = zones.client(target)
    except FatalError:
        return Check(
            "r2",
            "token scope",
            False,
            "no CLOUDFLARE_API_TOKEN to read the R2 token's policies with",
            "CLOUDFLARE_API_TOKEN is empty",
            "set it in secrets.yaml (`make secrets`), with Account API Tokens Read",
        )
    try:
        details = _details(cf, account_id, token_id)
    except (cloudflare.AuthenticationError, cloudflare.PermissionDeniedError) as exc:
        return Check(
            "r2",
            "token scope",
            False,
            f"Cloudflare refused to show the R2 token's policies ({exc.status_code})",
            "CLOUDFLARE_API_TOKEN cannot read API tokens",
            "add Account API Tokens Read (or API Tokens Read for a user token) to it",
        )
    if details is None:
        return Check(
            "r2",
            "token scope",
            False,
            f"no API token of account {account_id} or of the user has R2_ACCESS_KEY_ID's ID",
            "R2_ACCESS_KEY_ID is not an R2 API token's Access Key ID",
            "put the keys of an R2 API token (R2 > Manage API tokens) in secrets.yaml",
        )
    policies = [p.model_dump() for p in details.policies or []]
    wider = beyond_bucket(policies, account_id, bucket)
    if wider:
        return Check(
            "r2",
            "token scope",
            False,
            f"the R2 token also reaches {', '.join(wider)}",
            "the token is not scoped to the state bucket",
            f"make an R2 API token with Object Read & Write on {bucket} only",
        )
    return Check("r2", "token scope", True, f"the R2 token reaches bucket {bucket} only")
