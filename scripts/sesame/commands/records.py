from __future__ import annotations

from pathlib import Path

from sesame import output
from sesame.config import Config
from sesame.dns import records
from sesame.environments import open_target
from sesame.errors import ConfigError
from sesame.tf import state


def show(config: Config, top: Path, env: str, domain: str, fmt: str) -> int:
    """Print the records `domain` needs (after apply: DKIM tokens come from SES)."""
    if domain not in config.domains:
        known = ", ".join(config.domains)
        raise ConfigError(f"{domain}: not in the configuration; fix: use one of: {known}")
    with open_target(env, config, top) as target:
        outputs = state.outputs_of(config, target, domain)  # its shard's state, with shards
    needed = (outputs.get("dns_records") or {}).get(domain)
    if not needed:
        return _before_apply(config, domain, fmt)
    zone, live, others = (
        records.published(domain, needed, outputs)
        if domain in config.cloudflare_domains()
        else (None, needed, [])
    )
    ours = frozenset(live) - set(others) if zone is not None else frozenset()
    shown = records.for_owner(domain, config.domains[domain], live, ours)
    if "dmarc" in live and "dmarc" not in shown:
        output.status(records.inherited_note(domain))
    others = [k for k in others if k in shown]
    output.write_line(records.render(domain, shown, fmt, zone, others))
    return 0


def _before_apply(config: Config, domain: str, fmt: str) -> int:
    """A domain not applied yet: the records its configuration already fixes (as `sesame
    domain add` prints them); the DKIM CNAMEs follow the apply, which has SES name them."""
    output.status(
        f"{domain}: not applied yet: these are the records its configuration fixes; the DKIM "
        f"CNAMEs come after `sesame apply` (SES names them)"
    )
    records.show_before_apply(domain, config.domains[domain], config.region, fmt)
    return 0
