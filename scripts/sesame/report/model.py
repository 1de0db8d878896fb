"""The plan report as data (report.json): what a saved plan changes, in the reader's terms.

Built from `terraform show -json` of the saved plan (format 1.x; unknown fields ignored,
2.x refused) and the plan file's own prior state and lock file (for the digest).
Values Terraform marks sensitive, and any value equal to a secret sesame knows, are
masked; unknown values read "(known after apply)", never null.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from sesame.errors import ConfigError

SENSITIVE = "(sensitive)"
UNKNOWN = "(known after apply)"
SECRET = "(secret)"
FORMAT_VERSION = "1.0"  # of report.json: a minor bump adds fields, a major bump changes them
_PROVIDER = re.compile(r'provider "([^"]+)" \{\s*version\s*=\s*"([^"]+)"')


# -- digest ----------------------------------------------------------------------------


def plan_file_facts(plan_file: Path) -> dict[str, Any]:
    """Prior state lineage/serial, provider versions and zone names, from the saved plan."""
    with zipfile.ZipFile(plan_file) as z:
        names = z.namelist()
        state = json.loads(z.read("tfstate")) if "tfstate" in names else {}
        # The state as the last run left it (tfstate is after refresh, outputs re-evaluated).
        previous = json.loads(z.read("tfstate-prev")) if "tfstate-prev" in names else {}
        lock = z.read(".terraform.lock.hcl").decode() if ".terraform.lock.hcl" in names else ""
    zones = ((previous.get("outputs") or {}).get("dns_zone_names") or {}).get("value")
    return {
        "lineage": state.get("lineage"),
        "serial": state.get("serial"),
        "providers": dict(sorted(_PROVIDER.findall(lock))),
        "zone_names": zones if isinstance(zones, dict) else {},
    }


def digest(plan: dict[str, Any], facts: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the planned changes, not over any rendering."""
    changes = [
        {k: rc.get(k) for k in ("address", "previous_address", "action_reason", "change")}
        for rc in plan.get("resource_changes") or []
    ]
    subject = {
        "resource_changes": sorted(changes, key=lambda c: c["address"]),
        "output_changes": plan.get("output_changes") or {},
        "terraform_version": plan.get("terraform_version"),
        "providers": facts.get("providers") or {},
        "prior_state": {"lineage": facts.get("lineage"), "serial": facts.get("serial")},
    }
    canonical = json.dumps(subject, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# -- masking ---------------------------------------------------------------------------


def mask(
    value: Any, sensitive: Any = False, unknown: Any = False, secrets: frozenset[str] = frozenset()
) -> Any:
    """`value` with sensitive parts, unknown parts and known secrets replaced."""
    if sensitive is True:
        return SENSITIVE
    if unknown is True:
        return UNKNOWN
    if isinstance(value, dict) or isinstance(unknown, dict):
        value = value if isinstance(value, dict) else {}
        keys = set(value) | (set(unknown) if isinstance(unknown, dict) else set())
        return {
            k: mask(
                value.get(k),
                sensitive.get(k, False) if isinstance(sensitive, dict) else False,
                unknown.get(k, False) if isinstance(unknown, dict) else False,
                secrets,
            )
            for k in sorted(keys)
        }
    if isinstance(value, list):
        return [
            mask(
                v,
                sensitive[i] if isinstance(sensitive, list) and i < len(sensitive) else False,
                unknown[i] if isinstance(unknown, list) and i < len(unknown) else False,
                secrets,
            )
            for i, v in enumerate(value)
        ]
    if isinstance(value, str) and value in secrets:
        return SECRET
    return value


# -- the report ------------------------------------------------------------------------


def as_text(v: Any) -> str:
    """A value as one piece of text for a table cell: lists and objects as compact JSON."""
    if v is None:
        return ""
    return json.dumps(v, sort_keys=True) if isinstance(v, list | dict) else str(v)


def action_of(actions: list[str]) -> str:
    if actions in (["delete", "create"], ["create", "delete"]):
        return "replace"
    return actions[0] if len(actions) == 1 else "+".join(actions)


# Terraform's action_reason codes, in the reader's words.
REASONS = {
    "replace_because_tainted": "the object is tainted",
    "replace_because_cannot_update": "a change forces replacement",
    "replace_by_request": "replacement was requested (-replace)",
    "replace_by_triggers": "replace_triggered_by fired",
    "delete_because_no_resource_config": "its resource is gone from the configuration",
    "delete_because_no_module": "its module is gone from the configuration",
    "delete_because_wrong_repetition": "the resource changed between count and for_each",
    "delete_because_count_index": "its count index is gone from the configuration",
    "delete_because_each_key": "its key is gone from the configuration",
    "delete_because_no_move_target": "its moved block has no target",
    "read_because_config_unknown": "its configuration is known only after apply",
    "read_because_dependency_pending": "it depends on a pending change",
}


def reason(rc: dict[str, Any]) -> str:
    """Why Terraform deletes or replaces `rc`, with the attributes forcing a replacement."""
    code = rc.get("action_reason")
    text = REASONS.get(code or "", code or "removed from the configuration")
    paths = rc["change"].get("replace_paths") or []
    if paths:
        text += ": " + ", ".join(".".join(str(p) for p in path) for path in paths)
    return text


def _masked_change(rc: dict[str, Any], secrets: frozenset[str]) -> tuple[Any, Any]:
    c = rc["change"]
    before = mask(c.get("before"), c.get("before_sensitive", False), False, secrets)
    after = mask(
        c.get("after"), c.get("after_sensitive", False), c.get("after_unknown", False), secrets
    )
    return before, after


def _policy_view(doc: Any) -> dict[str, list[str]] | None:
    if not isinstance(doc, str) or doc in (UNKNOWN, SENSITIVE, SECRET):
        return None
    parsed = json.loads(doc)
    actions: set[str] = set()
    resources: set[str] = set()
    sources: set[str] = set()
    for st in parsed.get("Statement") or []:
        for key, into in (("Action", actions), ("Resource", resources)):
            v = st.get(key) or []
            into.update([v] if isinstance(v, str) else v)
        for op in (st.get("Condition") or {}).values():
            v = op.get("ses:FromAddress") or []
            sources.update([v] if isinstance(v, str) else v)
    return {"actions": sorted(actions), "resources": sorted(resources), "from": sorted(sources)}


def _policy_diff(
    old: dict[str, list[str]] | None, new: dict[str, list[str]] | None
) -> dict[str, dict[str, list[str]]]:
    """Per part of a policy (actions, resources, from): what stays, what is added, removed."""
    diff = {}
    for part in ("actions", "resources", "from"):
        before = set((old or {}).get(part, []))
        after = set((new or {}).get(part, []))
        diff[part] = {
            "kept": sorted(before & after),
            "added": sorted(after - before),
            "removed": sorted(before - after),
        }
    return diff


def _key(address: str) -> str | None:
    """The for_each key of a resource address: `x.y["a/b"]` -> `a/b`."""
    m = re.search(r'\["([^"]*)"\]$', address)
    return m.group(1) if m else None


def _first(value: Any) -> Any:
    """A nested block is a one-element list in plan JSON; a masked block is a string."""
    if isinstance(value, list):
        return value[0] if value else {}
    return value if isinstance(value, dict) else {}


def _ses_settings(kind: str, v: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """What an SES resource means to a reader: its name, and its settings by label."""
    if not v:
        return kind, {}
    if kind == "aws_sesv2_email_identity":
        return "identity", {
            "DKIM key length": _first(v.get("dkim_signing_attributes")).get(
                "next_signing_key_length"
            ),
            "configuration set": v.get("configuration_set_name"),
        }
    if kind == "aws_sesv2_email_identity_mail_from_attributes":
        return "MAIL FROM", {
            "MAIL FROM domain": v.get("mail_from_domain"),
            "on MX failure": v.get("behavior_on_mx_failure"),
        }
    if kind == "aws_sesv2_configuration_set":
        return "configuration set", {
            "name": v.get("configuration_set_name"),
            "TLS policy": _first(v.get("delivery_options")).get("tls_policy"),
            "reputation metrics": _first(v.get("reputation_options")).get(
                "reputation_metrics_enabled"
            ),
            "suppressed": _first(v.get("suppression_options")).get("suppressed_reasons"),
        }
    if kind == "aws_sesv2_configuration_set_event_destination":
        dest = _first(v.get("event_destination"))
        return "event destination", {
            "events": dest.get("matching_event_types"),
            "enabled": dest.get("enabled"),
        }
    return kind.removeprefix("aws_sesv2_").replace("_", " "), {
        k: x for k, x in v.items() if not isinstance(x, dict | list)
    }


def _dns_entry(
    rc: dict[str, Any], action: str, b: dict[str, Any], a: dict[str, Any], zones: dict[str, str]
) -> dict[str, Any]:
    zone_id = a.get("zone_id") or b.get("zone_id")
    key = _key(rc["address"]) or ""
    domain, _, record = key.rpartition("/")
    return {
        "address": rc["address"],
        "zone": zones.get(zone_id, zone_id) if isinstance(zone_id, str) else zone_id,
        "zone_id": zone_id,
        "domain": domain or None,
        "record": record or None,
        "name": a.get("name") or b.get("name"),
        "type": a.get("type") or b.get("type"),
        "action": action,
        "old": b.get("content"),
        "new": a.get("content"),
        "old_ttl": b.get("ttl"),
        "new_ttl": a.get("ttl"),
    }


def _dns_order(d: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(d[k]) for k in ("zone", "domain", "record", "name"))


def _iam_entry(
    rc: dict[str, Any], action: str, b: dict[str, Any], a: dict[str, Any]
) -> dict[str, Any]:
    old, new = _policy_view(b.get("policy")), _policy_view(a.get("policy"))
    diff = _policy_diff(old, new)
    return {
        "address": rc["address"],
        "sender": _key(rc["address"]),
        "attached_to": "role " + str(a.get("role") or b.get("role"))
        if rc["type"] == "aws_iam_role_policy"
        else "user " + str(a.get("user") or b.get("user")),
        "action": action,
        "old": old,
        "new": new,
        "diff": diff,
        # Widening: anything an existing policy gains (a new policy is checked by the gates).
        "widened": {k: d["added"] for k, d in diff.items() if d["added"]} if old and new else {},
    }


def _ses_entry(
    rc: dict[str, Any], action: str, b: dict[str, Any], a: dict[str, Any]
) -> dict[str, Any]:
    what, new = _ses_settings(rc["type"], a)
    what_before, old = _ses_settings(rc["type"], b)
    return {
        "address": rc["address"],
        "domain": _key(rc["address"]),
        "resource": what if new else what_before,
        "action": action,
        "old": old,
        "new": new,
    }


def _drift_entry(d: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """A change refresh found outside Terraform: which attributes moved, masked values."""
    c = d["change"]
    before = mask(c.get("before"), c.get("before_sensitive", False), False, known)
    after = mask(c.get("after"), c.get("after_sensitive", False), False, known)
    b = before if isinstance(before, dict) else {}
    a = after if isinstance(after, dict) else {}
    notice, undo = drift_consequence(d.get("type") or "", d["address"])
    owned = _SERVICE_OWNED.get(d.get("type") or "", frozenset())
    return {
        "address": d["address"],
        "action": action_of(c["actions"]),
        "attributes": sorted(
            k
            for k in set(a) | set(b)
            if k not in owned and _normal(a.get(k), owned) != _normal(b.get(k), owned)
        ),
        "before": before,
        "after": after,
        "notice": notice,
        "fix": undo,
    }


# Attributes the service changes on its own (verification progress), not a console edit.
_SERVICE_OWNED = {
    "aws_sesv2_email_identity": frozenset(
        {"verified_for_sending_status", "status", "last_key_generation_timestamp"}
    ),
    "aws_sesv2_email_identity_mail_from_attributes": frozenset({"mail_from_domain_status"}),
}


def _normal(value: Any, owned: frozenset[str]) -> Any:
    """Compare as a person would: null, "", [] and {} are all "nothing"; service-owned
    fields of nested blocks are left out."""
    if isinstance(value, dict):
        kept = {k: _normal(v, owned) for k, v in value.items() if k not in owned}
        kept = {k: v for k, v in kept.items() if v is not None}
        return kept or None
    if isinstance(value, list):
        items = [_normal(v, owned) for v in value]
        return items or None
    return None if value == "" else value


def real_drift(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drift entries with at least one attribute that moved in substance."""
    return [e for e in entries if e["attributes"]]


def drift_consequence(kind: str, address: str) -> tuple[str, str]:
    """Who would notice a change made outside sesame, and the command that reverts it (or
    how to adopt it instead)."""
    key = _key(address) or "?"
    adopt = "or adopt it: change sesame.yaml to say the same, then sesame plan"
    if kind == "cloudflare_dns_record":
        return (
            f"receivers checking {key.split('/')[0]}'s DKIM, SPF, DMARC or MAIL FROM; "
            "SES's verification",
            f"sesame apply puts the record back; {adopt}",
        )
    if kind in ("aws_iam_user_policy", "aws_iam_role_policy"):
        return (
            f"nobody until it is abused: sender {key} may send beyond its from list",
            "sesame apply restores the least-privilege policy",
        )
    if kind.startswith("aws_sesv2_"):
        return (
            f"receivers of {key}'s mail (signing, MAIL FROM or sending settings changed)",
            f"sesame apply restores SES's settings; {adopt}",
        )
    if kind in ("aws_iam_access_key", "aws_iam_user"):
        return (
            f"apps using sender {key}'s credentials",
            "sesame apply restores the sender's user and keys",
        )
    return ("whoever relies on this resource", f"sesame apply reverts it; {adopt}")


def zone_names(plan: dict[str, Any], facts: dict[str, Any]) -> dict[str, str]:
    """Zone ID -> name: from the last run's `dns_zone_names` output (the plan file's
    tfstate-prev, so a removed domain's records still show under their zone's name), then
    from the planned one. The refreshed prior state is no help: refresh re-evaluates its
    outputs with the new configuration."""
    names: dict[str, str] = dict(facts.get("zone_names") or {})
    planned = ((plan.get("planned_values") or {}).get("outputs") or {}).get("dns_zone_names")
    if isinstance((planned or {}).get("value"), dict):
        names.update(planned["value"])
    return names


def build(plan: dict[str, Any], facts: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
    """The report as data (report.json)."""
    version = str(plan.get("format_version", ""))
    if not version.startswith("1."):
        raise ConfigError(
            f"plan JSON format {version or 'unknown'} is not supported (1.x is); fix: use "
            "Terraform 1.x with this sesame, or upgrade sesame"
        )
    known = frozenset(s for s in secrets if s)
    zones = zone_names(plan, facts)
    counts: dict[str, int] = {}
    banner, dns, iam, ses, imports, moves, changes = [], [], [], [], [], [], []
    for rc in plan.get("resource_changes") or []:
        action = action_of(rc["change"]["actions"])
        counts[action] = counts.get(action, 0) + 1
        importing = rc["change"].get("importing")
        if importing:
            counts["import"] = counts.get("import", 0) + 1
            imports.append({"address": rc["address"], "id": importing.get("id")})
        if rc.get("previous_address"):
            moves.append({"from": rc["previous_address"], "to": rc["address"]})
        if action == "no-op" and not importing:
            continue
        before, after = _masked_change(rc, known)
        changes.append(
            {"address": rc["address"], "action": action, "before": before, "after": after}
        )
        if action in ("delete", "replace", "forget"):
            banner.append(
                {
                    "address": rc["address"],
                    "action": action,
                    "reason": reason(rc),
                    "code": rc.get("action_reason"),
                }
            )
        b = before if isinstance(before, dict) else {}
        a = after if isinstance(after, dict) else {}
        if rc["type"] == "cloudflare_dns_record":
            dns.append(_dns_entry(rc, action, b, a, zones))
        elif rc["type"] in ("aws_iam_user_policy", "aws_iam_role_policy"):
            iam.append(_iam_entry(rc, action, b, a))
        elif rc["type"].startswith("aws_sesv2_"):
            ses.append(_ses_entry(rc, action, b, a))
    drift = real_drift([_drift_entry(d, known) for d in plan.get("resource_drift") or []])
    outputs = {
        name: action_of(c["actions"])
        for name, c in (plan.get("output_changes") or {}).items()
        if c["actions"] != ["no-op"]
    }
    return {
        "format_version": FORMAT_VERSION,
        "digest": digest(plan, facts),
        "terraform_version": plan.get("terraform_version"),
        "providers": facts.get("providers") or {},
        "prior_state": {"lineage": facts.get("lineage"), "serial": facts.get("serial")},
        "counts": dict(sorted(counts.items())),
        "banner": banner,
        "dns": sorted(dns, key=_dns_order),
        "iam": iam,
        "ses": ses,
        "imports": imports,
        "moves": moves,
        "drift": drift,
        "outputs": outputs,
        "changes": changes,
    }


def summary(report: dict[str, Any]) -> str:
    """Terraform-style counts in one phrase: "3 create, 1 update" or "no changes"."""
    return (
        ", ".join(f"{n} {a}" for a, n in report["counts"].items() if a != "no-op") or "no changes"
    )
