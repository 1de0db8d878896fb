"""Serve a WSGI app on a loopback port in a background thread (moto's ThreadedMotoServer shape)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


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


POLL_SECONDS = 0.05


class ServerThread:
    """A threaded werkzeug server on 127.0.0.1; `port=0` picks a free port."""

    def __init__(
        self,
        app: Any,
        port: int = 0,
        host: str = "127.0.0.1",
        request_handler: type[WSGIRequestHandler] | None = None,
    ) -> None:
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=request_handler
        )
        # shutdown() waits for the loop's next poll: 0.05 s instead of the default 0.5 s
        # (measured: 0.30 s per stop on average, paid by every command for each server).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )
        self.host = host
        self.port = self._server.server_port

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
