"""Cloudflare API v4 errors: one tiny class per error code (moto's JsonRESTError shape).

Each serialises as Cloudflare's envelope
`{"success": false, "errors": [{"code": N, "message": ...}], "messages": [], "result": null}`
with `Content-Type: application/json` and `x-should-retry: false`, so neither the Go SDK of
the Terraform provider nor the Python SDK retries a business error. Business errors are
never 409 or 5xx (both SDKs would retry those): validation and conflicts are 400.

Codes seen from the real API (issue threads, SDK docs): 10000, 9109, 6003/6111, 7000,
7001, 7003, 81044, 81053, 81054, 81058. The DNS validation codes (90xx/91xx) follow the
real API's numbering where known and are otherwise this emulator's choice; clients
should match on HTTP status and on the codes above, not on exact 90xx numbers.
"""

from __future__ import annotations

import json
from typing import Any


class CloudflareError(Exception):
    code = 1000
    status = 400
    default_message = "Bad request"

    def __init__(self, message: str | None = None, chain: list[dict[str, Any]] | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)
        self.chain = chain

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "x-should-retry": "false"}

    @property
    def body(self) -> str:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.chain:
            error["error_chain"] = self.chain
        return json.dumps({"success": False, "errors": [error], "messages": [], "result": None})


# ---- authentication ------------------------------------------------------------------


class AuthenticationError(CloudflareError):
    """No credentials at all, or a token that may not touch this zone."""

    code = 10000
    status = 401
    default_message = "Authentication error"


class ZoneAccessDenied(AuthenticationError):
    """The token is valid but the zone belongs to another account."""

    status = 403


class TokenReadDenied(CloudflareError):
    """The caller's token lacks API Tokens Read (user) / Account API Tokens Read."""

    code = 9109
    status = 403
    default_message = "Unauthorized to access requested resource"


class TokenNotFound(CloudflareError):
    code = 1003
    status = 404
    default_message = "Invalid token ID"


class InvalidAccessToken(CloudflareError):
    code = 9109
    status = 401
    default_message = "Invalid access token"


class InvalidRequestHeaders(CloudflareError):
    """An Authorization header that is not `Bearer <token>`."""

    code = 6003
    status = 400
    default_message = "Invalid request headers"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message, chain=[{"code": 6111, "message": "Invalid format for Authorization header"}]
        )


# ---- routing -------------------------------------------------------------------------


class NoRoute(CloudflareError):
    code = 7000
    status = 404
    default_message = "No route for that URI"


class MethodNotAllowed(CloudflareError):
    code = 7001
    status = 405
    default_message = "Method not allowed for that URI"


class ZoneNotFound(CloudflareError):
    code = 7003
    status = 404

    def __init__(self, zone_id: str) -> None:
        super().__init__(
            f"Could not route to /zones/{zone_id}, perhaps your object identifier is invalid?"
        )


class RecordNotFound(CloudflareError):
    code = 81044
    status = 404
    default_message = "Record does not exist."


# ---- request shape -------------------------------------------------------------------


class InvalidRequestBody(CloudflareError):
    code = 9207
    default_message = "Request body is invalid."


class InvalidQuery(CloudflareError):
    code = 1001
    default_message = "Invalid query parameter"


class ZoneAlreadyExists(CloudflareError):
    code = 1061


# ---- DNS record validation -----------------------------------------------------------


class InvalidRecordName(CloudflareError):
    code = 9000
    default_message = "DNS name is invalid."


class RecordNameOutsideZone(CloudflareError):
    code = 9001
    default_message = "DNS record name must be within the zone."


class MissingRecordField(CloudflareError):
    code = 9002


class ProxyNotAllowed(CloudflareError):
    code = 9004
    default_message = "This record type cannot be proxied."


class InvalidAContent(CloudflareError):
    code = 9005
    default_message = "Content for A record must be a valid IPv4 address."


class InvalidAAAAContent(CloudflareError):
    code = 9006
    default_message = "Content for AAAA record must be a valid IPv6 address."


class InvalidHostnameContent(CloudflareError):
    code = 9007


class UnsupportedRecordType(CloudflareError):
    code = 9008


class ContentTooLong(CloudflareError):
    code = 9009


class InvalidTTL(CloudflareError):
    code = 9021
    default_message = "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic."


class ProxiedTTL(CloudflareError):
    code = 9022
    default_message = "A proxied record must have TTL 1 (automatic)."


class InvalidPriority(CloudflareError):
    code = 9100
    default_message = "MX records require a priority between 0 and 65535."


class InvalidFieldType(CloudflareError):
    code = 9101


class HostAlreadyExists(CloudflareError):
    """A CNAME where an A/AAAA/CNAME (or any other record) already has that name."""

    code = 81053
    default_message = "An A, AAAA, or CNAME record with that host already exists."


class CnameAlreadyExists(CloudflareError):
    """Any other record where a CNAME already has that name."""

    code = 81054
    default_message = "A CNAME record with that host already exists."


class IdenticalRecordExists(CloudflareError):
    code = 81058
    default_message = "An identical record already exists."
