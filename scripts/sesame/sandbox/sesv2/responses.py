"""One function per SES v2 operation: parse the request, call the backend, return JSON.

Parsing is driven by botocore's service model: each input member is read from the
location the model gives it (URI label, query string or JSON body), then the whole input
is validated against the model before the backend sees it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.model import Shape
from flask import Request, Response

from ..server import json_object
from . import access, sending
from .exceptions import BadRequestException, SerializationException, SesV2Error
from .models import DEFAULT_REGION, SesV2Backend
from .throttle import Throttle
from .validation import operation_model, validate

if TYPE_CHECKING:  # authorization imports this package
    from ..authorization import Enforcement

_CREDENTIAL_RE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/")


def region_from_request(request: Request) -> str:
    """The region of the SigV4 credential scope; us-east-1 when unsigned."""
    match = _CREDENTIAL_RE.search(request.headers.get("Authorization", ""))
    return match.group(1) if match else DEFAULT_REGION


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _kwargs(params: dict[str, Any]) -> dict[str, Any]:
    return {_snake(k): v for k, v in params.items() if v is not None}


def _from_text(shape: Shape, name: str, raw: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError as exc:
            raise SerializationException(f"{name} must be a number, got '{raw}'.") from exc
    if kind == "boolean":
        return raw.lower() == "true"
    return raw


def parse_params(operation: str, request: Request, labels: dict[str, str]) -> dict[str, Any]:
    shape = operation_model(operation).input_shape
    if shape is None:
        return {}
    said = ("The request body is not valid JSON.", "The request body must be a JSON object.")
    body = json_object(request.get_data(cache=True), SerializationException, said)
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in labels:
                params[name] = labels[wire]
        elif location == "querystring":
            if wire in request.args:
                if member.type_name == "list":
                    params[name] = request.args.getlist(wire)
                else:
                    params[name] = _from_text(member, wire, request.args[wire])
        elif location is None:
            if name in body:
                params[name] = body[name]
            elif request.method == "GET" and name in request.args:
                # older models put List* paging members in the query string
                params[name] = _from_text(member, name, request.args[name])
    validate(operation, params)
    return params


def json_response(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def error_response(error: SesV2Error) -> Response:
    return Response(error.body, status=error.status, headers=error.headers)


Handler = Callable[[SesV2Backend, str, str, dict[str, Any]], dict[str, Any]]


def _forward(method: str) -> Handler:
    """The handler of an operation whose input maps one to one onto the backend method."""

    def handler(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
        return getattr(backend, method)(account, region, **_kwargs(p))

    handler.__name__ = method
    return handler


def list_email_identities(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    p.pop("Filter", None)
    return backend.list_email_identities(account, region, **_kwargs(p))


def list_configuration_sets(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    p.pop("Filter", None)
    return backend.list_configuration_sets_page(account, region, **_kwargs(p))


def get_account(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    return backend.get_account(account, region)


def put_account_details(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    kwargs = _kwargs(p)
    kwargs["website_url"] = kwargs.pop("website_u_r_l")
    return backend.put_account_details(account, region, **kwargs)


# Every operation the emulator serves; those not named in OWN_HANDLERS forward as they are.
SERVED = (
    # email identities
    "CreateEmailIdentity",
    "GetEmailIdentity",
    "ListEmailIdentities",
    "DeleteEmailIdentity",
    "PutEmailIdentityConfigurationSetAttributes",
    "PutEmailIdentityDkimSigningAttributes",
    "PutEmailIdentityDkimAttributes",
    "PutEmailIdentityMailFromAttributes",
    # configuration sets
    "CreateConfigurationSet",
    "GetConfigurationSet",
    "ListConfigurationSets",
    "DeleteConfigurationSet",
    "PutConfigurationSetDeliveryOptions",
    "PutConfigurationSetReputationOptions",
    "PutConfigurationSetSendingOptions",
    "PutConfigurationSetSuppressionOptions",
    "PutConfigurationSetTrackingOptions",
    "PutConfigurationSetVdmOptions",
    # event destinations
    "CreateConfigurationSetEventDestination",
    "GetConfigurationSetEventDestinations",
    "UpdateConfigurationSetEventDestination",
    "DeleteConfigurationSetEventDestination",
    # tags and account
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "GetAccount",
    "PutAccountDetails",
    "ListSuppressedDestinations",
)
OWN_HANDLERS: dict[str, Handler] = {
    "ListEmailIdentities": list_email_identities,
    "ListConfigurationSets": list_configuration_sets,
    "GetAccount": get_account,
    "PutAccountDetails": put_account_details,
}
OPERATIONS: dict[str, Handler] = {op: OWN_HANDLERS.get(op) or _forward(_snake(op)) for op in SERVED}


def dispatch(
    backend: SesV2Backend,
    throttle: Throttle | None,
    enforcement: Enforcement | None,
    operation: str,
    request: Request,
    labels: dict[str, str],
) -> Response:
    """`enforcement`: check every caller's IAM policies (the sandbox); None: SendEmail only."""
    try:
        if throttle is not None:  # AWS throttles before it reads the request
            throttle.take(backend.account_id, operation)
        params = parse_params(operation, request, labels)
        region = region_from_request(request)
        if operation == "SendEmail":  # the one call the emulator authenticates (sending.py)
            principal = sending.caller(request, backend.account_id)
            with backend.lock:
                payload = sending.send_email(backend, backend.account_id, region, principal, params)
            return json_response(payload)
        if enforcement is not None:
            access.check(enforcement, request, operation, region, params)
        with backend.lock:
            payload = OPERATIONS[operation](backend, backend.account_id, region, params)
    except SesV2Error as error:
        return error_response(error)
    except TypeError as error:  # a model member the backend does not take
        if "unexpected keyword argument" not in str(error):
            raise
        return error_response(BadRequestException(f"Unsupported request member: {error}"))
    return json_response(payload)
