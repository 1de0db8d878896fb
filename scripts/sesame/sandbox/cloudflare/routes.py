"""URL rules for the Cloudflare emulator: method + path -> operation (moto's urls.py shape).

Served under `/client/v4`, so a client's base URL is `http://127.0.0.1:PORT/client/v4`.
"""

from __future__ import annotations

from functools import partial

from flask import Flask, request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound as WerkzeugNotFound

from ..server import add_routes
from .exceptions import CloudflareError, MethodNotAllowed, NoRoute
from .models import CloudflareBackend
from .responses import dispatch, envelope, error_response, json_response

PREFIX = "/client/v4"
_ZONE = f"{PREFIX}/zones/<zone_id>"

# path rule -> {HTTP method: operation}
ROUTES: dict[str, dict[str, str]] = {
    f"{PREFIX}/user/tokens/verify": {"GET": "VerifyToken"},
    f"{PREFIX}/user/tokens/<token_id>": {"GET": "GetUserToken"},
    f"{PREFIX}/accounts/<account_id>/tokens/<token_id>": {"GET": "GetAccountToken"},
    f"{PREFIX}/zones": {"GET": "ListZones"},
    _ZONE: {"GET": "GetZone"},
    f"{_ZONE}/dns_records": {"GET": "ListDnsRecords", "POST": "CreateDnsRecord"},
    f"{_ZONE}/dns_records/<dns_record_id>": {
        "GET": "GetDnsRecord",
        "PUT": "UpdateDnsRecord",
        "PATCH": "EditDnsRecord",
        "DELETE": "DeleteDnsRecord",
    },
}


def create_app(backend: CloudflareBackend) -> Flask:
    app = Flask("sesame.sandbox.cloudflare")
    app.extensions["cloudflare_backend"] = backend

    add_routes(app, ROUTES, partial(dispatch, backend), strict_slashes=False)

    @app.post("/_sandbox/reset")
    def reset():
        backend.reset()
        return json_response(envelope({}))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        mapped: CloudflareError
        if isinstance(error, WerkzeugMethodNotAllowed):
            mapped = MethodNotAllowed(f"Method {request.method} not available for that URI.")
        elif isinstance(error, WerkzeugNotFound):
            mapped = NoRoute()
        else:
            mapped = CloudflareError(error.description or str(error))
            mapped.status = error.code or 400
        return error_response(mapped)

    return app
