"""A self-signed certificate for the sandbox's SMTP endpoint.

The certificate is its own trust anchor: clients verify the server by trusting exactly
this certificate (`client_context()`). It names `email-smtp.<region>.amazonaws.com`,
`localhost` and the loopback address. Kept in memory, or under a caller-given directory
where it is reused while it still covers the wanted names.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_FILE = "smtp-cert.pem"
KEY_FILE = "smtp-key.pem"
_VALIDITY = datetime.timedelta(days=365)
_RENEW_BEFORE = datetime.timedelta(days=1)


def endpoint_hostname(region: str) -> str:
    return f"email-smtp.{region}.amazonaws.com"


@dataclass(frozen=True)
class Certificate:
    cert_pem: bytes
    key_pem: bytes

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        # load_cert_chain reads files only: hand it a private temporary copy
        with tempfile.TemporaryDirectory(prefix="sesame-smtp-tls-") as tmp:
            cert, key = Path(tmp, CERT_FILE), Path(tmp, KEY_FILE)
            cert.write_bytes(self.cert_pem)
            key.touch(mode=0o600)
            key.write_bytes(self.key_pem)
            context.load_cert_chain(cert, key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate and checks the host name."""
        return ssl.create_default_context(cadata=self.cert_pem.decode("ascii"))


def _generate(hostnames: Sequence[str], addresses: Sequence[str]) -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])])
    now = datetime.datetime.now(datetime.UTC)
    san = [x509.DNSName(h) for h in hostnames]
    san += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Certificate(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _covers(cert_pem: bytes, hostnames: Sequence[str], addresses: Sequence[str]) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False
    if cert.not_valid_after_utc - _RENEW_BEFORE < datetime.datetime.now(datetime.UTC):
        return False
    names = set(san.get_values_for_type(x509.DNSName))
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return set(hostnames) <= names and {str(ipaddress.ip_address(a)) for a in addresses} <= ips


def load_or_create(
    hostnames: Sequence[str],
    addresses: Sequence[str] = ("127.0.0.1",),
    directory: Path | None = None,
) -> Certificate:
    """A certificate for the names: fresh in memory, or reused/stored under `directory`."""
    if directory is None:
        return _generate(hostnames, addresses)
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    if cert_path.is_file() and key_path.is_file():
        cert_pem = cert_path.read_bytes()
        if _covers(cert_pem, hostnames, addresses):
            return Certificate(cert_pem=cert_pem, key_pem=key_path.read_bytes())
    certificate = _generate(hostnames, addresses)
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(certificate.key_pem)
    cert_path.write_bytes(certificate.cert_pem)
    return certificate
