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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sesame.errors import ConfigError
from sesame.process import cmd_output

SENSITIVE = "(sensitive)"
UNKNOWN = "(known after apply)"
SECRET = "(secret)"
FORMAT_VERSION = "1.1"  # of report.json: a minor bump adds fields, a major bump changes them
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


def ttl_text(ttl: Any) -> str:
    """A DNS TTL as Cloudflare shows it: 1 means automatic."""
    if ttl is None:
        return ""
    return "auto" if ttl == 1 else str(ttl)


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
        "old_name": b.get("name"),
        "new_name": a.get("name"),
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


# -- drift ---------------------------------------------------------------------------
#
# The one place sesame decides what counts as drift (docs/report.md, "Drift"). Terraform
# reports every object whose refreshed value differs from state; two kinds of difference
# are not a change anyone made outside sesame, so they are not shown and not counted:
# - null and empty are the same (the AWS provider's SDK cannot tell them apart: it writes
#   null at create and reads AWS's empty list or map back at refresh, e.g. a CloudWatch
#   alarm's `insufficient_data_actions` and `dimensions`);
# - SES's own progress on an identity (DKIM `status`, `verified_for_sending_status`): SES
#   moves them from PENDING to SUCCESS once it finds the DNS records; `sesame status`
#   reports them.
SES_PROGRESS: dict[str, tuple[str, ...]] = {
    "aws_sesv2_email_identity": ("verified_for_sending_status", "dkim_signing_attributes.status"),
}


def _empty(v: Any) -> bool:
    return v is None or v == [] or v == {} or v == ""


def same(old: Any, new: Any) -> bool:
    """Equal, reading null and empty as equal (at any depth)."""
    if _empty(old) and _empty(new):
        return True
    if isinstance(old, dict) and isinstance(new, dict):
        return all(same(old.get(k), new.get(k)) for k in set(old) | set(new))
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(same(x, y) for x, y in zip(old, new, strict=True))
    return bool(old == new)


def _without(value: Any, path: list[str]) -> Any:
    """`value` without the attribute at `path` (nested blocks are lists of objects)."""
    if isinstance(value, list):
        return [_without(v, path) for v in value]
    if not isinstance(value, dict) or not path:
        return value
    head, rest = path[0], path[1:]
    if not rest:
        return {k: v for k, v in value.items() if k != head}
    return {k: _without(v, rest) if k == head else v for k, v in value.items()}


def _comparable(kind: str, value: dict[str, Any]) -> dict[str, Any]:
    for path in SES_PROGRESS.get(kind, ()):
        value = _without(value, path.split("."))
    return value


def _changes(labels: list[tuple[str, Any, Any]]) -> list[dict[str, Any]]:
    return [{"label": k, "old": o, "new": n} for k, o, n in labels if not same(o, n)]


def _drift_entry(
    d: dict[str, Any], known: frozenset[str], zones: dict[str, str]
) -> dict[str, Any] | None:
    """A change refresh found outside sesame, in the same terms as the change sections
    (DNS: name, content, TTL; IAM: actions, resources, From; SES: its settings); None when
    nothing moved but what `SES_PROGRESS` and null/empty explain."""
    c = d["change"]
    before = mask(c.get("before"), c.get("before_sensitive", False), False, known)
    after = mask(c.get("after"), c.get("after_sensitive", False), False, known)
    b = _comparable(d["type"], before if isinstance(before, dict) else {})
    a = _comparable(d["type"], after if isinstance(after, dict) else {})
    moved = sorted(k for k in set(a) | set(b) if not same(b.get(k), a.get(k)))
    if not moved and not (before is None) ^ (after is None):
        return None
    action = action_of(c["actions"])
    changes: list[dict[str, Any]] = []
    if d["type"] == "cloudflare_dns_record":
        dns = _dns_entry(d, action, b, a, zones)
        changes = _changes(
            [
                ("name", dns["old_name"], dns["new_name"]),
                ("content", dns["old"], dns["new"]),
                ("TTL", ttl_text(dns["old_ttl"]), ttl_text(dns["new_ttl"])),
            ]
        )
        # Cloudflare's own timestamps say when, not what: shown only if nothing else moved.
        covered = {"name", "content", "ttl", "modified_on", "comment_modified_on"}
        covered |= {"tags_modified_on"}
        changes += _changes([(k, b.get(k), a.get(k)) for k in moved if k not in covered])
    elif d["type"] in ("aws_iam_user_policy", "aws_iam_role_policy"):
        iam = _iam_entry(d, action, b, a)
        for part, diff in iam["diff"].items():
            if diff["added"] or diff["removed"]:
                old, new = (iam["old"] or {}).get(part), (iam["new"] or {}).get(part)
                changes.append({"label": part, "old": old, "new": new, **diff})
    elif d["type"].startswith("aws_sesv2_"):
        _, old_settings = _ses_settings(d["type"], b)
        _, new_settings = _ses_settings(d["type"], a)
        changes = _changes(
            [(k, old_settings.get(k), new_settings.get(k)) for k in new_settings or old_settings]
        )
    if not changes:
        changes = _changes([(k, b.get(k), a.get(k)) for k in moved])
    notice, undo = drift_consequence(d["type"], d["address"])
    return {
        "address": d["address"],
        "type": d["type"],
        "action": action,
        "attributes": moved,
        "changes": changes,
        "notice": notice,
        "fix": undo,
        "before": before,
        "after": after,
    }


def drift(plan: dict[str, Any], known: frozenset[str], zones: dict[str, str]) -> list[Any]:
    """Every object changed outside sesame, sorted by address (see SES_PROGRESS)."""
    entries = [_drift_entry(d, known, zones) for d in plan.get("resource_drift") or []]
    return sorted((e for e in entries if e), key=lambda e: e["address"])


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


def provenance(environment: str, top: Path) -> dict[str, str]:
    """Which environment, when (UTC) and from which commit of the directory holding
    sesame.yaml a plan was made."""
    proc = cmd_output(["git", "-C", str(top), "rev-parse", "--verify", "HEAD"])
    commit = proc.stdout.decode().strip() if proc.returncode == 0 else ""
    if commit:
        dirty = cmd_output(["git", "-C", str(top), "status", "--porcelain", "--untracked-files=no"])
        if dirty.returncode == 0 and dirty.stdout.strip():
            commit += " (with uncommitted changes)"
    return {
        "environment": environment,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit or "not a git checkout",
    }


def build(
    plan: dict[str, Any],
    facts: dict[str, Any],
    secrets: list[str],
    made: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The report as data (report.json); `made` is its provenance()."""
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
    outputs = {
        name: action_of(c["actions"])
        for name, c in (plan.get("output_changes") or {}).items()
        if c["actions"] != ["no-op"]
    }
    return {
        "format_version": FORMAT_VERSION,
        "digest": digest(plan, facts),
        "environment": (made or {}).get("environment"),
        "created_at": (made or {}).get("created_at"),
        "commit": (made or {}).get("commit"),
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
        "drift": drift(plan, known, zones),
        "outputs": outputs,
        "changes": changes,
    }


def summary(report: dict[str, Any]) -> str:
    """Terraform-style counts in one phrase: "3 create, 1 update" or "no changes"."""
    return (
        ", ".join(f"{n} {a}" for a, n in report["counts"].items() if a != "no-op") or "no changes"
    )
