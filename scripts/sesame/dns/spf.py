"""SPF records (RFC 7208): recognising them and counting their DNS lookups."""

from __future__ import annotations

import re

from sesame.dns.txt import unquote

LOOKUP_LIMIT = 10  # RFC 7208 section 4.6.4
SES_INCLUDE = "include:amazonses.com"
_LOOKUP_TERM = re.compile(r"^[-~?+]?(include:|a$|a:|a/|mx$|mx:|mx/|ptr$|ptr:|exists:)|^redirect=")


def is_spf(content: str) -> bool:
    text = unquote(content).lower()
    return text == "v=spf1" or text.startswith("v=spf1 ")


def lookups(record: str) -> int:
    """DNS-querying terms in the record itself (nested includes are resolved by verify)."""
    return sum(1 for term in unquote(record).split()[1:] if _LOOKUP_TERM.match(term.lower()))


def lookups_after_merge(record: str) -> int:
    """Lookups once sesame adds include:amazonses.com (if it is not there yet)."""
    terms = unquote(record).lower().split()
    return lookups(record) + (0 if SES_INCLUDE in terms else 1)
