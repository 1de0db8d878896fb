"""Serve a WSGI app on a loopback port in a background thread (moto's ThreadedMotoServer shape)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Flask, request
from werkzeug.serving import LISTEN_QUEUE, BaseWSGIServer, WSGIRequestHandler, make_server


def json_object(raw: bytes, error: Callable[[str], Exception], said: tuple[str, str]) -> dict:
    """A request body as a JSON object ({} when empty); else `error` with the service's own
    words for "not JSON" and "not an object" (`said`)."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise error(said[0]) from exc
    if not isinstance(body, dict):
        raise error(said[1])
    return body


def add_routes(
    app: Flask,
    routes: dict[str, dict[str, str]],
    handle: Callable[[str, Any, dict[str, str]], Any],
    **rule_options: Any,
) -> None:
    """Register an emulator's route table (path rule -> {HTTP method: operation}): each
    request goes to `handle(operation, request, path labels)`."""

    def make_view(methods: dict[str, str]) -> Callable[..., Any]:
        def view(**labels: str) -> Any:
            return handle(methods[request.method], request, labels)

        return view

    for index, (rule, methods) in enumerate(routes.items()):
        app.add_url_rule(
            rule,
            endpoint=f"{app.name.replace('.', '_')}_{index}",
            view_func=make_view(methods),
            methods=list(methods),
            **rule_options,
        )


def aws_sdk_call(environ: dict[str, Any], body: bytes) -> tuple[str, bool] | None:
    """(call, is a retry) of an AWS SDK request: the SDKs name each operation call with
    `amz-sdk-invocation-id`, the same on every attempt, so a second request with it is one."""
    invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
    return (invocation, True) if invocation else None


