"""One report over several shards' plans: a combined digest that binds each shard's, a
pull-request comment with a row per shard and each changed shard's own comment under it,
and report.json listing every shard's digest (each shard's full forms are in `<shard>/`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sesame.report.markdown import COMMENT_LIMIT, markdown
from sesame.report.model import summary
from sesame.shards import combined_digest

__all__ = ["combine", "combined_digest", "comment", "write"]


def combine(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """report.json of a sharded plan: the combined digest, summed counts, each shard's
    digest, counts and gates (in the order given)."""
    counts: dict[str, int] = {}
    for r in reports.values():
        for action, n in r["counts"].items():
            counts[action] = counts.get(action, 0) + n
    return {
        "digest": combined_digest({s: r["digest"] for s, r in reports.items()}),
        "counts": dict(sorted(counts.items())),
        "shards": {
            s: {"digest": r["digest"], "counts": r["counts"], "gates": r.get("gates", [])}
            for s, r in reports.items()
        },
        "drift": [dict(d, shard=s) for s, r in reports.items() for d in r.get("drift", [])],
    }


def comment(reports: dict[str, dict[str, Any]], link: str, limit: int = COMMENT_LIMIT) -> str:
    """report.md: a table of every shard, then each changed shard's comment, sharing the
    limit (each folds into its own full report, `<shard>/<link>`)."""
    combined = combine(reports)
    head = [
        f"### sesame plan `{combined['digest'][:16]}` ({len(reports)} shard(s))",
        "",
        f"**{summary(combined)}** · digest `{combined['digest']}` (binds every shard's plan)",
        "",
        "| shard | changes | digest | gates |",
        "|---|---|---|---|",
    ]
    for shard, r in reports.items():
        gates = r.get("gates")
        gate = "–" if gates is None else ("✅" if not gates else f"⛔ {len(gates)}")
        head.append(f"| `{shard}` | {summary(r)} | `{r['digest'][:16]}` | {gate} |")
    body = "\n".join(head) + "\n"
    changed = [s for s, r in reports.items() if summary(r) != "no changes" or r.get("drift")]
    for i, shard in enumerate(changed):
        room = (limit - len(body) - 200) // (len(changed) - i)
        part = markdown(reports[shard], f"{shard}/{link}", max(room, 2000))
        section = (
            f"\n<details open><summary>shard <code>{shard}</code></summary>\n\n{part}\n</details>\n"
        )
        if len(body) + len(section) > limit - 200:
            section = f"\n_shard `{shard}`: see its full report ({shard}/{link})._\n"
        body += section
    return body


def write(reports: dict[str, dict[str, Any]], directory: Path, link: str) -> list[Path]:
    """report.md and report.json of the whole run (each shard's forms are in its dir)."""
    directory.mkdir(parents=True, exist_ok=True)
    md = directory / "report.md"
    md.write_text(comment(reports, link), encoding="utf-8")
    js = directory / "report.json"
    js.write_text(json.dumps(combine(reports), indent=2, sort_keys=True, ensure_ascii=False))
    return [md, js]
