import pytest

from sesame.smtp import smtp_password_v4


@pytest.mark.parametrize(
    ("region", "secret", "password"),
    [
        ("eu-central-1", "some+secret+key", "BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2"),
        ("us-west-1", "another+secret+key", "BKVmjjMDFk/qqw8EROW99bjCS65PF8WKvK5bSr4Y6EqF"),
    ],
)
def test_smtp_password_matches_published_vectors(region: str, secret: str, password: str) -> None:
    assert smtp_password_v4(secret, region) == password


def test_smtp_password_depends_on_region() -> None:
    assert smtp_password_v4("k", "eu-west-1") != smtp_password_v4("k", "us-east-1")


def test_smtp_password_is_version_4_and_44_characters() -> None:
    password = smtp_password_v4("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "eu-west-1")
    assert password.startswith("B")  # base64 of 0x04...
    assert len(password) == 44
