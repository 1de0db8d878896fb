"""Stand-ins for the public DNS names sesame's checks reach outside the user's zones.

The sandbox has no Internet, so these few records play the parts of Amazon's and Google's
real ones. They are NOT live data: the SPF ranges are a snapshot good enough for lookup
counting and include chains, and the DKIM key is a fixed, valid 2048-bit RSA public key
whose private half was thrown away (real SES publishes one per token).

Keys are lowercase FQDNs without the trailing dot; a `*` label matches exactly one label
(so `*.dkim.*.amazonses.com` matches `tok.dkim.eu-west-1.amazonses.com`), and an exact key
wins over a pattern. Values are `(type, text)`: TXT text is the unquoted value (split into
255-byte strings when served), anything else is the rdata in zone-file form.
"""

from __future__ import annotations

AMAZONSES_SPF = (
    "v=spf1 ip4:199.255.192.0/22 ip4:199.127.232.0/22 ip4:54.240.0.0/18 ip4:69.169.224.0/20"
    " ip4:23.249.208.0/20 ip4:23.251.224.0/19 ip4:76.223.176.0/20 ip4:54.240.64.0/19"
    " ip4:54.240.96.0/19 ip4:52.82.172.0/22 -all"
)
GOOGLE_SPF = (
    "v=spf1 include:_netblocks.google.com include:_netblocks2.google.com"
    " include:_netblocks3.google.com ~all"
)
GOOGLE_NETBLOCKS = (
    "v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip4:66.102.0.0/20 ip4:66.249.80.0/20"
    " ip4:72.14.192.0/18 ip4:74.125.0.0/16 ip4:108.177.8.0/21 ip4:173.194.0.0/16"
    " ip4:209.85.128.0/17 ip4:216.58.192.0/19 ip4:216.239.32.0/19 ~all"
)
GOOGLE_NETBLOCKS2 = (
    "v=spf1 ip6:2001:4860:4000::/36 ip6:2404:6800:4000::/36 ip6:2607:f8b0:4000::/36"
    " ip6:2800:3f0:4000::/36 ip6:2a00:1450:4000::/36 ip6:2c0f:fb50:4000::/36 ~all"
)
GOOGLE_NETBLOCKS3 = (
    "v=spf1 ip4:172.217.0.0/19 ip4:172.217.32.0/20 ip4:172.217.128.0/19 ip4:172.217.160.0/20"
    " ip4:172.217.192.0/19 ip4:172.253.56.0/21 ip4:172.253.112.0/20 ip4:108.177.96.0/19"
    " ip4:35.191.0.0/16 ip4:130.211.0.0/22 ~all"
)
# base64 DER SubjectPublicKeyInfo of a throwaway 2048-bit RSA key (392 characters, so it is
# served as two character-strings, as SES's real keys are)
DKIM_PUBLIC_KEY = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzLOFIcha/dJE04kTv63yV7pAwODZmnEROL"
    "lJuQkuj9rnp/YUfJR6heKwCtg6ywGwJGRNJKT/FMfu8OX2NYGq70ukz1CAsSfj7+nIsFU9A2yyl10e"
    "uM/P0Bm2ot7H+LGx/We/NGHlNEa2mzr6333vB5Li1VYN6HpQREqe+Y0F82vXLmnnkQxXm/HmHqYkc1"
    "piECZC2rzM321pCd/VrOhyosg7Vsz+JO4imHgPXKk/favbvImjmZW2DV2F+u9G/Au6HmuRaHa0t9bE"
    "UCxn1doyzfjq/P+iorzpsJQ9BhLInpnrr4fy8Yshrj5W79msrfGWHNoRa+hTT7U6Lg1vQ5TenwIDAQ"
    "AB"
)
DKIM_TXT = f"p={DKIM_PUBLIC_KEY}"
# where the MAIL FROM MX points (a TEST-NET-1 address: nothing listens there)
FEEDBACK_SMTP_ADDRESS = "192.0.2.25"
# the SES SMTP endpoint resolves to the sandbox's own SMTP server on loopback
SMTP_ENDPOINT_ADDRESS = "127.0.0.1"

EXTERNAL_RECORDS: dict[str, list[tuple[str, str]]] = {
    "amazonses.com": [("TXT", AMAZONSES_SPF)],
    "_spf.google.com": [("TXT", GOOGLE_SPF)],
    "_netblocks.google.com": [("TXT", GOOGLE_NETBLOCKS)],
    "_netblocks2.google.com": [("TXT", GOOGLE_NETBLOCKS2)],
    "_netblocks3.google.com": [("TXT", GOOGLE_NETBLOCKS3)],
    "*.dkim.amazonses.com": [("TXT", DKIM_TXT)],
    "*.dkim.*.amazonses.com": [("TXT", DKIM_TXT)],
    "feedback-smtp.*.amazonses.com": [("A", FEEDBACK_SMTP_ADDRESS)],
    "email-smtp.*.amazonaws.com": [("A", SMTP_ENDPOINT_ADDRESS)],
}
