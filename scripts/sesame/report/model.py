"""The plan report: what a saved plan changes, in the reader's terms, with nothing secret in it.

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
COMMENT_LIMIT = 65_536  # GitHub's pull-request comment limit
_PROVIDER = re.compile(r'provider "([^"]+)" \{\s*version\s*=\s*"([^"]+)"')


# -- digest ----------------------------------------------------------------------------


def plan_file_facts(plan_file: Path) -> dict[str, Any]:
    """Prior state lineage/serial and provider versions, from the saved plan itself."""
    with zipfile.ZipFile(plan_file) as z:
        state = json.loads(z.read("tfstate")) if "tfstate" in z.namelist() else {}
        lock = (
            z.read(".terraform.lock.hcl").decode() if ".terraform.lock.hcl" in z.namelist() else ""
        )
    return {
        "lineage": state.get("lineage"),
        "serial": state.get("serial"),
        "providers": dict(sorted(_PROVIDER.findall(lock))),
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


def action_of(actions: list[str]) -> str:
    if actions in (["delete", "create"], ["create", "delete"]):
        return "replace"
    return actions[0] if len(actions) == 1 else "+".join(actions)


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


def build(plan: dict[str, Any], facts: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
    version = str(plan.get("format_version", ""))
    if not version.startswith("1."):
        raise ConfigError(
            f"plan JSON format {version or 'unknown'} is not supported (1.x is); fix: use "
            "Terraform 1.x with this sesame, or upgrade sesame"
        )
    known = frozenset(s for s in secrets if s)
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
                    "reason": rc.get("action_reason") or "removed from the configuration",
                }
            )
        b, a = before or {}, after or {}
        if rc["type"] == "cloudflare_dns_record":
            dns.append(
                {
                    "zone_id": a.get("zone_id") or b.get("zone_id"),
                    "name": a.get("name") or b.get("name"),
                    "type": a.get("type") or b.get("type"),
                    "action": action,
                    "old": b.get("content"),
                    "new": a.get("content"),
                }
            )
        elif rc["type"] in ("aws_iam_user_policy", "aws_iam_role_policy"):
            old, new = _policy_view(b.get("policy")), _policy_view(a.get("policy"))
            widened = {k: sorted(set(new[k]) - set(old[k])) for k in new} if old and new else {}
            iam.append(
                {
                    "address": rc["address"],
                    "action": action,
                    "old": old,
                    "new": new,
                    "widened": {k: v for k, v in widened.items() if v},
                }
            )
        elif rc["type"].startswith("aws_sesv2_"):
            keep = (
                "email_identity",
                "configuration_set_name",
                "dkim_signing_attributes",
                "mail_from_domain",
                "behavior_on_mx_failure",
                "delivery_options",
            )
            ses.append(
                {
                    "address": rc["address"],
                    "action": action,
                    "old": {k: b.get(k) for k in keep if k in b},
                    "new": {k: a.get(k) for k in keep if k in a},
                }
            )
    drift = [
        {"address": d["address"], "action": action_of(d["change"]["actions"])}
        for d in plan.get("resource_drift") or []
    ]
    outputs = {
        name: action_of(c["actions"])
        for name, c in (plan.get("output_changes") or {}).items()
        if c["actions"] != ["no-op"]
    }
    return {
        "digest": digest(plan, facts),
        "terraform_version": plan.get("terraform_version"),
        "prior_state": {"lineage": facts.get("lineage"), "serial": facts.get("serial")},
        "counts": dict(sorted(counts.items())),
        "banner": banner,
        "dns": dns,
        "iam": iam,
        "ses": ses,
        "imports": imports,
        "moves": moves,
        "drift": drift,
        "outputs": outputs,
        "changes": changes,
    }


# -- Markdown for a pull-request comment ------------------------------------------------


def _cell(v: Any) -> str:
    return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(
    report: dict[str, Any], full_report: str = "report.html", limit: int = COMMENT_LIMIT
) -> str:
    """report.md: counts, a banner for destructive changes, DNS/IAM/SES in the reader's terms."""
    head = [f"### sesame plan `{report['digest'][:16]}`", ""]
    counts = (
        ", ".join(f"{n} {a}" for a, n in report["counts"].items() if a != "no-op") or "no changes"
    )
    head.append(f"**{counts}** · digest `{report['digest']}`")
    budget = limit // 2  # the banner never crowds out the rest, and is never cut silently
    for n, b in enumerate(report["banner"]):
        line = f"> [!CAUTION]\n> **{b['action']}** `{b['address']}` — {b['reason']}"
        if sum(map(len, head)) + len(line) > budget:
            head.append(
                f"> [!CAUTION]\n> … and {len(report['banner']) - n} more destructive "
                f"change(s): see the full report ({full_report})"
            )
            break
        head.append(line)
    sections: list[tuple[str, str]] = []
    if report["dns"]:
        rows = [
            [d["zone_id"], d["name"], d["type"], d["action"], d["old"], d["new"]]
            for d in report["dns"]
        ]
        sections.append(("DNS", _table(["zone", "name", "type", "action", "old", "new"], rows)))
    if report["iam"]:
        parts = []
        for p in report["iam"]:
            flag = " ⚠️ **widened**: " + json.dumps(p["widened"]) if p["widened"] else ""
            new = p["new"] or {}
            parts.append(
                f"- `{p['address']}` {p['action']}{flag}\n  - actions: {new.get('actions')}\n"
                f"  - resources: {new.get('resources')}\n  - from: {new.get('from')}"
            )
        sections.append(("IAM", "\n".join(parts)))
    if report["ses"]:
        rows = [
            [s["address"], s["action"], json.dumps(s["new"], sort_keys=True)] for s in report["ses"]
        ]
        sections.append(("SES", _table(["resource", "action", "settings"], rows)))
    if report["imports"] or report["moves"]:
        lines = [f"- import `{i['address']}` (id `{i['id']}`)" for i in report["imports"]]
        lines += [f"- moved `{m['from']}` → `{m['to']}`" for m in report["moves"]]
        sections.append(("Imports and moves", "\n".join(lines)))
    if report["drift"]:
        lines = [f"- `{d['address']}` ({d['action']})" for d in report["drift"]]
        sections.append(("Drift found by refresh (not planned changes)", "\n".join(lines)))
    body = "\n".join(head) + "\n"
    for title, text in sections:
        summary = f"<details><summary>{title} details</summary>"
        body += f"\n#### {title}\n\n{summary}\n\n{text}\n\n</details>\n"
    if len(body) <= limit:
        return body
    # Too long for one comment: keep counts, banner and section titles; link the rest.
    folded = "\n".join(head) + "\n"
    for title, text in sections:
        lines = text.count("\n") + 1
        folded += f"\n#### {title}\n\n{lines} line(s): see the full report ({full_report}).\n"
    return folded + f"\n_Full report: {full_report}_\n"


def write(report: dict[str, Any], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    md = directory / "report.md"
    js = directory / "report.json"
    md.write_text(markdown(report))
    js.write_text(json.dumps(report, indent=2, sort_keys=True))
    return [md, js]
