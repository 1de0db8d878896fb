"""Shared fixtures (helpers live in testing.py)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sesame.tf import cli_config
from testing import AppliedCopy, Sesame, built_once, copy_world, example_config


@pytest.fixture(scope="session", autouse=True)
def terraform_cli_config() -> Path:
    """`make setup` writes it; write it here too so a lone pytest run works."""
    path = cli_config.default_path()
    if not path.exists():
        cli_config.write(path)
    return path


@pytest.fixture
def sesame(tmp_path: Path) -> Sesame:
    return Sesame(tmp_path)


# Fixture scopes shared by several tests of a file: such a test stays with its file's others.
SHARED_SCOPES = ("package", "module", "class")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups from the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` (`--dist loadgroup`) hands single tests to whichever worker is free, so one
    slow file no longer runs on one worker while the others idle. A test using a fixture set
    up once per module (one applied world for the file) is grouped with its file's others:
    that fixture is still set up once."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info else ()
        if any(d and d[-1].scope in SHARED_SCOPES for d in defs):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This test run's directory shared by its pytest-xdist workers (each has its own below)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def world_of(tmp_path_factory: pytest.TempPathFactory, name: str, config: dict) -> Path:
    """`config` applied in the sandbox once per test run, shared by every worker: a checkout
    to copy (copy_world), never to run commands in. `name` and the config's digest tell the
    worlds apart."""

    def apply(top: Path) -> None:
        sesame = Sesame(top)
        sesame.write(config)
        sesame.ok("apply")

    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]
    return built_once(shared_dir(tmp_path_factory) / f"{name}-{digest}-world", apply)


@pytest.fixture(scope="session")
def example_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped sesame.yaml applied once per test run (world_of)."""
    return world_of(tmp_path_factory, "example", example_config())


@pytest.fixture
def applied_copy(sesame: Sesame, tmp_path_factory: pytest.TempPathFactory) -> AppliedCopy:
    """`applied_copy(name, config)`: `sesame` in a copy of `config` as `sesame apply` left it,
    applied once per test run for every test of that name (never apply twice what one apply
    proves: for tests whose first step is that apply)."""

    def copy(name: str, config: dict) -> Sesame:
        copy_world(world_of(tmp_path_factory, name, config), sesame.top)
        return sesame

    return copy


@pytest.fixture
def applied_example(sesame: Sesame, example_world: Path) -> Sesame:
    """`sesame` in a copy of example_world: the example configuration as `sesame apply` left
    it (its sandbox-calls.jsonl holds that apply's calls), for a test to go on from."""
    copy_world(example_world, sesame.top)
    return sesame


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto's server on a loopback port the kernel picks (tests reset it as they need)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
