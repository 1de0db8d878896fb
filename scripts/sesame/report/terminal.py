"""The plan as the terminal shows it: each planned change once, sorted by address; for a
DNS record or sender policy that changes, old → new; then what changed outside sesame.

Values come from the report model (masked as the report masks them), never from a
second reading of the plan.
"""

from __future__ import annotations

from typing import Any

from sesame.report.model import as_text, ttl_text

# A plan of thousands of changes lists the first ones; the plan report lists every one.
PLANNED_LINES = 200
DETAILED = ("cloudflare_dns_record.", "aws_iam_user_policy.", "aws_iam_role_policy.")
INDENT = " " * 13


def needs_report(planned: list[tuple[str, str]], drift: int) -> bool:
    """Whether the lines need the report model (one `terraform show -json`, ~3 s measured on
    the example): an update to show, or drift to explain next to planned changes. Drift in a
    plan with no change is not shown, as Terraform shows only drift relevant to the plan:
    after every apply it is mostly null-vs-empty and SES's own progress, which the report
    drops anyway (docs/report.md, "Drift"); `sesame drift` reports it."""
    return (drift > 0 and bool(planned)) or any(
        action in ("update", "replace") and any(kind in address for kind in DETAILED)
        for action, address in planned
    )


def _old_new(old: Any, new: Any) -> str:
    return f"{as_text(old) or '(none)'} → {as_text(new) or '(none)'}"


def dns_lines(d: dict[str, Any]) -> list[str]:
    lines = [f"{d['new_name'] or d['name']} {d['type']} in zone {d['zone']}"]
    if d["old_name"] != d["new_name"]:
        lines.append(f"  name: {_old_new(d['old_name'], d['new_name'])}")
    if d["old"] != d["new"]:
        lines.append(f"  content: {_old_new(d['old'], d['new'])}")
    if d["old_ttl"] != d["new_ttl"]:
        lines.append(f"  TTL: {_old_new(ttl_text(d['old_ttl']), ttl_text(d['new_ttl']))}")
    return lines


def iam_lines(p: dict[str, Any]) -> list[str]:
    if p["new"] is None:
        return [f"{p['attached_to']}: policy (known after apply)"]
    lines = [f"{p['attached_to']}"]
    for part, diff in p["diff"].items():
        moved = [f"+ {x}" for x in diff["added"]] + [f"- {x}" for x in diff["removed"]]
        if moved:
            lines.append(f"  {part}: " + ", ".join(moved))
    return lines


def planned_lines(planned: list[tuple[str, str]], built: dict[str, Any] | None) -> list[str]:
    """Every planned change once, sorted by address, with old → new where it helps."""
    details: dict[str, list[str]] = {}
    for d in (built or {}).get("dns", []):
        details[d["address"]] = dns_lines(d)
    for p in (built or {}).get("iam", []):
        details[p["address"]] = iam_lines(p)
    out = []
    ordered = sorted(planned, key=lambda change: change[1])
    for n, (action, address) in enumerate(ordered):
        if n == PLANNED_LINES:
            out.append(
                f"  … and {len(ordered) - PLANNED_LINES} more planned change(s); "
                "`sesame plan --report DIR` lists every one"
            )
            break
        out.append(f"  {action:>7}  {address}")
        if action in ("update", "replace"):
            out += [INDENT + line for line in details.get(address, [])]
    return out


def change_text(c: dict[str, Any]) -> str:
    if "added" in c:
        moved = [f"+ {x}" for x in c["added"]] + [f"- {x}" for x in c["removed"]]
        return f"{c['label']}: " + ", ".join(moved)
    return f"{c['label']}: {_old_new(c['old'], c['new'])}"


def drift_lines(drift: list[dict[str, Any]]) -> list[str]:
    """What refresh found changed outside sesame, per resource, as the changes read."""
    if not drift:
        return []
    out = [f"  changed outside sesame since the last apply: {len(drift)} object(s)"]
    for d in drift:
        verb = {"update": "changed", "delete": "deleted"}.get(d["action"], d["action"])
        out.append(f"    {d['address']}: {verb}")
        out += [f"      {change_text(c)}" for c in d["changes"]]
    return out
