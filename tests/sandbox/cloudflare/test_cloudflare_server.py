"""HTTP surface: envelopes, content type, routes, reset and pickling."""

from __future__ import annotations

import json
import pickle
import urllib.error
import urllib.request

from sesame.sandbox.cloudflare.models import CloudflareBackend

ACCOUNT = "0123456789abcdef0123456789abcdef"
TOKEN = "sandbox-token-" + "a" * 40


def _http(server, method: str, path: str, token: str | None = TOKEN, body: bytes | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(
        f"{server.url}{path}", data=body, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_missing_authorization_is_401_with_code_10000(server, zone):
    status, headers, body = _http(server, "GET", "/client/v4/zones", token=None)

    assert status == 401
    assert headers["Content-Type"] == "application/json"
    assert body == {
        "success": False,
        "errors": [{"code": 10000, "message": "Authentication error"}],
        "messages": [],
        "result": None,
    }


def test_list_envelope_carries_result_info(server, zone):
    status, headers, body = _http(server, "GET", "/client/v4/zones?name=example.com")

    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    assert body["result_info"] == {
        "page": 1,
        "per_page": 20,
        "count": 1,
        "total_count": 1,
        "total_pages": 1,
    }


def test_unknown_route_is_a_json_404_with_code_7000(server):
    status, headers, body = _http(server, "GET", "/client/v4/nothing")

    assert status == 404 and headers["Content-Type"] == "application/json"
    assert body["errors"][0]["code"] == 7000


def test_wrong_method_is_a_json_405_with_code_7001(server, zone):
    status, _, body = _http(server, "DELETE", f"/client/v4/zones/{zone['id']}")

    assert status == 405 and body["errors"][0]["code"] == 7001


def test_invalid_json_body_is_a_400(server, zone):
    status, headers, body = _http(
        server, "POST", f"/client/v4/zones/{zone['id']}/dns_records", body=b"{nope"
    )

    assert status == 400 and headers["x-should-retry"] == "false"
    assert body["errors"][0]["code"] == 9207


def test_reset_endpoint_forgets_every_zone(server, backend, zone):
    status, _, body = _http(server, "POST", "/_sandbox/reset", token=None)

    assert status == 200 and body["success"] is True
    assert backend.zones(ACCOUNT) == []


def test_backend_pickles_with_zones_records_and_tokens(backend, zone):
    backend.create_dns_record(
        ACCOUNT, zone["id"], {"name": "a", "type": "A", "content": "192.0.2.1", "ttl": 1}
    )

    restored: CloudflareBackend = pickle.loads(pickle.dumps(backend))

    assert [r.name for r in restored.records(zone["id"])] == ["a.example.com"]
    assert restored.account_for_token(TOKEN) == ACCOUNT
    with restored.lock:
        assert restored.zones(ACCOUNT)[0].name == "example.com"
