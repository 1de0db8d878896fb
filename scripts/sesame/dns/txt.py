"""TXT record content as Cloudflare stores it: quoted strings of at most 255 characters.

The one Python unquoting rule; terraform/cloudflare/main.tf applies the same rule to the
records it adopts (tests/dns/test_txt.py runs both on the same samples).
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def unquote(content: str) -> str:
    """`"v=spf1 a" "b ~all"` (Cloudflare's stored form) -> `v=spf1 ab ~all` (RFC 7208 3.3;
    RFC 1035 presentation form: `\\"` and `\\\\` are a quote and a backslash)."""
    content = content.strip()
    if content.startswith('"'):
        return "".join(re.sub(r"\\(.)", r"\1", s) for s in _QUOTED.findall(content))
    return content
