"""Every AWS API call the stand-ins answer, as (IAM service prefix, action).

The sandbox logs them so `sesame admin-policy` can be checked against what a real apply
and destroy actually call.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class AwsCall:
    """One signed request to moto, as IAM names it."""

    service: str  # the IAM action prefix: iam, sts, sns, cloudwatch, ssm
    action: str  # CreateUser
    params: dict[str, Any]  # query protocol: {name: [values]}; JSON protocol: the body
    json: bool  # the JSON protocol (X-Amz-Target), else the query protocol


def aws_call(environ: dict[str, Any], body: bytes) -> AwsCall | None:
    """The call a request to moto makes: service from the signature scope, the action from
    the form's Action (IAM, STS, SNS, CloudWatch) or from X-Amz-Target (SSM's JSON); None
    for S3 (REST, no action field) and unsigned requests."""
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if scope is None:
        return None
    service = _PREFIX.get(scope.group(1), scope.group(1))
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return AwsCall(service, target.rpartition(".")[2], params, True)
    form = parse_qs(body.decode(errors="replace")) or parse_qs(environ.get("QUERY_STRING", ""))
    action = form.get("Action", [None])[0]
    return AwsCall(service, action, form, False) if action else None


def query_protocol(environ: dict[str, Any], body: bytes) -> tuple[str, str] | None:
    """IAM, STS, SNS, CloudWatch, SSM: (IAM service prefix, action)."""
    call = aws_call(environ, body)
    return (call.service, call.action) if call else None


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
