"""What an apply is about to create, written beside the state before it runs.

On Ctrl-C Terraform asks its providers to stop, and they cancel the requests in flight:
AWS may have made an IAM user, a configuration set, an SNS topic or an alarm whose answer
is never read, so it exists and the state does not hold it. The next apply would refuse
it ("already exists and is not sesame's", sesame.tf.adoption) and a destroy would leave
it. AWS's own tags cannot tell it from a thing another checkout made in the same account;
this journal can: it names, for this state, what the apply may create.

`<state key>.creating.json` in the state bucket: {"started": ISO time, "names": {kind:
[name, …]}}, kinds `configuration_set`, `iam_user`, `sns_topic`, `alarm`, `access_key`. Written (one
PUT, merged with a journal an earlier interrupted apply left) just before `terraform
apply`, deleted (one DELETE) when the apply completes. A run that finds a journal imports
the objects it names that exist outside state, and `sesame destroy` deletes them
(docs/ownership.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sesame.config import Config
from sesame.target import Target
from sesame.tf import state

KINDS = ("configuration_set", "iam_user", "sns_topic", "alarm", "access_key")
# access_key: the key senders (users) whose keys the apply may create: a key outside state
# made at or after `started` lost its secret with the answer (sesame.tf.adoption).


def key(config: Config) -> str:
    return f"{config.backend.key}.creating.json"


@dataclass(frozen=True)
class Journal:
    """An interrupted apply's journal: kind -> names, and when that apply began (None:
    no journal, nothing to recover)."""

    names: dict[str, set[str]] = field(default_factory=dict)
    started: datetime | None = None


def read(config: Config, target: Target) -> Journal:
    """This state's journal (empty when no apply was interrupted, or it is unreadable).
    One GET: a command reads it once and passes it on."""
    try:
        doc = json.loads(state.read_object(config, target, key(config)) or b"{}")
        names = doc["names"]
        when = datetime.fromisoformat(doc["started"])
    except (ValueError, KeyError, TypeError):
        return Journal()
    if not isinstance(names, dict):
        return Journal()
    return Journal({k: {str(n) for n in names.get(k) or []} for k in KINDS if names.get(k)}, when)


def begin(config: Config, target: Target, creating: dict[str, list[str]]) -> None:
    """Before `terraform apply`: note what it may create (merged with an earlier journal,
    whose objects may still be outside state). Nothing to note: nothing written."""
    earlier = read(config, target)
    merged = {k: set(v) for k, v in earlier.names.items()}
    for kind, names in creating.items():
        merged.setdefault(kind, set()).update(names)
    if not any(merged.values()):
        return
    doc: dict[str, Any] = {
        # an earlier interrupted apply's keys stay recognisable: keep its start
        "started": (earlier.started or datetime.now(UTC)).isoformat(timespec="seconds"),
        "names": {k: sorted(merged[k]) for k in KINDS if merged.get(k)},
    }
    state.s3_client(target).put_object(
        Bucket=config.backend.bucket, Key=key(config), Body=json.dumps(doc, indent=1).encode()
    )


def end(config: Config, target: Target) -> None:
    """After an apply that completed: everything it made is in state."""
    state.s3_client(target).delete_object(Bucket=config.backend.bucket, Key=key(config))
