"""The sandbox SMTP endpoint's self-signed certificate."""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography import x509

from sesame.sandbox.smtp import tls

NAMES = ["email-smtp.eu-west-1.amazonaws.com", "localhost"]


def test_certificate_names_the_endpoint_and_loopback_address() -> None:
    cert = x509.load_pem_x509_certificate(tls.load_or_create(NAMES).cert_pem)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert san.get_values_for_type(x509.DNSName) == NAMES
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert cert.subject.rfc4514_string() == f"CN={NAMES[0]}"


def test_certificate_in_a_directory_is_reused_and_its_key_kept_private(tmp_path: Path) -> None:
    first = tls.load_or_create(NAMES, directory=tmp_path)
    again = tls.load_or_create(NAMES, directory=tmp_path)

    assert again == first
    assert stat.S_IMODE((tmp_path / tls.KEY_FILE).stat().st_mode) == 0o600


def test_certificate_in_a_directory_is_replaced_when_it_lacks_a_wanted_name(
    tmp_path: Path,
) -> None:
    first = tls.load_or_create(NAMES, directory=tmp_path)
    other = tls.load_or_create(["email-smtp.us-east-1.amazonaws.com"], directory=tmp_path)

    assert other.cert_pem != first.cert_pem
    assert (tmp_path / tls.CERT_FILE).read_bytes() == other.cert_pem


def test_contexts_load_the_certificate() -> None:
    certificate = tls.load_or_create(NAMES)
    assert certificate.server_context() is not None
    assert certificate.client_context().check_hostname
