"""The transport: UDP and TCP on one port, truncation and TCP fallback, errors, shutdown."""

from __future__ import annotations

import socket
import threading
import time

import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.resolver
import pytest

from sesame.sandbox.dns import DnsServer

TIMEOUT = 2.0


def _add_big_txt_set(add_record, count: int = 8) -> None:
    for i in range(count):
        add_record("TXT", "big", f'"{i}-{"v" * 200}"')


def _port_is_free(host: str, port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            if kind == socket.SOCK_STREAM:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                return False
    return True


def test_udp_and_tcp_share_one_port_and_give_the_same_answer(add_record, server, resolver):
    add_record("A", "www", "192.0.2.10")
    over_udp = resolver.resolve("www.example.com", "A")
    over_tcp = resolver.resolve("www.example.com", "A", tcp=True)
    assert over_udp.rrset == over_tcp.rrset
    assert server.nameserver == ("127.0.0.1", server.port) and server.port > 0


def test_dns_query_udp_and_tcp_both_work(add_record, server):
    add_record("TXT", "@", '"v=spf1 -all"')
    query = dns.message.make_query("example.com", "TXT")
    for send in (dns.query.udp, dns.query.tcp):
        response = send(query, server.host, port=server.port, timeout=TIMEOUT)
        assert response.id == query.id
        assert response.answer[0][0].strings == (b"v=spf1 -all",)


def test_big_udp_answer_without_edns_is_truncated_with_tc(add_record, ask):
    _add_big_txt_set(add_record)
    response = ask("big.example.com", "TXT")
    assert response.flags & dns.flags.TC
    assert not response.answer
    assert len(response.to_wire()) <= 512


def test_resolver_retries_truncated_answer_over_tcp(add_record, server, resolver):
    _add_big_txt_set(add_record)
    answer = resolver.resolve("big.example.com", "TXT")
    assert len(answer) == 8
    query = dns.message.make_query("big.example.com", "TXT")
    response, used_tcp = dns.query.udp_with_fallback(
        query, server.host, port=server.port, timeout=TIMEOUT
    )
    assert used_tcp and len(response.answer[0]) == 8


def test_edns_payload_lets_a_big_answer_through_udp(add_record, ask):
    _add_big_txt_set(add_record)
    response = ask("big.example.com", "TXT", use_edns=0, payload=4096)
    assert not response.flags & dns.flags.TC
    assert len(response.answer[0]) == 8
    assert response.edns == 0


def test_one_tcp_connection_serves_several_queries(add_record, server):
    add_record("A", "www", "192.0.2.10")
    with socket.create_connection(server.nameserver, timeout=TIMEOUT) as sock:
        for name in ("www.example.com", "example.com"):
            query = dns.message.make_query(name, "A")
            response = dns.query.tcp(query, server.host, timeout=TIMEOUT, sock=sock)
            assert response.id == query.id


def test_malformed_query_gets_formerr_with_its_id(server):
    query = dns.message.make_query("example.com", "A")
    broken = query.to_wire()[:-3]  # the question is cut short
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT)
        sock.sendto(b"\x00\x01", server.nameserver)  # too short to answer: dropped
        sock.sendto(broken, server.nameserver)
        response = dns.message.from_wire(sock.recv(512))
    assert response.id == query.id
    assert response.rcode() == dns.rcode.FORMERR


def test_non_query_opcode_is_notimp_and_zone_transfer_is_refused(zone, server, ask):
    notify = dns.message.make_query("example.com", "SOA")
    notify.set_opcode(dns.opcode.NOTIFY)
    response = dns.query.udp(notify, server.host, port=server.port, timeout=TIMEOUT)
    assert response.rcode() == dns.rcode.NOTIMP
    assert ask("example.com", "AXFR", tcp=True).rcode() == dns.rcode.REFUSED


def test_unknown_edns_version_is_badvers(zone, ask):
    response = ask("example.com", "SOA", use_edns=1)
    assert response.rcode() == dns.rcode.BADVERS


def test_concurrent_queries_over_both_transports_all_succeed(add_record, server):
    add_record("A", "www", "192.0.2.10")
    failures: list[BaseException] = []

    def worker(tcp: bool) -> None:
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = [server.host]
        res.port = server.port
        res.lifetime = TIMEOUT
        try:
            for _ in range(10):
                assert res.resolve("www.example.com", "A", tcp=tcp)[0].address == "192.0.2.10"
        except BaseException as error:  # collected and asserted below
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(i % 2 == 0,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not failures


def test_stop_frees_the_port_for_udp_and_tcp(backend, zone):
    server = DnsServer(backend).start()
    port = server.port
    query = dns.message.make_query("example.com", "SOA")
    dns.query.udp(query, server.host, port=port, timeout=TIMEOUT)
    dns.query.tcp(query, server.host, port=port, timeout=TIMEOUT)
    server.stop()
    assert _port_is_free(server.host, port)
    assert not [t for t in threading.enumerate() if t.name == f"sandbox-dns-{port}"]


def test_stop_closes_idle_tcp_connections_promptly(backend, zone):
    server = DnsServer(backend).start()
    client = socket.create_connection(server.nameserver, timeout=TIMEOUT)
    try:
        time.sleep(0.05)  # let the server accept it
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.0
        assert client.recv(1) == b""  # the server closed its end
        assert _port_is_free(server.host, server.port)
    finally:
        client.close()


def test_server_binds_the_port_it_is_given(backend, zone):
    with DnsServer(backend) as first:
        port = first.port
        with pytest.raises(OSError):
            DnsServer(backend, port=port)
    with DnsServer(backend, port=port) as second:
        assert second.port == port
        response = dns.query.tcp(
            dns.message.make_query("example.com", "SOA"), "127.0.0.1", port=port, timeout=TIMEOUT
        )
        assert response.rcode() == dns.rcode.NOERROR


def test_stop_is_idempotent_and_a_stopped_server_cannot_restart(backend):
    server = DnsServer(backend)
    server.stop()
    server.stop()
    with pytest.raises(RuntimeError):
        server.start()
