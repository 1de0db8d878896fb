"""Region facts: where SES v2 runs and which hosts its DNS records point at."""

from __future__ import annotations

import boto3

# botocore's endpoint data (shipped offline with boto3) is the maintained list.
SES_REGIONS: frozenset[str] = frozenset(boto3.session.Session().get_available_regions("sesv2"))

# Where Easy DKIM keys live is stated by SES itself, per identity: GetEmailIdentity's
# DkimAttributes.SigningHostedZone. sesame reads it from there (runner.signing_hosted_zones,
# verify). It cannot be read before the identity exists, so the first apply of a new
# domain uses this fallback: the regions with their own DKIM domain in the AWS General
# Reference, "Amazon SES endpoints and quotas", DKIM domains table
# (https://docs.aws.amazon.com/general/latest/gr/ses.html#ses_dkim_domains); every other
# region uses dkim.amazonses.com. When SES states another zone, the next plan follows SES
# and `verify` names the disagreement.
_REGIONAL_DKIM = frozenset(
    {
        "af-south-1",
        "ap-northeast-3",
        "ap-south-2",
        "ap-southeast-3",
        "ap-southeast-5",
        "ca-west-1",
        "eu-central-2",
        "eu-south-1",
        "il-central-1",
        "me-central-1",
        "us-gov-east-1",
    }
)


def dkim_host(region: str) -> str:
    """The documented Easy DKIM zone for `region`: only a fallback for an identity SES does
    not have yet (SES states the zone of an existing one as SigningHostedZone)."""
    if region in _REGIONAL_DKIM:
        return f"dkim.{region}.amazonses.com"
    return "dkim.amazonses.com"


def mail_from_mx(region: str) -> str:
    """The MX host a custom MAIL FROM domain points at (bounce feedback)."""
    return f"feedback-smtp.{region}.amazonses.com"


def smtp_host(region: str) -> str:
    return f"email-smtp.{region}.amazonaws.com"
