"""Names sesame derives, each decided once: the Python here and terraform/aws agree on
them (tests/test_names.py evaluates the module's expression with terraform)."""

from __future__ import annotations

import hashlib


def configuration_set_name(domain: str) -> str:
    """The module's naming rule (terraform/aws: slug, hashed past 64 characters)."""
    slug = domain.replace(".", "-")
    return (
        slug if len(slug) <= 64 else f"{slug[:55]}-{hashlib.sha1(domain.encode()).hexdigest()[:8]}"
    )


def from_address(patterns: list[str]) -> str | None:
    """The first literal address a sender may send as (None: every entry is a pattern)."""
    return next((a for a in patterns if "*" not in a and "?" not in a), None)