def stainless_call(environ: dict[str, Any], body: bytes) -> tuple[str, bool] | None:
    """(call, is a retry) of a Cloudflare SDK request (cloudflare-go v7, by Stainless): no
    call id, but every attempt says how many came before (`X-Stainless-Retry-Count`), so a
    retry is the same method, URL, token and body with a count above 0."""
    count = environ.get("HTTP_X_STAINLESS_RETRY_COUNT")
    if count is None:
        return None
    parts = [
        environ.get("REQUEST_METHOD", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        environ.get("HTTP_AUTHORIZATION", ""),
    ]
    digest = hashlib.sha256("\n".join(parts).encode() + b"\n" + body).hexdigest()
    return digest, count.strip() != "0"


class RetryReplay:
    """WSGI middleware: answer an SDK's retry of a request already answered with success
    with that first answer, the one the client should have had.

    The AWS SDKs and Cloudflare's retry any transport error, writes included. Measured in
    a 10-shard, 100-domain sandbox apply: a CreateEmailIdentity the SES v2 emulator answered
    200 in 2 ms came again 70 ms later as attempt 2 of the same call (the provider logged no
    answer to attempt 1), and the second answer, AlreadyExists, failed the apply. Over the
    providers' networks such losses are rare; on a loaded loopback they made the sandbox
    fail where AWS and Cloudflare do not. `identify` names a request's call (aws_sdk_call,
    stainless_call). Only 2xx answers to requests other than GET and HEAD are kept, the
    last `KEPT`; a throttled or refused attempt is served again, as the services serve it."""

    KEPT = 4096

    def __init__(
        self, app: Any, identify: Callable[[dict[str, Any], bytes], tuple[str, bool] | None]
    ) -> None:
        self.app, self.identify = app, identify
        self.replayed = 0
        self._answers: OrderedDict[str, tuple[str, list, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        sent = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(sent)
        call = self.identify(environ, sent)
        if call is None:
            return self.app(environ, start_response)
        key, retry = call
        with self._lock:
            kept = self._answers.get(key) if retry else None
            if kept is not None:
                self.replayed += 1
        if kept is not None:
            status, headers, body = kept
            start_response(status, headers)
            return [body]
        started: list[tuple[str, list]] = []

        def keeping(status: str, headers: list, *exc_info: Any) -> Any:
            started.append((status, list(headers)))
            return start_response(status, headers, *exc_info)

        answer = self.app(environ, keeping)
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        if started and started[-1][0].startswith("2"):
            with self._lock:
                self._answers[key] = (*started[-1], body)
                while len(self._answers) > self.KEPT:
                    self._answers.popitem(last=False)
        return [body]


class OneAtATime:
    """WSGI middleware: serve one request at a time under `lock`, the whole answer included
    (its body is read before the lock is let go). For an app whose state has no locks of
    its own: moto's (authorization.MOTO_LOCK)."""

    def __init__(self, app: Any, lock: threading.RLock) -> None:
        self.app, self.lock = app, lock

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        with self.lock:
            answer = self.app(environ, start_response)
            try:
                return [b"".join(answer)]
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()


POLL_SECONDS = 0.05
TRACE_SETTING = "SESAME_SANDBOX_TRACE"  # a file: one line per request each stand-in serves


class Trace:
    """WSGI middleware: append one line per request to `path` (start time, seconds taken,
    client port, method, path, the AWS SDK's invocation id and attempt, status), and one
    line per connection the client dropped before the answer was written."""

    def __init__(self, app: Any, path: str, name: str) -> None:
        self.app, self.path, self.name = app, path, name
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        with self._lock, open(self.path, "a") as out:
            out.write(text + "\n")

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        start = time.time()
        status: list[str] = []

        def recording_start(code: str, headers: list, *rest: Any) -> Any:
            status.append(code.split()[0])
            return start_response(code, headers, *rest)

        try:
            return self.app(environ, recording_start)
        finally:
            self.line(
                f"{start:.3f} {time.time() - start:.3f} {self.name} "
                f":{environ.get('REMOTE_PORT')} {environ.get('REQUEST_METHOD')} "
                f"{environ.get('PATH_INFO')} {environ.get('HTTP_AMZ_SDK_INVOCATION_ID', '-')} "
                f"{environ.get('HTTP_AMZ_SDK_REQUEST', '-').replace(' ', '')} "
                f"{status[0] if status else '?'}"
            )


def _tracing_handler(base: type[WSGIRequestHandler], trace: Trace) -> type[WSGIRequestHandler]:
    class Handler(base):  # type: ignore[misc, valid-type]
        def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
            trace.line(f"{time.time():.3f} DROPPED {trace.name} {self.client_address} {error!r}")
            super().connection_dropped(error, environ)

    return Handler


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port), listening; OSError as bind raises it (EADDRINUSE).
    SO_REUSEADDR, like werkzeug's own: a previous run's TIME_WAIT connections do not block."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(LISTEN_QUEUE)
    except BaseException:
        listener.close()
        raise
    return listener


class ServerThread:
    """A threaded werkzeug server on 127.0.0.1; `port=0` picks a free port."""

    def __init__(
        self,
        app: Any,
        port: int = 0,
        host: str = "127.0.0.1",
        request_handler: type[WSGIRequestHandler] | None = None,
        name: str = "",
    ) -> None:
        trace_file = os.environ.get(TRACE_SETTING)
        if trace_file:
            app = Trace(app, trace_file, name or "server")
            request_handler = _tracing_handler(request_handler or WSGIRequestHandler, app)
        # Bound here, not by werkzeug: on a port in use werkzeug prints and calls sys.exit(1)
        # (the whole command exited 1 in CI); this raises OSError(EADDRINUSE) to try another.
        listener = listening_socket(host, port)
        try:
            self._server: BaseWSGIServer = make_server(
                host,
                port,
                app,
                threaded=True,
                request_handler=request_handler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # werkzeug serves a duplicate of it (socket.fromfd)
        # shutdown() waits for the loop's next poll: 0.05 s instead of the default 0.5 s
        # (measured: 0.30 s per stop on average, paid by every command for each server).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )
        self.host = host
        self.port = self._server.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
