"""HTTP surface: routes, error envelopes, regions, reset and pickling."""

from __future__ import annotations

import json
import pickle
import urllib.error
import urllib.request

import pytest

from sesame.sandbox.sesv2.models import SesV2Backend
from sesame.sandbox.sesv2.responses import OPERATIONS
from sesame.sandbox.sesv2.routes import ROUTES
from sesame.sandbox.sesv2.validation import service_model

ACCOUNT = "123456789012"


def _http(server, method: str, path: str, body: bytes | None = None):
    request = urllib.request.Request(f"{server.url}{path}", data=body, method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"{}")


def test_every_implemented_operation_is_routed_at_its_botocore_uri():
    routed = {(method, op) for methods in ROUTES.values() for method, op in methods.items()}
    for operation in OPERATIONS:
        http = service_model().operation_model(operation).http
        rule = http["requestUri"].split("?")[0].replace("{", "<").replace("}", ">")
        assert rule in ROUTES, operation
        assert ROUTES[rule].get(http["method"]) == operation
        assert (http["method"], operation) in routed


def test_not_found_error_has_header_status_and_json_body(server):
    status, headers, body = _http(server, "GET", "/v2/email/identities/missing.org")

    assert status == 404
    assert headers["X-Amzn-ErrorType"] == "NotFoundException"
    assert headers["Content-Type"] == "application/json"
    assert body["__type"] == "NotFoundException"
    assert "missing.org" in body["message"]


def test_unknown_route_is_a_json_404(server):
    status, headers, body = _http(server, "GET", "/v2/email/nothing-here")

    assert status == 404
    assert headers["X-Amzn-ErrorType"] == "UnknownOperationException"
    assert "message" in body


def test_wrong_method_is_a_json_405(server):
    status, headers, body = _http(server, "PATCH", "/v2/email/identities")

    assert status == 405
    assert headers["X-Amzn-ErrorType"] == "MethodNotAllowedException"
    assert "message" in body


def test_success_responses_are_json(server):
    status, headers, body = _http(server, "GET", "/v2/email/account")

    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body["EnforcementStatus"] == "HEALTHY"


def test_timestamps_are_json_numbers(server, client):
    client.create_email_identity(EmailIdentity="example.org")

    _, _, body = _http(server, "GET", "/v2/email/identities/example.org")

    assert isinstance(body["DkimAttributes"]["LastKeyGenerationTimestamp"], int | float)


def test_legacy_get_list_route_pages_from_query_string(server, client):
    for name in ("a.org", "b.org"):
        client.create_email_identity(EmailIdentity=name)

    status, _, body = _http(server, "GET", "/v2/email/identities?PageSize=1")

    assert status == 200
    assert [i["IdentityName"] for i in body["EmailIdentities"]] == ["a.org"]
    assert "NextToken" in body


def test_region_comes_from_the_signature_and_isolates_state(make_client, backend):
    eu = make_client("eu-west-1")
    us = make_client("us-east-1")

    eu.create_email_identity(EmailIdentity="example.org")

    with pytest.raises(us.exceptions.NotFoundException):
        us.get_email_identity(EmailIdentity="example.org")
    assert us.list_email_identities()["EmailIdentities"] == []
    assert backend.get_identity(ACCOUNT, "eu-west-1", "example.org") is not None
    assert backend.get_identity(ACCOUNT, "us-east-1", "example.org") is None
    arn = f"arn:aws:ses:eu-west-1:{ACCOUNT}:identity/example.org"
    assert us.list_tags_for_resource(ResourceArn=arn)["Tags"] == []


def test_sandbox_reset_endpoint_clears_state(server, client, backend):
    client.create_email_identity(EmailIdentity="example.org")

    status, _, _ = _http(server, "POST", "/_sandbox/reset")

    assert status == 200
    assert backend.state == {}
    assert client.list_email_identities()["EmailIdentities"] == []


def test_backend_pickle_round_trip_keeps_all_state(client, backend):
    client.create_configuration_set(
        ConfigurationSetName="cs1",
        SuppressionOptions={"SuppressedReasons": ["COMPLAINT", "BOUNCE"]},
        Tags=[{"Key": "a", "Value": "1"}],
    )
    client.create_email_identity(EmailIdentity="example.org", ConfigurationSetName="cs1")
    backend.dkim_status_resolver = lambda account, region, identity: "PENDING"

    restored = pickle.loads(pickle.dumps(backend))

    assert restored.state == backend.state
    assert restored.dkim_status_resolver is None  # unpicklable hooks are re-attached by owners
    original = backend.get_identity(ACCOUNT, "us-east-1", "example.org")
    copy = restored.get_identity(ACCOUNT, "us-east-1", "example.org")
    assert copy.dkim_tokens == original.dkim_tokens
    with restored.lock:  # a fresh lock after loading
        assert restored.get_email_identity(ACCOUNT, "us-east-1", email_identity="example.org")


def test_reset_keeps_constructor_settings():
    backend = SesV2Backend(account_id="111111111111", production_access=True)
    backend.create_configuration_set("111111111111", "us-east-1", configuration_set_name="cs1")

    backend.reset()

    assert backend.list_configuration_sets("111111111111", "us-east-1") == []
    assert backend.get_account("111111111111", "us-east-1")["ProductionAccessEnabled"] is True
