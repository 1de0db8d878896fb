"""Records sesame created that its state never recorded: the leftovers of a Ctrl-C.

On Ctrl-C, Terraform asks its providers to stop, and a provider cancels the requests it
has in flight. Cloudflare may already have made the record whose answer is then never
read, so the record exists and the state does not hold it (seen in CI: a DKIM CNAME made
while sesame was interrupted after `_dmarc`, docs/ownership.md). The next apply would
otherwise refuse it as a conflict, adopt it as a record made before sesame, or ask for
`dmarc.existing`, and a destroy would leave it in the zone.

A record is such an orphan when it is not in state, sits at a name sesame writes, has the
type sesame writes there (an SPF TXT at the domain and MAIL FROM name, a DMARC TXT at
`_dmarc`), and carries exactly the comment sesame puts on the records it creates
(`COMMENT`, the Cloudflare module's `comment` default). Records sesame adopted carry a
different comment (`… [adopted: …]`). A person who writes exactly that comment on a record
at one of those names is taken at their word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sesame.config import Domain
from sesame.dns.conflicts import Planned, planned
from sesame.dns.spf_eval import is_spf
from sesame.dns.txt import unquote

# terraform/cloudflare/variables.tf, variable "comment", default (tied by a test)
COMMENT = "managed by sesame"


def _fits(item: Planned, record: Any) -> bool:
    if record.type != item.type:
        return False
    if item.key in ("spf", "mail_from_spf"):
        return is_spf(unquote(record.content))
    if item.key == "dmarc":
        return unquote(record.content).startswith("v=DMARC1")
    return True


def _outside_state(
    item: Planned, by_name: Mapping[str, list[Any]], ours: frozenset[str]
) -> list[Any]:
    """The records at `item`'s name that sesame made for it and state does not hold."""
    return [
        r
        for r in by_name.get(item.name, [])
        if r.id not in ours and r.comment == COMMENT and _fits(item, r)
    ]


def find(
    items: Iterable[Planned], by_name: Mapping[str, list[Any]], ours: frozenset[str]
) -> dict[str, Any]:
    """`domain/key` -> the record sesame created for that key and state does not hold.

    `items`: the records sesame writes for a domain (`conflicts.planned`, with the DKIM
    tokens SES states); `by_name`: the zone's records by lowercase name; `ours`: IDs of the
    records state holds. The first fitting record per key (a second one is a conflict that
    `conflicts.check_zone` names)."""
    found: dict[str, Any] = {}
    for item in items:
        for record in _outside_state(item, by_name, ours):
            found.setdefault(f"{item.domain}/{item.key}", record)
    return found


def strays(
    domain: str, d: Domain, by_name: Mapping[str, list[Any]], ours: frozenset[str]
) -> list[Any]:
    """For `sesame destroy`: every orphan of `domain`, DKIM CNAMEs included whatever their
    token (the identity may be gone already): the records to delete after the state's own
    are destroyed."""
    below = f"._domainkey.{domain}"
    tokens = [name.removesuffix(below) for name in by_name if name.endswith(below)]
    return [r for item in planned(domain, d, tokens) for r in _outside_state(item, by_name, ours)]
