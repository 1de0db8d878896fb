"""URL rules for the SES v2 emulator: method + path -> operation (moto's urls.py shape)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from flask import Flask, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from ..server import add_routes
from .exceptions import MethodNotAllowedException, SesV2Error, UnknownOperationException
from .models import SesV2Backend
from .responses import dispatch, error_response, json_response
from .throttle import Throttle

if TYPE_CHECKING:  # authorization imports this package
    from ..authorization import Enforcement

_IDENTITY = "/v2/email/identities/<EmailIdentity>"
_SET = "/v2/email/configuration-sets/<ConfigurationSetName>"

# path rule -> {HTTP method: operation}. The List* GET rules serve older SDKs.
ROUTES: dict[str, dict[str, str]] = {
    "/v2/email/identities": {"POST": "CreateEmailIdentity", "GET": "ListEmailIdentities"},
    "/v2/email/list-identities": {"POST": "ListEmailIdentities"},
    _IDENTITY: {"GET": "GetEmailIdentity", "DELETE": "DeleteEmailIdentity"},
    f"{_IDENTITY}/configuration-set": {"PUT": "PutEmailIdentityConfigurationSetAttributes"},
    f"{_IDENTITY}/dkim": {"PUT": "PutEmailIdentityDkimAttributes"},
    f"{_IDENTITY}/dkim/signing": {"PUT": "PutEmailIdentityDkimSigningAttributes"},
    # The AWS API reference (and the Go SDK inside the Terraform AWS provider) use /v1 for
    # this one operation; botocore uses /v2. SES answers both.
    "/v1/email/identities/<EmailIdentity>/dkim/signing": {
        "PUT": "PutEmailIdentityDkimSigningAttributes"
    },
    f"{_IDENTITY}/mail-from": {"PUT": "PutEmailIdentityMailFromAttributes"},
    "/v2/email/configuration-sets": {
        "POST": "CreateConfigurationSet",
        "GET": "ListConfigurationSets",
    },
    "/v2/email/list-configuration-sets": {"POST": "ListConfigurationSets"},
    _SET: {"GET": "GetConfigurationSet", "DELETE": "DeleteConfigurationSet"},
    f"{_SET}/delivery-options": {"PUT": "PutConfigurationSetDeliveryOptions"},
    f"{_SET}/reputation-options": {"PUT": "PutConfigurationSetReputationOptions"},
    f"{_SET}/sending": {"PUT": "PutConfigurationSetSendingOptions"},
    f"{_SET}/suppression-options": {"PUT": "PutConfigurationSetSuppressionOptions"},
    f"{_SET}/tracking-options": {"PUT": "PutConfigurationSetTrackingOptions"},
    f"{_SET}/vdm-options": {"PUT": "PutConfigurationSetVdmOptions"},
    f"{_SET}/event-destinations": {
        "POST": "CreateConfigurationSetEventDestination",
        "GET": "GetConfigurationSetEventDestinations",
    },
    f"{_SET}/event-destinations/<EventDestinationName>": {
        "PUT": "UpdateConfigurationSetEventDestination",
        "DELETE": "DeleteConfigurationSetEventDestination",
    },
    "/v2/email/tags": {
        "POST": "TagResource",
        "DELETE": "UntagResource",
        "GET": "ListTagsForResource",
    },
    "/v2/email/account": {"GET": "GetAccount"},
    "/v2/email/outbound-emails": {"POST": "SendEmail"},
    "/v2/email/account/details": {"POST": "PutAccountDetails"},
    "/v2/email/suppression/addresses": {"GET": "ListSuppressedDestinations"},
}


def create_app(
    backend: SesV2Backend,
    throttle: Throttle | None = None,
    enforcement: Enforcement | None = None,
) -> Flask:
    """The emulator's app; with `throttle`, calls past its rates get 429; with
    `enforcement`, calls the caller's IAM policies do not allow get 403 (access.py)."""
    app = Flask("sesame.sandbox.sesv2")
    app.extensions["sesv2_backend"] = backend

    add_routes(app, ROUTES, partial(dispatch, backend, throttle, enforcement))

    @app.post("/_sandbox/reset")
    def reset():
        backend.reset()
        return json_response({})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        mapped: SesV2Error
        if isinstance(error, MethodNotAllowed):
            mapped = MethodNotAllowedException(
                f"Method {request.method} is not allowed on {request.path}."
            )
        elif isinstance(error, NotFound):
            mapped = UnknownOperationException(f"No operation matches {request.path}.")
        else:
            mapped = SesV2Error(error.description or str(error))
            mapped.status = error.code or 400
        return error_response(mapped)

    return app


def operation_for(method: str, path: str) -> str | None:
    """The SES v2 operation a request is for (the sandbox's call log uses it)."""
    adapter = _OPERATION_MAP.bind("sandbox.invalid")
    try:
        endpoint, _ = adapter.match(path, method=method)
    except HTTPException:
        return None
    return ROUTES[endpoint].get(method)


_OPERATION_MAP = Map([Rule(rule, endpoint=rule, methods=list(m)) for rule, m in ROUTES.items()])
