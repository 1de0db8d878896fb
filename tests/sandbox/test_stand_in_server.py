"""The stand-ins' HTTP plumbing (sandbox/server.py): one request at a time for lockless
state, an SDK retry of a served request answered as first served, and the request trace."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import requests
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from sesame.sandbox.server import (
    TRACE_SETTING,
    OneAtATime,
    RetryReplay,
    ServerThread,
    aws_sdk_call,
    stainless_call,
)


def _counting_app(status: int) -> tuple[list[str], object]:
    served: list[str] = []

    @Request.application
    def app(request: Request) -> Response:
        served.append(request.method)
        return Response(f"answer {len(served)}", status=status)

    return served, app


def test_an_aws_sdk_retry_of_a_successful_write_gets_the_first_answer() -> None:
    served, app = _counting_app(200)
    client = Client(RetryReplay(app, aws_sdk_call))
    headers = {"amz-sdk-invocation-id": "call-1", "amz-sdk-request": "attempt=1; max=3"}
    first = client.post("/", headers=headers)
    again = client.post("/", headers={**headers, "amz-sdk-request": "attempt=2; max=3"})
    assert (first.get_data(), again.get_data()) == (b"answer 1", b"answer 1")
    assert served == ["POST"]
    client.post("/", headers={"amz-sdk-invocation-id": "call-2"})  # a new call is served
    assert served == ["POST", "POST"]


def test_reads_refusals_and_unnamed_calls_are_served_again() -> None:
    for status, method, headers in (
        (200, "GET", {"amz-sdk-invocation-id": "read"}),
        (429, "POST", {"amz-sdk-invocation-id": "throttled"}),
        (400, "PUT", {"amz-sdk-invocation-id": "refused"}),
        (200, "POST", {}),  # not an AWS SDK call: nothing to match a retry by
    ):
        served, app = _counting_app(status)
        client = Client(RetryReplay(app, aws_sdk_call))
        client.open("/", method=method, headers=headers)
        client.open("/", method=method, headers=headers)
        assert served == [method, method]


def test_a_cloudflare_sdk_retry_of_a_successful_write_gets_the_first_answer() -> None:
    """cloudflare-go has no call id: a retry is the same request with a retry count above 0;
    a first attempt of the same request (count 0) is a new call, served again."""
    served, app = _counting_app(200)
    client = Client(RetryReplay(app, stainless_call))
    record = {"type": "TXT", "name": "x.example.com", "content": "v=spf1 -all"}
    auth = {"Authorization": "Bearer t1"}

    def post(count: str, body: dict = record, headers: dict = auth) -> bytes:
        retry = {"X-Stainless-Retry-Count": count}
        return client.post("/zones/z/dns_records", json=body, headers={**headers, **retry}).data

    assert post("0") == b"answer 1"
    assert post("1") == b"answer 1"  # the retry: the first answer
    assert served == ["POST"]
    assert post("0") == b"answer 2"  # the same record asked for again: a new call
    assert post("1", {**record, "content": "v=spf1 ~all"}) == b"answer 3"  # another body
    assert post("1", headers={"Authorization": "Bearer t2"}) == b"answer 4"  # another token
    assert len(served) == 4


def test_one_at_a_time_never_overlaps_two_requests() -> None:
    inside, most = [0], [0]
    lock = threading.Lock()

    @Request.application
    def slow(request: Request) -> Response:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.02)
        with lock:
            inside[0] -= 1
        return Response("ok")

    with ServerThread(OneAtATime(slow, threading.RLock())) as server:
        threads = [
            threading.Thread(target=requests.get, args=(server.url,), kwargs={"timeout": 10})
            for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert most[0] == 1


def test_the_trace_has_a_line_per_request_with_the_sdk_call_and_status(
    tmp_path: Path, monkeypatch
) -> None:
    trace = tmp_path / "trace.log"
    monkeypatch.setenv(TRACE_SETTING, str(trace))
    _, app = _counting_app(201)
    with ServerThread(app, name="demo") as server:
        requests.post(
            server.url + "/v2/x",
            headers={"amz-sdk-invocation-id": "inv-9", "amz-sdk-request": "attempt=2; max=3"},
            timeout=10,
        )
    (line,) = trace.read_text().splitlines()
    fields = line.split()
    assert fields[3].startswith(":")  # the client's port
    assert fields[2:3] + fields[4:] == [
        "demo",
        "POST",
        "/v2/x",
        "inv-9",
        "attempt=2;max=3",
        "201",
    ]
