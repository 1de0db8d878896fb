"""One function per SES v2 operation: parse the request, call the backend, return JSON.

Parsing is driven by botocore's service model: each input member is read from the
location the model gives it (URI label, query string or JSON body), then the whole input
is validated against the model before the backend sees it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from botocore.model import Shape
from flask import Request, Response

from . import sending
from .exceptions import BadRequestException, SerializationException, SesV2Error
from .models import DEFAULT_REGION, SesV2Backend
from .validation import operation_model, validate

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
    body: dict[str, Any] = {}
    raw = request.get_data(cache=True)
    if raw.strip():
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise SerializationException("The request body is not valid JSON.") from exc
        if not isinstance(body, dict):
            raise SerializationException("The request body must be a JSON object.")
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


# ---- email identities ----------------------------------------------------------------


def create_email_identity(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    return backend.create_email_identity(account, region, **_kwargs(p))


def get_email_identity(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    return backend.get_email_identity(account, region, **_kwargs(p))


def list_email_identities(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    p.pop("Filter", None)
    return backend.list_email_identities(account, region, **_kwargs(p))


def delete_email_identity(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    return backend.delete_email_identity(account, region, **_kwargs(p))


def put_email_identity_configuration_set_attributes(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.put_email_identity_configuration_set_attributes(account, region, **_kwargs(p))


def put_email_identity_dkim_signing_attributes(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.put_email_identity_dkim_signing_attributes(account, region, **_kwargs(p))


def put_email_identity_dkim_attributes(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.put_email_identity_dkim_attributes(account, region, **_kwargs(p))


def put_email_identity_mail_from_attributes(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.put_email_identity_mail_from_attributes(account, region, **_kwargs(p))


# ---- configuration sets --------------------------------------------------------------


def create_configuration_set(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    return backend.create_configuration_set(account, region, **_kwargs(p))


def get_configuration_set(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    return backend.get_configuration_set(account, region, **_kwargs(p))


def list_configuration_sets(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    p.pop("Filter", None)
    return backend.list_configuration_sets_page(account, region, **_kwargs(p))


def delete_configuration_set(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    return backend.delete_configuration_set(account, region, **_kwargs(p))


def put_configuration_set_delivery_options(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.put_configuration_set_delivery_options(account, region, **_kwargs(p))


def put_configuration_set_reputation_options(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.put_configuration_set_reputation_options(account, region, **_kwargs(p))


def put_configuration_set_sending_options(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.put_configuration_set_sending_options(account, region, **_kwargs(p))


def put_configuration_set_suppression_options(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.put_configuration_set_suppression_options(account, region, **_kwargs(p))


def put_configuration_set_tracking_options(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.put_configuration_set_tracking_options(account, region, **_kwargs(p))


def put_configuration_set_vdm_options(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.put_configuration_set_vdm_options(account, region, **_kwargs(p))


# ---- event destinations --------------------------------------------------------------


def create_configuration_set_event_destination(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.create_configuration_set_event_destination(account, region, **_kwargs(p))


def get_configuration_set_event_destinations(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.get_configuration_set_event_destinations(account, region, **_kwargs(p))


def update_configuration_set_event_destination(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.update_configuration_set_event_destination(account, region, **_kwargs(p))


def delete_configuration_set_event_destination(
    backend: SesV2Backend, account: str, region: str, p: dict
) -> dict:
    return backend.delete_configuration_set_event_destination(account, region, **_kwargs(p))


# ---- tags and account ----------------------------------------------------------------


def tag_resource(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    return backend.tag_resource(account, region, **_kwargs(p))


def untag_resource(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    return backend.untag_resource(account, region, **_kwargs(p))


def list_tags_for_resource(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    return backend.list_tags_for_resource(account, region, **_kwargs(p))


def get_account(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    return backend.get_account(account, region)


def put_account_details(backend: SesV2Backend, account: str, region: str, p: dict) -> dict:
    kwargs = _kwargs(p)
    kwargs["website_url"] = kwargs.pop("website_u_r_l")
    return backend.put_account_details(account, region, **kwargs)


OPERATIONS: dict[str, Handler] = {
    "CreateEmailIdentity": create_email_identity,
    "GetEmailIdentity": get_email_identity,
    "ListEmailIdentities": list_email_identities,
    "DeleteEmailIdentity": delete_email_identity,
    "PutEmailIdentityConfigurationSetAttributes": put_email_identity_configuration_set_attributes,
    "PutEmailIdentityDkimSigningAttributes": put_email_identity_dkim_signing_attributes,
    "PutEmailIdentityDkimAttributes": put_email_identity_dkim_attributes,
    "PutEmailIdentityMailFromAttributes": put_email_identity_mail_from_attributes,
    "CreateConfigurationSet": create_configuration_set,
    "GetConfigurationSet": get_configuration_set,
    "ListConfigurationSets": list_configuration_sets,
    "DeleteConfigurationSet": delete_configuration_set,
    "PutConfigurationSetDeliveryOptions": put_configuration_set_delivery_options,
    "PutConfigurationSetReputationOptions": put_configuration_set_reputation_options,
    "PutConfigurationSetSendingOptions": put_configuration_set_sending_options,
    "PutConfigurationSetSuppressionOptions": put_configuration_set_suppression_options,
    "PutConfigurationSetTrackingOptions": put_configuration_set_tracking_options,
    "PutConfigurationSetVdmOptions": put_configuration_set_vdm_options,
    "CreateConfigurationSetEventDestination": create_configuration_set_event_destination,
    "GetConfigurationSetEventDestinations": get_configuration_set_event_destinations,
    "UpdateConfigurationSetEventDestination": update_configuration_set_event_destination,
    "DeleteConfigurationSetEventDestination": delete_configuration_set_event_destination,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "GetAccount": get_account,
    "PutAccountDetails": put_account_details,
}


def dispatch(
    backend: SesV2Backend, operation: str, request: Request, labels: dict[str, str]
) -> Response:
    try:
        params = parse_params(operation, request, labels)
        region = region_from_request(request)
        if operation == "SendEmail":  # the one call the emulator authenticates (sending.py)
            principal = sending.caller(request, backend.account_id)
            with backend.lock:
                payload = sending.send_email(backend, backend.account_id, region, principal, params)
            return json_response(payload)
        with backend.lock:
            payload = OPERATIONS[operation](backend, backend.account_id, region, params)
    except SesV2Error as error:
        return error_response(error)
    except TypeError as error:  # a model member the backend does not take
        if "unexpected keyword argument" not in str(error):
            raise
        return error_response(BadRequestException(f"Unsupported request member: {error}"))
    return json_response(payload)
