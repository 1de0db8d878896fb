"""The stand-ins' loopback ports: one each, and a port another program takes between the
choice and the bind is chosen again instead of ending the command (CI: SES v2 and Cloudflare
were both given 30577, and the second server's bind ended `sesame apply` with exit 1)."""

from __future__ import annotations

import errno
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import FatalError
from sesame.sandbox import ports
from sesame.sandbox.server import ServerThread
from sesame.target import workdir_for
from testing import example_config

CFG = Config.model_validate(example_config())


def _listener() -> socket.socket:
    """Another program's server: a listening socket on a port below the ephemeral range."""
    held = socket.socket()
    held.bind(("127.0.0.1", ports.free_port()))
    held.listen()
    return held


def _hello(environ: dict, start_response) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"hello"


def test_a_random_choice_that_repeats_a_port_is_not_given_to_two_stand_ins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = ports.free_port(), ports.free_port(taken=[ports.free_port()])
    repeats = iter([first, first, first, second] + [ports.free_port() for _ in range(8)])
    monkeypatch.setattr(ports.random, "choice", lambda candidates: next(repeats))
    chosen = ports.choose(tmp_path / "none-saved.json")
    assert sorted(chosen) == sorted(ports.NAMES)
    assert len(set(chosen.values())) == len(ports.NAMES), chosen


def test_a_saved_file_naming_one_port_twice_gives_each_stand_in_its_own(tmp_path: Path) -> None:
    port = ports.free_port()
    saved = tmp_path / "ports.json"
    saved.write_text(json.dumps(dict.fromkeys(ports.NAMES, port)))
    chosen = ports.choose(saved)
    assert chosen[ports.NAMES[0]] == port  # the first keeps it: init need not re-run
    assert len(set(chosen.values())) == len(ports.NAMES), chosen


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"moto": "x"}', "null"])
def test_an_unreadable_ports_file_is_chosen_afresh(tmp_path: Path, text: str) -> None:
    saved = tmp_path / "ports.json"
    saved.write_text(text)
    chosen = ports.choose(saved)
    assert all(isinstance(p, int) for p in chosen.values())
    assert len(set(chosen.values())) == len(ports.NAMES)


def test_a_port_taken_after_the_choice_is_chosen_again_on_start() -> None:
    with _listener() as held:
        taken = held.getsockname()[1]
        chosen = {"web": taken, "other": ports.free_port(taken=[taken])}
        server = ports.serve("web", chosen, lambda p: ServerThread(_hello, port=p).start())
        try:
            assert server.port == chosen["web"] != taken
            assert chosen["web"] != chosen["other"]
            assert requests.get(server.url, timeout=5).text == "hello"
        finally:
            server.stop()


def test_a_server_on_a_port_in_use_raises_instead_of_ending_the_process() -> None:
    with _listener() as held, pytest.raises(OSError) as exc:
        ServerThread(_hello, port=held.getsockname()[1])
    assert exc.value.errno == errno.EADDRINUSE


def test_ports_taken_every_time_end_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(port: int) -> None:
        raise OSError(98, "Address already in use")

    with pytest.raises(FatalError, match=r"^sandbox: 5 loopback ports for dns were taken"):
        ports.serve("dns", {"dns": ports.free_port()}, busy)


def test_the_sandbox_runs_from_a_ports_file_naming_one_port_twice_and_one_in_use(
    tmp_path: Path,
) -> None:
    workdir = workdir_for(tmp_path, "sandbox")
    workdir.mkdir(parents=True, exist_ok=True)
    with _listener() as held:
        in_use = held.getsockname()[1]
        port = ports.free_port(taken=[in_use])
        saved = {**dict.fromkeys(ports.NAMES, port), "moto": in_use}
        (workdir / "sandbox-ports.json").write_text(json.dumps(saved))
        with open_target("sandbox", CFG, tmp_path) as target:
            sts = boto3.client(
                "sts",
                endpoint_url=target.aws_endpoints["sts"],
                region_name=CFG.region,
                aws_access_key_id=target.secrets.get("AWS_ACCESS_KEY_ID"),
                aws_secret_access_key=target.secrets.get("AWS_SECRET_ACCESS_KEY"),
            )
            assert sts.get_caller_identity()["Account"]
            endpoints = target.aws_endpoints
        running = json.loads((workdir / "sandbox-ports.json").read_text())
    assert len(set(running.values())) == len(ports.NAMES), running
    assert in_use not in running.values()
    assert endpoints["sesv2"].endswith(f":{running['sesv2']}")
    assert endpoints["sts"].endswith(f":{running['moto']}")
