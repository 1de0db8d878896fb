"""report.md: the plan report as one pull-request comment.

Counts, a caution banner for every destructive change, then DNS, IAM and SES in the
reader's terms. A comment holds at most 65,536 characters: sections keep their summary
and fold their detail into `<details>`; what still does not fit is named, counted and
linked to the full report, never cut silently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sesame.report.model import as_text, summary, ttl_text

COMMENT_LIMIT = 65_536  # GitHub's pull-request comment limit


@dataclass
class Section:
    title: str
    summary: str
    detail_title: str
    detail: str
    count: str  # what the section holds, for when even the summary does not fit


def cell(v: Any) -> str:
    """A table cell: one line, pipes escaped, values as code."""
    text = as_text(v).replace("|", "\\|").replace("\n", " ")
    if not text:
        return ""
    return text if "`" in text else f"`{text}`"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def old_new(old: Any, new: Any, action: str) -> str:
    if action == "create":
        return cell(new)
    if action == "delete":
        return cell(old)
    return cell(new) if old == new else f"{cell(old)} → {cell(new)}"


def settings(old: dict[str, Any], new: dict[str, Any], action: str) -> str:
    labels = list(new or old)
    return "; ".join(
        f"{label}: {old_new(old.get(label), new.get(label), action)}" for label in labels
    )


def _dns(report: dict[str, Any]) -> Section | None:
    records = report["dns"]
    if not records:
        return None
    by_zone: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in records:
        by_zone[str(d["zone"])].append(d)
    verbs = ("create", "update", "replace", "delete")
    rows = [
        [cell(zone)] + [str(sum(d["action"] == v for d in recs) or "") for v in verbs]
        for zone, recs in by_zone.items()
    ]
    detail = []
    for zone, recs in by_zone.items():
        detail.append(f"**{zone}**\n")
        detail.append(
            table(
                ["record", "name", "type", "action", "value (old → new)", "TTL"],
                [
                    [
                        cell(d["record"]),
                        old_new(d["old_name"], d["new_name"], d["action"]),
                        cell(d["type"]),
                        d["action"],
                        old_new(d["old"], d["new"], d["action"]),
                        old_new(ttl_text(d["old_ttl"]), ttl_text(d["new_ttl"]), d["action"]),
                    ]
                    for d in recs
                ],
            )
            + "\n"
        )
    return Section(
        title=f"DNS: {len(records)} record(s) in {len(by_zone)} zone(s)",
        summary=table(["zone", "added", "changed", "replaced", "removed"], rows),
        detail_title="every record, old → new",
        detail="\n".join(detail),
        count=f"{len(records)} record(s) in {len(by_zone)} zone(s)",
    )


def policy_diff(p: dict[str, Any]) -> str:
    """A sender's policy as a diff of actions, resources and allowed From addresses."""
    lines = []
    for part, d in p["diff"].items():
        lines.append(f" {part}:")
        lines += [f"     {x}" for x in d["kept"]]
        lines += [f"-    {x}" for x in d["removed"]]
        lines += [f"+    {x}" for x in d["added"]]
    return "```diff\n" + "\n".join(lines) + "\n```"


def _flag(p: dict[str, Any]) -> str:
    added = [x for part in p["widened"].values() for x in part]
    return "⚠️ widened: " + ", ".join(added) if added else ""


def _iam(report: dict[str, Any]) -> Section | None:
    policies = report["iam"]
    if not policies:
        return None
    rows = [
        [
            cell(p["sender"]),
            cell(p["attached_to"]),
            p["action"],
            cell(", ".join((p["new"] or p["old"] or {}).get("actions", []))),
            cell(", ".join((p["new"] or p["old"] or {}).get("from", []))),
            _flag(p),
        ]
        for p in policies
    ]
    detail = [
        f"`{p['sender']}` ({p['attached_to']}): {p['action']} {_flag(p)}\n\n{policy_diff(p)}\n"
        for p in policies
    ]
    widened = sum(bool(p["widened"]) for p in policies)
    return Section(
        title=f"IAM: {len(policies)} sender polic(ies)"
        + (f", ⚠️ {widened} widened" if widened else ""),
        summary=table(["sender", "attached to", "action", "actions", "from", "flag"], rows),
        detail_title="each policy as a diff of actions, resources and From addresses",
        detail="\n".join(detail),
        count=f"{len(policies)} polic(ies), {widened} widened",
    )


