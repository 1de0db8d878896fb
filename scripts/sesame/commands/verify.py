from __future__ import annotations

from functools import cache
from pathlib import Path

from sesame import aws, credentials
from sesame.checks import keys
from sesame.checks.check import show
from sesame.checks.verify import api_sender_checks, domain_checks, sender_checks
from sesame.config import Config
from sesame.environments import open_target
from sesame.tf import state


def verify(
    config: Config,
    top: Path,
    env: str,
    *,
    json_mode: bool,
    send: bool,
    max_key_age: str | None = None,
) -> int:
    """DNS as SES needs it, then per smtp sender SMTP AUTH, a send and a refused send, and
    per api sender the same through SendEmail with the sender's own key; with
    `max_key_age`, every active sender key's age."""
    limit = keys.parse_age(max_key_age) if max_key_age else None
    with open_target(env, config, top) as target:
        ses = aws.client("sesv2", config.region, target)
        results = domain_checks(config, target, ses)
        creds = credentials.load(target.credentials_path, target.age_key)

        @cache
        def secrets() -> dict:
            # Only to name the cause of a 535: the key's secret, from state, in memory.
            return state.outputs_of(config, target).get("sender_secrets") or {}

        def secret_of(name: str) -> str | None:
            return (secrets().get(name) or {}).get("secret_access_key")

        for name, entry in creds.items():
            if entry["kind"] == "smtp":
                results += sender_checks(
                    name, entry, target, config.region, send=send, secret_of=secret_of
                )
            elif entry["kind"] == "api":
                results += api_sender_checks(name, entry, target, config.region, send=send)
        if limit is not None:
            results += keys.age_checks(keys.held_keys(config, target), creds, limit)
    return show(results, json_mode=json_mode, tally=True)
