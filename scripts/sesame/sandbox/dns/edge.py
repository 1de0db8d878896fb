"""Cloudflare's edge, as the sandbox DNS serves it for proxied (orange-cloud) records.

Cloudflare's name servers never reveal a proxied record: for a proxied A, AAAA or CNAME
they answer A and AAAA queries with addresses of Cloudflare's own edge, and a CNAME query
(or any other type) at that name finds nothing. So a proxied DKIM CNAME is invisible to SES
and to receivers, which look for the CNAME's target.

The sandbox cannot use Cloudflare's real edge addresses, so it answers with addresses from
the ranges reserved for documentation: TEST-NET-2 (RFC 5737) and 2001:db8::/32
(RFC 3849). Nothing listens there; other sandbox stand-ins use TEST-NET-1.
"""

from __future__ import annotations

EDGE_IPV4 = ("198.51.100.1", "198.51.100.2")
EDGE_IPV6 = ("2001:db8:cf::1", "2001:db8:cf::2")
