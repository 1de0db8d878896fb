"""Every AWS API call the stand-ins answer, as (IAM service prefix, action).

The sandbox logs them so `sesame admin-policy` can be checked against what a real apply
and destroy actually call.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
# SigV4 signing names -> IAM action prefixes
_PREFIX = {"monitoring": "cloudwatch", "email": "ses", "ses": "ses"}

Classifier = Callable[[dict[str, Any], bytes], tuple[str, str] | None]


class CallLog:
    def __init__(self) -> None:
        self._calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def add(self, service: str, action: str) -> None:
        with self._lock:
            self._calls.append((service, action))

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def calls(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._calls)


def query_protocol(environ: dict[str, Any], body: bytes) -> tuple[str, str] | None:
    """IAM, STS, SNS, CloudWatch: service from the signature scope, Action from the form."""
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    action = parse_qs(body.decode(errors="replace")).get("Action", [None])[0]
    if scope is None or action is None:
        return None
    return _PREFIX.get(scope.group(1), scope.group(1)), action


class Recording:
    """WSGI middleware: classify each request, log it, pass it on unchanged."""

    def __init__(self, app: Any, log: CallLog, classify: Classifier) -> None:
        self.app, self.log, self.classify = app, log, classify

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        found = self.classify(environ, body)
        if found:
            self.log.add(*found)
        return self.app(environ, start_response)
