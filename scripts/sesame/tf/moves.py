"""Moving domains between shards: their state moves, nothing in AWS or DNS is touched.

A domain is in the wrong state when its shard changed (its `shard:`, or `shards.count`
grew) or when sesame.yaml gained `shards:` (everything is in the one state at
`backend.key`). Before a sharded plan or apply, sesame reads every state under the key
prefix (and that one state), finds each configured domain's objects outside its shard's
state, and moves them: identity, DKIM keys, configuration set, topics, alarms, DNS records
(adopted originals included) and the domain's senders with their access keys and secrets,
so nothing is destroyed and created again. The account-wide objects go to the global
shard.

How: both states are backed up (`<key>.backups/`), the objects' instances are moved
between the two state documents (Terraform state format 4: the same resource addresses,
instance by instance), and each document is pushed back with `terraform state push`, which
takes that state's lock and refuses a lineage or serial that does not follow the remote
one. The destination is pushed first: an interruption in between leaves the domain in both
states, and the next run finds it already at home and drops it from the source only.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from sesame import aws, output, shards
from sesame.config import Config
from sesame.errors import FatalError
from sesame.target import Target
from sesame.tf import fanout, runner, state

ACCOUNT = "(account)"  # the owner of the account-wide objects
_ACCOUNT_RESOURCES = {("aws_sns_topic", "alarms"), ("aws_sns_topic_subscription", "alarms")}


@dataclass
class Move:
    source: str  # state key
    dest: str
    owners: list[str] = field(default_factory=list)  # domains, or ACCOUNT


def owner(res: dict[str, Any], key: Any, senders: dict[str, str]) -> str | None:
    """Whose object one state instance is: a domain, ACCOUNT, or None (shared, e.g. the
    caller-identity data source every run reads)."""
    if (res.get("type"), res.get("name")) in _ACCOUNT_RESOURCES:
        return ACCOUNT
    if not isinstance(key, str):
        return None
    head = key.split("/", 1)[0]
    if head == "account":
        return ACCOUNT
    if key in senders and res.get("type", "").startswith(("aws_iam", "aws_iam_policy")):
        return senders[key]
    return head if "." in head else None


def _list_keys(config: Config, target: Target) -> list[str]:
    """Every shard state under the key prefix (backups excluded), and the one unsharded state."""
    s3 = aws.r2_client(target)
    prefix = shards.key_prefix(config) + "/"
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=config.backend.bucket, Prefix=prefix
    ):
        for o in page.get("Contents", []):
            rest = o["Key"][len(prefix) :]
            if rest.endswith(".tfstate") and "/" not in rest:
                keys.append(o["Key"])
    try:
        s3.head_object(Bucket=config.backend.bucket, Key=config.backend.key)
        keys.append(config.backend.key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    return sorted(keys)


def _document(config: Config, target: Target, key: str) -> dict[str, Any]:
    keyed = config.model_copy(update={"backend": config.backend.model_copy(update={"key": key})})
    return state.document(keyed, target)


def owners_in(doc: dict[str, Any], senders: dict[str, str]) -> set[str]:
    found = set()
    for res in doc.get("resources") or []:
        for inst in res.get("instances") or []:
            who = owner(res, inst.get("index_key"), senders)
            if who:
                found.add(who)
    return found


def destinations(config: Config, docs: dict[str, dict[str, Any]]) -> list[Move]:
    """The moves the state documents (by key) need: each configured domain to its shard's
    state, the account-wide objects to the global shard's. A domain no longer configured
    stays where it is, for that shard's plan to destroy, unless its state belongs to no
    current shard (`shards.count` lowered, a pinned shard or `shards:` itself removed):
    then it goes to the shard rendezvous hashing gives it now (the global one without
    hashed shards), or nothing would ever plan its removal."""
    home = {d: shards.state_key(config, s) for d, s in shards.assign(config).items()}
    home[ACCOUNT] = shards.state_key(config, shards.global_name(config))
    current = {shards.state_key(config, s) for s in shards.names(config)}
    hashed = shards.hashed_names(config)
    senders = {n: dom for n, (dom, _) in config.senders().items()}
    moves: dict[tuple[str, str], Move] = {}
    for key, doc in docs.items():
        for who in sorted(owners_in(doc, senders)):
            dest = home.get(who)
            if dest is None and key not in current:
                shard = shards.rendezvous(who, hashed) if hashed else shards.global_name(config)
                dest = shards.state_key(config, shard)
            if dest is not None and dest != key:
                moves.setdefault((key, dest), Move(key, dest)).owners.append(who)
    return list(moves.values())


def pending(config: Config, target: Target) -> tuple[list[Move], dict[str, dict[str, Any]]]:
    """The moves the states need (and the documents read), source and destination keys."""
    docs = {key: _document(config, target, key) for key in _list_keys(config, target)}
    return destinations(config, docs), docs


def _blank(like: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": 4,
        "terraform_version": like.get("terraform_version", "1.11.4"),
        "serial": 0,
        "lineage": str(uuid.uuid4()),
        "outputs": {},
        "resources": [],
        "check_results": None,
    }


def split(
    source: dict[str, Any], dest: dict[str, Any], owners: set[str], senders: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """New (source, dest) documents with the owners' instances moved (an instance the
    destination already holds is only dropped from the source); both serials advance."""
    src, dst = copy.deepcopy(source), copy.deepcopy(dest) if dest else _blank(source)
    ident = ("module", "mode", "type", "name")
    index = {tuple(r.get(k) for k in ident): r for r in dst.get("resources") or []}
    moved = 0
    kept_resources = []
    for res in src.get("resources") or []:
        stay, go = [], []
        for inst in res.get("instances") or []:
            (go if owner(res, inst.get("index_key"), senders) in owners else stay).append(inst)
        if go:
            target_res = index.get(tuple(res.get(k) for k in ident))
            if target_res is None:
                target_res = {**{k: v for k, v in res.items() if k != "instances"}, "instances": []}
                dst.setdefault("resources", []).append(target_res)
                index[tuple(res.get(k) for k in ident)] = target_res
            there = {json.dumps(i.get("index_key")) for i in target_res["instances"]}
            for inst in go:
                if json.dumps(inst.get("index_key")) not in there:
                    target_res["instances"].append(inst)
                moved += 1
        if stay or not go:
            kept_resources.append({**res, "instances": stay})
    src["resources"] = kept_resources
    src["serial"] = int(src.get("serial", 0)) + 1
    dst["serial"] = int(dst.get("serial", 0)) + 1
    return src, dst, moved


def _shard_of(config: Config, key: str) -> str | None:
    for s in shards.names(config):
        if shards.state_key(config, s) == key:
            return s
    return None


def _terraform(config: Config, target: Target, key: str) -> Any:
    """An initialised terraform on the state at `key` (its own work dir)."""
    shard = _shard_of(config, key)
    if shard is not None:
        part = shards.view(config, shard)
    else:  # the unsharded state, or a shard no longer configured
        backend = config.backend.model_copy(update={"key": key})
        part = config.model_copy(update={"backend": backend})
    name = shard or "_" + key.replace("/", "_").removesuffix(".tfstate")
    sub = fanout.shard_target(target, name)
    return runner.init(part, sub), part, sub


def _push(config: Config, target: Target, key: str, doc: dict[str, Any]) -> None:
    tf, part, sub = _terraform(config, target, key)
    saved = state.backup(part, target)
    if saved:
        output.status(f"state backed up to {saved}")
    path = sub.workdir / "moving.tfstate"
    path.write_text(json.dumps(doc))
    path.chmod(0o600)
    try:
        if not tf.state_push(path):
            raise FatalError(
                f"terraform state push to {key} was refused (see above: a lock another run holds, "
                "or a state that changed since this run read it); nothing else was moved; fix: "
                "run the command again (the moves pick up where they stopped)"
            )
    finally:
        path.unlink(missing_ok=True)  # it holds sender secrets


def settle(config: Config, target: Target, *, read_only: bool = False) -> list[Move]:
    """Move every domain (and the account-wide objects) into its shard's state. Read-only
    credentials cannot: each pending move is named in one line and nothing is moved."""
    if config.shards is None:
        return []
    moves, docs = pending(config, target)
    senders = {n: dom for n, (dom, _) in config.senders().items()}
    for m in moves:
        what = ", ".join(m.owners)
        if read_only:
            output.status(
                f"shard move pending: {what} from {m.source} to {m.dest} (state only); plans "
                "of both show it as destroy and create until it is done; fix: run "
                "`sesame apply` (or `plan`) with the apply credentials first"
            )
            continue
        output.step(f"moving {what} from {m.source} to {m.dest} (state only, nothing recreated)")
        src, dst, count = split(docs[m.source], docs.get(m.dest) or {}, set(m.owners), senders)
        _push(config, target, m.dest, dst)
        _push(config, target, m.source, src)
        # As the backend holds them: a push to a key with no state yet gets the lineage
        # Terraform gives it, not the file's, and a second move into it must carry that one.
        docs[m.source] = _document(config, target, m.source)
        docs[m.dest] = _document(config, target, m.dest)
        output.status(f"moved {count} object(s) of {what}: {m.source} → {m.dest}")
    return moves
