"""The SES SMTP password (version 4), derived from an IAM secret access key for a region.

AWS's documented algorithm (docs/credentials.md). The user name is the access key ID,
and the region is the SES region whose SMTP endpoint the client uses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_DATE = "11111111"
_SERVICE = "ses"
_TERMINAL = "aws4_request"
_MESSAGE = "SendRawEmail"
_VERSION = b"\x04"


def _sign(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def smtp_password_v4(secret_access_key: str, region: str) -> str:
    k = _sign(("AWS4" + secret_access_key).encode("utf-8"), _DATE)
    for part in (region, _SERVICE, _TERMINAL, _MESSAGE):
        k = _sign(k, part)
    return base64.b64encode(_VERSION + k).decode("ascii")
