"""SPF records (RFC 7208): Cloudflare's quoted TXT form, and the merge sesame makes.

Evaluation (lookups, void lookups, include/redirect chains) is spf_eval.py's.
"""

from __future__ import annotations

import re

from sesame.dns.txt import unquote

LOOKUP_LIMIT = 10  # RFC 7208 section 4.6.4
SES_INCLUDE = "include:amazonses.com"
# what terraform/cloudflare/main.tf inserts include:amazonses.com before
_TERMINAL = re.compile(r"\s+([-~?+]?all|redirect=\S+)\s*$")


def is_spf(content: str) -> bool:
    text = unquote(content).lower()
    return text == "v=spf1" or text.startswith("v=spf1 ")


def merged(record: str) -> str:
    """The record once sesame merges include:amazonses.com into it (as Terraform does)."""
    text = unquote(record)
    if SES_INCLUDE in text:
        return text
    if _TERMINAL.search(text):
        return _TERMINAL.sub(rf" {SES_INCLUDE} \1", text, count=1)
    return f"{text} {SES_INCLUDE}"