def _ses(report: dict[str, Any]) -> Section | None:
    items = report["ses"]
    if not items:
        return None
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in items:
        kinds[s["resource"]][s["action"]] += 1
    rows = [
        [kind, ", ".join(f"{n} {a}" for a, n in sorted(actions.items()))]
        for kind, actions in kinds.items()
    ]
    detail = table(
        ["domain", "resource", "action", "settings"],
        [
            [
                cell(s["domain"]),
                s["resource"],
                s["action"],
                settings(s["old"], s["new"], s["action"]),
            ]
            for s in items
        ],
    )
    return Section(
        title=f"SES: {len(items)} resource(s)",
        summary=table(["resource", "changes"], rows),
        detail_title="identities, DKIM, MAIL FROM, configuration sets, TLS policy",
        detail=detail,
        count=f"{len(items)} resource(s)",
    )


def _imports_moves(report: dict[str, Any]) -> Section | None:
    if not report["imports"] and not report["moves"]:
        return None
    lines = [f"- import `{i['address']}` (id `{i['id']}`)" for i in report["imports"]]
    lines += [f"- moved `{m['from']}` → `{m['to']}`" for m in report["moves"]]
    count = f"{len(report['imports'])} import(s), {len(report['moves'])} move(s)"
    return Section("Imports and moves", count, "each", "\n".join(lines), count)


def drift_change(c: dict[str, Any]) -> str:
    """One attribute that moved outside sesame, as the change sections show it."""
    if "added" in c:
        moved = [f"+{cell(x)}" for x in c["added"]] + [f"−{cell(x)}" for x in c["removed"]]
        return f"{c['label']}: " + " ".join(moved)
    return f"{c['label']}: {old_new(c['old'], c['new'], 'update')}"


def _drift(report: dict[str, Any]) -> Section | None:
    if not report["drift"]:
        return None
    lines = [
        f"- `{d['address']}` ({d['action']}): "
        + "; ".join(map(drift_change, d["changes"]))
        + f" — who would notice: {d['notice']}; fix: {d['fix']}"
        for d in report["drift"]
    ]
    count = f"{len(lines)} resource(s) changed outside sesame since the last apply"
    return Section("Changed outside sesame", count, "each, old → new", "\n".join(lines), count)


def _gates(report: dict[str, Any]) -> str:
    if "gates" not in report:
        return ""
    failures = report["gates"]
    if not failures:
        return "\n**Policy gates:** ✅ every gate passes.\n"
    return (
        "\n**Policy gates:** ⛔ `sesame apply` stops here unless allowed:\n"
        + "\n".join(f"- {f}" for f in failures)
        + "\n"
    )


def _head(report: dict[str, Any], link: str, budget: int) -> str:
    prior = report["prior_state"]
    head = [
        f"### sesame plan `{report['digest'][:16]}`",
        "",
        f"**{summary(report)}** · digest `{report['digest']}`",
        "",
        f"Environment **{report.get('environment') or 'unknown'}** · made "
        f"{report.get('created_at') or 'unknown'} (UTC) · commit "
        f"`{report.get('commit') or 'unknown'}`",
        "",
        f"Terraform {report['terraform_version']} · "
        + (
            f"prior state serial {prior['serial']}, lineage `{prior['lineage']}`"
            if prior["lineage"]
            else "no prior state (first apply)"
        ),
        "",
    ]
    banner = report["banner"]
    if banner:
        # One red alert listing every destructive change; past the budget, the rest counted.
        head.append(f"> [!CAUTION]\n> **{len(banner)} destructive change(s)**")
        for n, b in enumerate(banner):
            line = f"> - **{b['action']}** `{b['address']}`: {b['reason']}"
            if sum(map(len, head)) + len(line) > budget:
                head.append(f"> - … and {len(banner) - n} more: see the full report ({link})")
                break
            head.append(line)
        head.append("")
    return "\n".join(head) + _gates(report)


def markdown(report: dict[str, Any], link: str = "report.html", limit: int = COMMENT_LIMIT) -> str:
    """report.md, at most `limit` characters, with everything folded named and linked."""
    body = _head(report, link, limit // 2)
    sections = [
        s
        for s in (_dns(report), _iam(report), _ses(report), _imports_moves(report), _drift(report))
        if s
    ]
    tail = f"\n_Full report: {link}_\n"

    def minimal(s: Section) -> str:
        return f"\n#### {s.title}\n\n{s.count}: see the full report ({link}).\n"

    for i, s in enumerate(sections):
        room = limit - len(body) - len(tail) - sum(len(minimal(t)) for t in sections[i + 1 :])
        full = (
            f"\n#### {s.title}\n\n{s.summary}\n\n<details><summary>{s.detail_title}</summary>"
            f"\n\n{s.detail}\n\n</details>\n"
        )
        folded = (
            f"\n#### {s.title}\n\n{s.summary}\n\n{s.detail.count(chr(10)) + 1} line(s) of "
            f"detail: see the full report ({link}).\n"
        )
        body += next((t for t in (full, folded) if len(t) <= room), minimal(s))
    return body + tail
