"""The sandbox's authoritative DNS server over the Cloudflare emulator's live records.

`EXTERNAL_RECORDS` are stand-ins for the few public DNS names sesame's checks read (Amazon
SES's and Google's SPF, SES DKIM keys, SES endpoints); see external.py.
"""

from .external import EXTERNAL_RECORDS
from .server import DnsServer

__all__ = ["EXTERNAL_RECORDS", "DnsServer"]
