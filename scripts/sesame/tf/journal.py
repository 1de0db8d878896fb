"""What an apply is about to create, written beside the state before it runs.

On Ctrl-C Terraform asks its providers to stop, and they cancel the requests in flight:
AWS may have made an IAM user, a configuration set, an SNS topic or an alarm whose answer
is never read, so it exists and the state does not hold it. The next apply would refuse
it ("already exists and is not sesame's", sesame.tf.adoption) and a destroy would leave
it. AWS's own tags cannot tell it from a thing another checkout made in the same account;
this journal can: it names, for this state, what the apply may create.

`<state key>.creating.json` in the state bucket: {"started": ISO time, "names": {kind:
[name, …]}}, kinds `configuration_set`, `iam_user`, `sns_topic`, `alarm`. Written (one
PUT, merged with a journal an earlier interrupted apply left) just before `terraform
apply`, deleted (one DELETE) when the apply completes. A run that finds a journal imports
the objects it names that exist outside state, and `sesame destroy` deletes them
(docs/ownership.md).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sesame.config import Config
from sesame.target import Target
from sesame.tf import state

KINDS = ("configuration_set", "iam_user", "sns_topic", "alarm")


def key(config: Config) -> str:
    return f"{config.backend.key}.creating.json"


def read(config: Config, target: Target) -> dict[str, set[str]]:
    """kind -> names an interrupted apply of this state may have created ({} when no
    apply was interrupted, or the journal is unreadable). One GET."""
    try:
        doc = json.loads(state.read_object(config, target, key(config)) or b"{}")
    except ValueError:
        return {}
    names = doc.get("names") if isinstance(doc, dict) else None
    if not isinstance(names, dict):
        return {}
    return {k: {str(n) for n in names.get(k) or []} for k in KINDS if names.get(k)}


def begin(config: Config, target: Target, creating: dict[str, list[str]]) -> None:
    """Before `terraform apply`: note what it may create (merged with an earlier journal,
    whose objects may still be outside state). Nothing to note: nothing written."""
    merged = read(config, target)
    for kind, names in creating.items():
        merged.setdefault(kind, set()).update(names)
    if not any(merged.values()):
        return
    doc: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "names": {k: sorted(merged[k]) for k in KINDS if merged.get(k)},
    }
    state.s3_client(target).put_object(
        Bucket=config.backend.bucket, Key=key(config), Body=json.dumps(doc, indent=1).encode()
    )


def end(config: Config, target: Target) -> None:
    """After an apply that completed: everything it made is in state."""
    state.s3_client(target).delete_object(Bucket=config.backend.bucket, Key=key(config))
