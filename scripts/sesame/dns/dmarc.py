"""DMARC records (RFC 7489): tags split with checkdmarc's tokenizer, the library verify uses."""

from __future__ import annotations

from checkdmarc.dmarc import DMARC_TAG_VALUE_REGEX

from sesame.dns.txt import unquote

STRENGTH = {"none": 0, "quarantine": 1, "reject": 2}


def is_dmarc(content: str) -> bool:
    return unquote(content).startswith("v=DMARC1")


def tags(content: str) -> dict[str, str]:
    """`v=DMARC1; p=reject; pct=50` -> {"v": "DMARC1", "p": "reject", "pct": "50"}."""
    return {t.lower(): v.strip() for t, v in DMARC_TAG_VALUE_REGEX.findall(unquote(content))}


def strength(content: str | None) -> tuple[int, int] | None:
    """(policy strength, pct) to compare two records; None when `content` is not DMARC."""
    if not content or "v=DMARC1" not in content:
        return None
    found = tags(content)
    pct = found.get("pct", "")
    return STRENGTH.get(found.get("p", "none").lower(), 0), int(pct) if pct.isdigit() else 100
