"""One function per Cloudflare API operation: parse the request, call the backend, return JSON.

Every request is authenticated first: `Authorization: Bearer <token>` names the account
the caller acts for (the backend's `tokens` map), like an API token scoped to one account.
Then it is counted against the global rate limit (ratelimit.py), whose headers every
answer carries.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Request, Response

from ..server import json_object
from .exceptions import (
    AuthenticationError,
    CloudflareError,
    InvalidAccessToken,
    InvalidQuery,
    InvalidRequestBody,
    InvalidRequestHeaders,
)
from .models import CloudflareBackend

# list query members that are paging or options, not record filters
_NOT_FILTERS = ("page", "per_page", "include_shadow_metadata", "tag_match")


def json_response(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def envelope(result: Any, result_info: dict[str, int] | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        payload["result_info"] = result_info
    return payload


def error_response(error: CloudflareError) -> Response:
    return Response(error.body, status=error.status, headers=error.headers)


def account_from_request(backend: CloudflareBackend, request: Request) -> str:
    header = request.headers.get("Authorization")
    if header is None:
        raise AuthenticationError()
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise InvalidRequestHeaders()
    account = backend.account_for_token(token)
    if account is None:
        raise InvalidAccessToken()
    return account


def _body(request: Request) -> dict[str, Any]:
    said = ("Request body is invalid JSON.", "Request body must be a JSON object.")
    return json_object(request.get_data(cache=True), InvalidRequestBody, said)


def _int_arg(request: Request, name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(float(raw))
    except ValueError as exc:
        raise InvalidQuery(f"{name} must be a number, got '{raw}'.") from exc


def _paging(request: Request) -> dict[str, int]:
    paging = {"page": _int_arg(request, "page") or 1}
    per_page = _int_arg(request, "per_page")
    if per_page is not None:
        paging["per_page"] = per_page
    return paging


Handler = Callable[[CloudflareBackend, str, Request, dict[str, str]], dict[str, Any]]


# ---- zones ---------------------------------------------------------------------------


def list_zones(backend: CloudflareBackend, account: str, request: Request, labels: dict) -> dict:
    result, info = backend.list_zones(
        account,
        name=request.args.get("name"),
        status=request.args.get("status"),
        filter_account_id=request.args.get("account.id"),
        **_paging(request),
    )
    return envelope(result, info)


def get_zone(backend: CloudflareBackend, account: str, request: Request, labels: dict) -> dict:
    return envelope(backend.get_zone(account, labels["zone_id"]))


# ---- DNS records ---------------------------------------------------------------------


def list_dns_records(
    backend: CloudflareBackend, account: str, request: Request, labels: dict
) -> dict:
    filters = {k: v for k, v in request.args.items() if k not in _NOT_FILTERS}
    result, info = backend.list_dns_records(account, labels["zone_id"], filters, **_paging(request))
    return envelope(result, info)


def create_dns_record(
    backend: CloudflareBackend, account: str, request: Request, labels: dict
) -> dict:
    return envelope(backend.create_dns_record(account, labels["zone_id"], _body(request)))


def get_dns_record(
    backend: CloudflareBackend, account: str, request: Request, labels: dict
) -> dict:
    return envelope(backend.get_dns_record(account, labels["zone_id"], labels["dns_record_id"]))


def update_dns_record(
    backend: CloudflareBackend, account: str, request: Request, labels: dict
) -> dict:
    return envelope(
        backend.update_dns_record(
            account, labels["zone_id"], labels["dns_record_id"], _body(request)
        )
    )


def edit_dns_record(
    backend: CloudflareBackend, account: str, request: Request, labels: dict
) -> dict:
    return envelope(
        backend.edit_dns_record(account, labels["zone_id"], labels["dns_record_id"], _body(request))
    )


def delete_dns_record(
    backend: CloudflareBackend, account: str, request: Request, labels: dict
) -> dict:
    return envelope(backend.delete_dns_record(account, labels["zone_id"], labels["dns_record_id"]))


# ---- API tokens ----------------------------------------------------------------------


def _bearer(request: Request) -> str:
    return request.headers.get("Authorization", "").strip().partition(" ")[2].strip()


def verify_token(backend: CloudflareBackend, account: str, request: Request, labels: dict) -> dict:
    return envelope(backend.verify_token(_bearer(request)))


def get_user_token(
    backend: CloudflareBackend, account: str, request: Request, labels: dict
) -> dict:
    return envelope(backend.get_token(_bearer(request), "user", labels["token_id"]))


def get_account_token(
    backend: CloudflareBackend, account: str, request: Request, labels: dict
) -> dict:
    return envelope(backend.get_token(_bearer(request), labels["account_id"], labels["token_id"]))


OPERATIONS: dict[str, Handler] = {
    "VerifyToken": verify_token,
    "GetUserToken": get_user_token,
    "GetAccountToken": get_account_token,
    "ListZones": list_zones,
    "GetZone": get_zone,
    "ListDnsRecords": list_dns_records,
    "CreateDnsRecord": create_dns_record,
    "GetDnsRecord": get_dns_record,
    "UpdateDnsRecord": update_dns_record,
    "EditDnsRecord": edit_dns_record,
    "DeleteDnsRecord": delete_dns_record,
}


def dispatch(
    backend: CloudflareBackend, operation: str, request: Request, labels: dict[str, str]
) -> Response:
    limited: dict[str, str] = {}
    try:
        with backend.lock:
            account = account_from_request(backend, request)
            limited = backend.count_call(_bearer(request))
            payload = OPERATIONS[operation](backend, account, request, labels)
    except CloudflareError as error:
        answer = error_response(error)
        for name, value in limited.items():
            answer.headers.setdefault(name, value)
        return answer
    answer = json_response(payload)
    answer.headers.update(limited)
    return answer
