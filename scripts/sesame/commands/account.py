from __future__ import annotations

import re
from pathlib import Path

from sesame import aws, output
from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import ConfigError

_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
USE_CASE_MAX = 5000  # SES's limit for UseCaseDescription


def request_production(
    config: Config,
    top: Path,
    env: str,
    *,
    use_case: Path,
    website: str,
    mail_type: str,
    language: str,
    contacts: list[str],
) -> int:
    """Seed guides 003/004's console form as one call: PutAccountDetails with production
    access requested, after showing exactly what is sent."""
    try:
        text = use_case.read_text().strip()
    except OSError as exc:
        raise ConfigError(
            f"{use_case}: {exc.strerror}; fix: write the use case in a file"
        ) from None
    if not text or len(text) > USE_CASE_MAX:
        raise ConfigError(
            f"{use_case}: the use case must be 1-{USE_CASE_MAX} characters (it has {len(text)}); "
            "fix: describe how you send, to whom, and how you handle bounces and complaints"
        )
    if not _URL_RE.match(website):
        raise ConfigError(f"{website!r} is not a web address; fix: pass https://your-site")
    details = {
        "MailType": mail_type,
        "WebsiteURL": website,
        "ContactLanguage": language,
        "UseCaseDescription": text,
        "ProductionAccessEnabled": True,
    }
    if contacts:
        details["AdditionalContactEmailAddresses"] = contacts
    output.write_line(f"requesting production access for SES in {config.region} ({env}):")
    for key, value in details.items():
        if key != "UseCaseDescription":
            output.write_line(f"  {key}: {value}")
    output.write_line(f"  UseCaseDescription: {len(text)} characters from {use_case}")
    with open_target(env, config, top) as target:
        ses = aws.client("sesv2", config.region, target)
        ses.put_account_details(**details)
        review = (ses.get_account().get("Details") or {}).get("ReviewDetails") or {}
    output.write_line(
        f"submitted; review {review.get('Status', 'unknown')}"
        + (f" (case {review['CaseId']})" if review.get("CaseId") else "")
        + "; `sesame status` shows its progress"
    )
    return 0
