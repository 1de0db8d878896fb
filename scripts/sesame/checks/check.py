"""The result every check returns: one line, ok or what is wrong, its cause and the fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sesame import output


@dataclass
class Check:
    scope: str  # a domain, a sender, or a service (aws, r2, cloudflare)
    check: str
    ok: bool
    detail: str
    cause: str | None = None
    fix: str | None = None

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        text = f"{mark} {self.scope}: {self.check}: {self.detail}"
        if self.cause:
            text += f" — cause: {self.cause}"
        if self.fix:
            text += f"; fix: {self.fix}"
        return text


def as_json(checks: list[Check]) -> list[dict[str, Any]]:
    return [asdict(c) for c in checks]


def show(checks: list[Check], *, json_mode: bool, tally: bool = False) -> int:
    """One line per check (and a tally), or one JSON document; exit status 1 if any failed."""
    failed = [c for c in checks if not c.ok]
    if json_mode:
        output.emit_json({"ok": not failed, "checks": as_json(checks)})
    else:
        for check in checks:
            output.write_line(check.line())
        if tally:
            output.write_line(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
