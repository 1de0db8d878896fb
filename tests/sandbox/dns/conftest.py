"""A fresh Cloudflare backend and a DNS server on a loopback port for every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dns.message
import dns.query
import dns.resolver
import pytest

from sesame.sandbox.cloudflare.models import CloudflareBackend
from sesame.sandbox.dns import DnsServer

ACCOUNT = "0123456789abcdef0123456789abcdef"
OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210"
ZONE = "example.com"
TIMEOUT = 2.0


@pytest.fixture
def backend() -> CloudflareBackend:
    return CloudflareBackend()


@pytest.fixture
def zone(backend: CloudflareBackend) -> dict[str, Any]:
    return backend.create_zone(ACCOUNT, ZONE)


@pytest.fixture
def add_record(backend: CloudflareBackend, zone: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """Create a record in example.com through the model API: add_record("TXT", "@", '"x"')."""

    def add(kind: str, name: str, content: str, **extra: Any) -> dict[str, Any]:
        body = {"type": kind, "name": name, "content": content, "ttl": 1, "proxied": False}
        return backend.create_dns_record(ACCOUNT, zone["id"], body | extra)

    return add


@pytest.fixture
def server(backend: CloudflareBackend) -> Iterator[DnsServer]:
    with DnsServer(backend) as running:
        yield running


@pytest.fixture
def resolver(server: DnsServer) -> dns.resolver.Resolver:
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [server.host]
    res.port = server.port
    res.timeout = TIMEOUT
    res.lifetime = TIMEOUT
    return res


@pytest.fixture
def ask(server: DnsServer) -> Callable[..., dns.message.Message]:
    """One raw query over UDP (default) or TCP; returns the whole response message."""

    def ask(name: str, rdtype: str = "A", tcp: bool = False, **make: Any) -> dns.message.Message:
        query = dns.message.make_query(name, rdtype, **make)
        send = dns.query.tcp if tcp else dns.query.udp
        return send(query, server.host, port=server.port, timeout=TIMEOUT)

    return ask
