"""The sandbox's authoritative name server: UDP and TCP on one loopback port, in threads.

`DnsServer` only moves bytes; what it answers is decided by `Authority` (authority.py)
from the Cloudflare emulator's live records and the `external` stand-ins for public DNS
(external.py: Amazon SES's and Google's SPF records, SES DKIM keys, the SES feedback and
SMTP endpoints; they are fixtures, not real data).

Messages are parsed and built with dnspython only. Over UDP a response larger than 512
bytes (or than the query's EDNS payload) is sent empty with TC set, so clients retry over
TCP. A query that cannot be parsed gets FORMERR when its header can be read and is dropped
otherwise; an unexpected error answers SERVFAIL rather than leaving the client waiting.

One thread selects on both listening sockets and a wake-up socket pair: it answers UDP
itself (lookups are in memory) and gives each TCP connection its own thread, which closes
the connection after `TCP_IDLE_SECONDS` of silence. `stop()` wakes the loop, closes every
socket and joins every thread, so the port is free when it returns.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
from collections.abc import Mapping, Sequence

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode

from ..cloudflare.models import CloudflareBackend
from .authority import Authority
from .external import EXTERNAL_RECORDS

log = logging.getLogger(__name__)

UDP_PLAIN_LIMIT = 512  # RFC 1035 size without EDNS
TCP_LIMIT = 65535
TCP_IDLE_SECONDS = 10.0
JOIN_SECONDS = 5.0
BIND_ATTEMPTS = 50


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def bind_pair(host: str, port: int) -> tuple[socket.socket, socket.socket]:
    """A UDP socket and a listening TCP socket on the same port (a free one for port 0)."""
    family = _family(host)
    attempts = BIND_ATTEMPTS if port == 0 else 1
    for attempt in range(attempts):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        try:
            udp.bind((host, port))
        except OSError:
            udp.close()
            raise
        tcp = socket.socket(family, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, udp.getsockname()[1]))
            tcp.listen(64)
        except OSError:
            tcp.close()
            udp.close()
            if attempt == attempts - 1:
                raise
            continue
        udp.setblocking(False)
        return udp, tcp
    raise AssertionError("unreachable")


def _read_exactly(conn: socket.socket, count: int) -> bytes | None:
    """count bytes, or None at end of stream."""
    chunks = []
    while count:
        chunk = conn.recv(count)
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


class DnsServer:
    """Authoritative DNS for the Cloudflare emulator's zones; `port=0` picks a free port.

    Sockets are bound on construction (so `.port` is known at once) and served from
    `start()` until `stop()`; also a context manager. `resolve()` answers from the same
    data without any socket.
    """

    def __init__(
        self,
        cloudflare: CloudflareBackend,
        port: int = 0,
        host: str = "127.0.0.1",
        external: Mapping[str, Sequence[tuple[str, str]]] | None = EXTERNAL_RECORDS,
    ) -> None:
        self.authority = Authority(cloudflare, external)
        self.host = host
        self._udp, self._tcp = bind_pair(host, port)
        self.port: int = self._udp.getsockname()[1]
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, name=f"sandbox-dns-{self.port}", daemon=True
        )
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()

    # ---- plain API for other sandbox components --------------------------------------

    @property
    def nameserver(self) -> tuple[str, int]:
        return (self.host, self.port)

    def resolve(self, name: str, rdtype: str = "A") -> list[str]:
        """What a stub resolver would get, as text (see Authority.resolve); no socket."""
        return self.authority.resolve(name, rdtype)

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> DnsServer:
        if self._stopping.is_set():
            raise RuntimeError("a stopped DnsServer cannot be restarted; make a new one")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every socket and join every thread; safe to call more than once."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")
        if self._thread.is_alive():
            self._thread.join(JOIN_SECONDS)
        for sock in (self._udp, self._tcp, self._wake_reader, self._wake_writer):
            sock.close()
        with self._connections_lock:
            connections = list(self._connections.items())
        for conn, _ in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for _, thread in connections:
            thread.join(JOIN_SECONDS)

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- answering -------------------------------------------------------------------

    def answer(self, wire: bytes, tcp: bool) -> bytes | None:
        """The response bytes for one query's bytes; None to send nothing."""
        try:
            query = dns.message.from_wire(wire)
        except dns.message.ShortHeader:
            return None
        except Exception:  # any malformed query: FORMERR if we can address it
            return self._error(wire, dns.rcode.FORMERR)
        if query.flags & dns.flags.QR:
            return None  # a response, not a query: never answer those (no loops)
        try:
            response = self.authority.respond(query)
        except Exception:
            log.exception("sandbox DNS failed to answer %s", query.question)
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
        limit = TCP_LIMIT
        if not tcp:
            limit = max(UDP_PLAIN_LIMIT, query.payload) if query.edns >= 0 else UDP_PLAIN_LIMIT
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            # send the question alone with TC: the client retries over TCP
            response.answer = []
            response.authority = []
            response.additional = []
            response.flags |= dns.flags.TC
            return response.to_wire(max_size=limit)

    @staticmethod
    def _error(wire: bytes, rcode: dns.rcode.Rcode) -> bytes:
        response = dns.message.Message(id=int.from_bytes(wire[:2], "big"))
        response.flags = dns.flags.QR
        response.set_rcode(rcode)
        return response.to_wire()

    # ---- threads ---------------------------------------------------------------------

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._udp, selectors.EVENT_READ, self._on_udp)
            selector.register(self._tcp, selectors.EVENT_READ, self._on_accept)
            selector.register(self._wake_reader, selectors.EVENT_READ, None)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.data is None or self._stopping.is_set():
                        return
                    try:
                        key.data()
                    except Exception:  # one bad datagram or client must not end the loop
                        if self._stopping.is_set():
                            return
                        log.debug("sandbox DNS serving error", exc_info=True)

    def _on_udp(self) -> None:
        try:
            wire, address = self._udp.recvfrom(TCP_LIMIT)
        except BlockingIOError:
            return
        reply = self.answer(wire, tcp=False)
        if reply is not None:
            self._udp.sendto(reply, address)

    def _on_accept(self) -> None:
        try:
            conn, _ = self._tcp.accept()
        except BlockingIOError:
            return
        conn.settimeout(TCP_IDLE_SECONDS)
        thread = threading.Thread(
            target=self._serve_connection, args=(conn,), name="sandbox-dns-tcp", daemon=True
        )
        with self._connections_lock:
            self._connections[conn] = thread
        thread.start()

    def _serve_connection(self, conn: socket.socket) -> None:
        try:
            while not self._stopping.is_set():
                header = _read_exactly(conn, 2)
                if header is None:
                    break
                wire = _read_exactly(conn, int.from_bytes(header, "big"))
                if wire is None:
                    break
                reply = self.answer(wire, tcp=True)
                if reply is not None:
                    dns.query.send_tcp(conn, reply)
        except OSError:
            pass  # idle timeout, reset by the client, or shut down by stop()
        finally:
            conn.close()
            with self._connections_lock:
                self._connections.pop(conn, None)
