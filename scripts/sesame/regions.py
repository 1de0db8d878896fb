"""Region facts: where SES v2 runs and which hosts its DNS records point at."""

from __future__ import annotations

import boto3

# botocore's endpoint data (shipped offline with boto3) is the maintained list.
SES_REGIONS: frozenset[str] = frozenset(boto3.session.Session().get_available_regions("sesv2"))

# SES regions opened since 2020 publish Easy DKIM keys under a regional host
# (SES developer guide, "Easy DKIM" regional domains table); the rest use the global one.
_REGIONAL_DKIM = frozenset(
    {
        "af-south-1",
        "ap-northeast-3",
        "ap-south-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ca-west-1",
        "eu-central-2",
        "eu-south-1",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
    }
)


def dkim_host(region: str) -> str:
    """The CNAME target suffix for Easy DKIM tokens in `region`."""
    if region in _REGIONAL_DKIM:
        return f"dkim.{region}.amazonses.com"
    return "dkim.amazonses.com"


def mail_from_mx(region: str) -> str:
    """The MX host a custom MAIL FROM domain points at (bounce feedback)."""
    return f"feedback-smtp.{region}.amazonses.com"


def smtp_host(region: str) -> str:
    return f"email-smtp.{region}.amazonaws.com"
