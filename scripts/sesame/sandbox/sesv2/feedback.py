"""What a bounce or a complaint does to the account: reputation metrics and the suppression
list, made real in the sandbox by the mailbox simulator's bounce@ and complaint@ addresses.

- Metrics (CloudWatch namespace `AWS/SES`): `Reputation.BounceRate` and
  `Reputation.ComplaintRate`, fractions from 0 to 1 (SES Developer Guide, "Creating reputation
  monitoring alarms using CloudWatch"), per configuration set with reputation metrics enabled
  (dimension `ses:configuration-set`, the one sesame's alarms watch) and for the account (no
  dimension). As at SES, nothing is published before the first bounce or complaint.
- The account-level suppression list (SES v2 ListSuppressedDestinations): a hard bounce adds
  the address with reason BOUNCE, a complaint with COMPLAINT, when that reason is suppressed:
  the configuration set's SuppressionOptions when it has them, else the account's (none here).

A deliberate stand-in: real SES keeps mailbox simulator traffic out of both ("Emails that you
send to the mailbox simulator do not affect your bounce and complaint rates", Developer Guide,
"Processing bounces and complaints"; the bounce address "isn't placed on the Amazon SES
suppression list", "Using the mailbox simulator"). The sandbox has no other way to bounce, so
it treats the two addresses as a real hard bounce and a real complaint, and `sesame status`
shows numbers that came through the same APIs it reads in production.
"""

from __future__ import annotations

from typing import Any

from moto.backends import get_backend

from ..authorization import MOTO_LOCK
from .models import SIMULATOR_DOMAIN, SesV2Backend

NAMESPACE = "AWS/SES"
SET_DIMENSION = "ses:configuration-set"
# simulator address -> (suppression reason, metric)
FEEDBACK = {
    f"bounce@{SIMULATOR_DOMAIN}": ("BOUNCE", "Reputation.BounceRate"),
    f"complaint@{SIMULATOR_DOMAIN}": ("COMPLAINT", "Reputation.ComplaintRate"),
}


def _rates(messages: list[dict[str, Any]]) -> dict[str, float] | None:
    """Each metric's rate over these messages' recipients; None before any feedback."""
    recipients = [r.lower() for m in messages for r in m.get("Destinations") or []]
    counts = {metric: recipients.count(address) for address, (_, metric) in FEEDBACK.items()}
    if not recipients or not any(counts.values()):
        return None
    return {metric: n / len(recipients) for metric, n in counts.items()}


def _publish(account: str, region: str, rates: dict[str, float], dims: list[dict]) -> None:
    data = [{"MetricName": m, "Value": v, "Dimensions": dims} for m, v in rates.items()]
    with MOTO_LOCK:
        get_backend("cloudwatch")[account][region].put_metric_data(NAMESPACE, data)


def record(
    ses: SesV2Backend, account: str, region: str, set_name: str | None, recipients: list[str]
) -> None:
    """After a message is accepted (and recorded as sent): suppress its bouncing or
    complaining recipients, and publish the rates it changed (every send changes them once
    there has been feedback: a delivered message lowers them)."""
    fed_back = [(r, FEEDBACK[r.lower()][0]) for r in recipients if r.lower() in FEEDBACK]
    with ses.lock:
        state = ses.region_state(account, region)
        config_set = ses.find_configuration_set(account, region, set_name) if set_name else None
        options = config_set.options if config_set is not None else {}
        reasons = (options.get("SuppressionOptions") or {}).get("SuppressedReasons") or []
        for address, reason in fed_back:
            if reason in reasons:
                ses.suppress(account, region, address, reason)
        messages = list(state.sent_messages)
    account_rates = _rates(messages)
    if account_rates:
        _publish(account, region, account_rates, [])
    if config_set is None or not config_set.reputation_options.get("ReputationMetricsEnabled"):
        return
    in_set = [m for m in messages if m.get("ConfigurationSetName") == set_name]
    set_rates = _rates(in_set)
    if set_rates:
        _publish(account, region, set_rates, [{"Name": SET_DIMENSION, "Value": set_name}])
