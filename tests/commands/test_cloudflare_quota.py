"""Cloudflare's global API limit (1,200 calls per 5 minutes per token; over it, every call
of the token is refused for 5 minutes), emulated by the sandbox with Cloudflare's headers:
sesame counts a run's calls before it makes them, refuses what no window holds before any
change, waits for the next window when too little is left, ends in one line when the
token is already blocked, and its count is what the run really makes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from testing import Sesame, domain, error_lines, make_config, open_sandbox

LIMIT = "SESAME_SANDBOX_CLOUDFLARE_LIMIT"
TRACE = "SESAME_SANDBOX_TRACE"
# Four domains in four zones: a plan looks up 4 zones and lists each (2 pages: the records,
# then the empty page that ends the listing); the first zone holds records made by hand
# (the sandbox seeds them) and its SPF is adopted (the plan imports it: two reads); the
# first apply writes 7 records per domain (3 DKIM, SPF, DMARC, MAIL FROM MX and SPF).
CONFIG = make_config(
    {
        **domain("shop.example", {"api": {"kind": "api", "from": ["hi@shop.example"]}}),
        **domain("blog.example"),
        **domain("news.example"),
        **domain("tenant.example"),
    }
)


def cloudflare_calls(trace: Path) -> list[tuple[str, str, str]]:
    """(method, path, status) of each request the Cloudflare stand-in served."""
    lines = trace.read_text().splitlines() if trace.exists() else []
    fields = [line.split() for line in lines]
    return [(f[4], f[5], f[-1]) for f in fields if len(f) > 6 and f[2] == "cloudflare"]


def burn(top: Path, calls: int, monkeypatch: pytest.MonkeyPatch, limit: str) -> None:
    """`calls` API calls with the sandbox's token (another tool of the same user)."""
    monkeypatch.setenv(LIMIT, limit)
    with open_sandbox(top, CONFIG) as sb:
        token = sb.secrets.get("CLOUDFLARE_API_TOKEN")
        for _ in range(calls):
            httpx.get(f"{sb.cloudflare_url}/zones", headers={"Authorization": f"Bearer {token}"})


def test_an_apply_over_the_limit_is_refused_before_any_change_and_the_count_is_exact(
    sesame: Sesame, tmp_path: Path
) -> None:
    sesame.write(CONFIG)
    trace = tmp_path / "trace.log"

    refused = sesame("apply", env={LIMIT: "20/300", TRACE: str(trace)})

    line = refused.stderr.strip().splitlines()[-1]
    assert refused.returncode == 5, refused.stderr
    assert "this apply needs about 28 Cloudflare API calls (28 record changes)" in line
    assert "over the token's limit of 20 per 300 s" in line and "fix: split" in line
    served = cloudflare_calls(trace)
    assert [m for m, _, _ in served if m != "GET"] == []  # not one record written
    # the preflight's lookups and listings (an empty zone's ends at its first, empty page),
    # the import's two reads, and nothing else
    assert len(served) == 4 + (2 + 1 + 1 + 1) + 2
    off = {LIMIT: "off"}
    status = json.loads(sesame.ok("status", "--json", env=off).stdout)
    assert not any(d["exists"] for d in status["domains"])

    # Applied with room to spare, a no-change plan makes exactly the calls sesame counts:
    # 4 lookups, 8 listings and one refresh read per record in state.
    sesame.ok("apply", env=off)
    trace.unlink()
    planned = sesame.ok("plan", env={LIMIT: "1200/300", TRACE: str(trace)})
    served = cloudflare_calls(trace)
    reads = [path for m, path, _ in served if m == "GET" and "/dns_records/" in path]
    assert len(served) == 4 + 4 * 2 + len(reads) and len(reads) == 28
    assert all(status == "200" for _, _, status in served)
    assert "Cloudflare API" not in planned.stderr  # it fit: no wait


def test_a_run_that_fits_the_limit_but_not_what_is_left_waits_for_the_next_window(
    sesame: Sesame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sesame.write(CONFIG)
    limit = "40/60"
    burn(sesame.top, 36, monkeypatch, limit)  # 4 left of 40 for 60 s (slack for slow CI)
    trace = tmp_path / "trace.log"

    planned = sesame("plan", env={LIMIT: limit, TRACE: str(trace)})

    assert planned.returncode == 0, planned.stderr
    waited = "Cloudflare API: this run needs about 11 more calls and 3 of 40 per 60 s are left"
    assert waited in planned.stderr
    served = cloudflare_calls(trace)
    assert len(served) == 4 + (2 + 1 + 1 + 1) + 2
    assert {status for *_, status in served} == {"200"}  # not one call refused


def test_a_token_already_blocked_ends_the_run_in_one_line(
    sesame: Sesame, monkeypatch: pytest.MonkeyPatch
) -> None:
    sesame.write(CONFIG)
    burn(sesame.top, 11, monkeypatch, "10/300")  # the 11th call blocks the token for 300 s

    blocked = sesame("plan", env={LIMIT: "10/300"})

    [line] = error_lines(blocked.stderr)
    assert blocked.returncode == 1, blocked.stderr
    assert "Cloudflare refused the call with HTTP 429" in line
    assert '"default";q=10;w=300' in line and "fix: wait" in line
    assert "blocked for 29" in line or "blocked for 300 s" in line


def test_shards_of_one_command_are_paced_so_no_call_is_refused(
    sesame: Sesame, tmp_path: Path
) -> None:
    """Two shards, each under the limit, together over it: the second waits for the next
    window (its wait shown at once, not held back with its other lines), and Cloudflare
    refuses not one call. Unpaced, the 11th call in the window would block the token."""
    config = make_config(
        {
            **domain("shop.example", shard="a"),
            **domain("blog.example", shard="a"),
            **domain("news.example", shard="b"),
            **domain("tenant.example", shard="b"),
        },
        shards={"count": 0},
    )
    sesame.write(config)
    trace = tmp_path / "trace.log"

    planned = sesame("plan", "--all-shards", env={LIMIT: "10/60", TRACE: str(trace)})

    assert planned.returncode == 0, planned.stderr
    waits = [ln for ln in planned.stderr.splitlines() if "Cloudflare API: shard " in ln]
    assert waits and all("waiting" in ln for ln in waits), planned.stderr
    served = cloudflare_calls(trace)
    assert len(served) > 10 and {status for *_, status in served} == {"200"}
