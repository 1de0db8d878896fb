"""R2's stand-in: moto's S3 behind a gate that, like R2, accepts only R2's own access key.

moto accepts any key, so without the gate a state backend given AWS's keys (or a doctor
check of "R2 refuses AWS's keys") would pass in the sandbox and fail in production.
Requests signed with R2_ACCESS_KEY_ID are forwarded to moto unchanged; others get R2's
403 InvalidAccessKeyId.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_HOP_BY_HOP = {"connection", "transfer-encoding", "content-encoding", "keep-alive"}
_DENIED = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code>'
    "<Message>The AWS Access Key Id you provided does not exist in our records.</Message>"
    "</Error>"
)


class R2Gate:
    """WSGI app: check the SigV4 key ID, then proxy to `upstream` (moto)."""

    def __init__(self, upstream: str, access_key_id: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.access_key_id = access_key_id
        self.session = requests.Session()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        found = _CREDENTIAL.search(request.headers.get("Authorization", ""))
        key = found.group(1) if found else request.args.get("X-Amz-Credential", "").split("/")[0]
        if key != self.access_key_id:
            return Response(_DENIED, status=403, content_type="application/xml")(
                environ, start_response
            )
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        query = request.query_string.decode()
        upstream = self.session.request(
            request.method,
            self.upstream + request.path + (f"?{query}" if query else ""),
            headers=headers,
            data=request.get_data(),
            allow_redirects=False,
            timeout=30,
        )
        out = [(k, v) for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP]
        return Response(upstream.content, status=upstream.status_code, headers=out)(
            environ, start_response
        )
