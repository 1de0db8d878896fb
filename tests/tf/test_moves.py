"""Shards in the sandbox: each its own state key in the R2 stand-in, a one-domain change
plans only its shard (selected from a real git diff), and a domain moved between shards
keeps its identity, keys and records (state moves, nothing destroyed or created)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml
from botocore.config import Config as BotoConfig

from sesame.config import Config
from sesame.sandbox.world import Sandbox
from sesame.target import workdir_for
from sesame.tf import moves
from testing import Sesame, domain, make_config

CONFIG = make_config(
    {
        **domain(
            "one.example", {"sh-smtp": {"kind": "smtp", "from": ["a@one.example"]}}, shard="one"
        ),
        **domain(
            "two.example", {"sh-api": {"kind": "api", "from": ["b@two.example"]}}, shard="two"
        ),
    },
    shards={},
)


def _git(top: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(top), *args], check=True, capture_output=True)


def _state_objects(top: Path, data: dict) -> dict[str, dict]:
    cfg = Config.model_validate(data)
    with Sandbox(workdir_for(top, "sandbox"), cfg) as sb:
        s3 = sb.client("s3", region="us-east-1", config=BotoConfig(s3={"addressing_style": "path"}))
        listed = s3.list_objects_v2(Bucket=cfg.backend.bucket).get("Contents", [])
        keys = [
            o["Key"] for o in listed if o["Key"].endswith(".tfstate") and ".backups" not in o["Key"]
        ]
        return {
            k: json.loads(s3.get_object(Bucket=cfg.backend.bucket, Key=k)["Body"].read())
            for k in keys
        }


def _ids(doc: dict) -> dict[str, str]:
    """Every managed instance's ID by address: what a recreate would change."""
    out = {}
    for res in doc.get("resources") or []:
        if res["mode"] != "managed":
            continue
        for inst in res["instances"]:
            out[f"{res['module']}.{res['type']}.{res['name']}[{inst.get('index_key')}]"] = inst[
                "attributes"
            ].get("id")
    return out


def test_shards_apply_to_own_state_keys_plan_only_what_changed_and_move_without_recreate(
    sesame: Sesame,
) -> None:
    top = sesame.top
    sesame.write(CONFIG)
    _git(top, "init", "-q", "-b", "main")
    _git(
        top,
        "-c",
        "user.email=t@example.net",
        "-c",
        "user.name=t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "0",
    )
    (top / ".gitignore").write_text(".sesame/\n")
    _git(top, "add", "sesame.yaml", ".gitignore")
    _git(top, "-c", "user.email=t@example.net", "-c", "user.name=t", "commit", "-q", "-m", "base")

    applied = sesame.ok("apply")
    assert "applied 3 shard(s)" in applied.stdout
    for shard in ("global", "one", "two"):
        assert f"shard {shard}: applied: " in applied.stderr
    states = _state_objects(top, CONFIG)
    assert sorted(states) == [f"sesame/terraform/{s}.tfstate" for s in ("global", "one", "two")]
    before = {k: _ids(v) for k, v in states.items()}
    assert any("aws_sns_topic.alarms" in a for a in before["sesame/terraform/global.tfstate"])
    assert not any("one.example" in a for a in before["sesame/terraform/two.tfstate"])
    listed = sesame.ok("credentials").stdout
    # each shard kept the other's senders' credentials
    assert "sh-smtp" in listed and "sh-api" in listed and "no credentials yet" not in listed
    # `records` reads the domain's own shard's state: the DKIM CNAMEs SES named are there.
    for name in ("one.example", "two.example"):
        shown = sesame.ok("records", name, "--format", "json")
        keys = [r["key"] for r in json.loads(shown.stdout)["records"]]
        assert keys[:3] == ["dkim1", "dkim2", "dkim3"] and "not applied yet" not in shown.stderr

    # One domain's change: only its shard is planned.
    changed = yaml.safe_load(yaml.safe_dump(CONFIG))
    changed["domains"]["two.example"]["mail_from"] = "bounce"
    sesame.write(changed)
    planned = sesame("plan", "--changed-since", "main", "--detailed-exitcode")
    assert planned.returncode == 2, planned.stderr
    assert "shard two" in planned.stderr or "1 shard(s)" in planned.stdout
    assert "shard one" not in planned.stderr and "shard global" not in planned.stderr

    # Moving a domain to another shard: its state moves, nothing is destroyed or created.
    moved = yaml.safe_load(yaml.safe_dump(CONFIG))
    moved["domains"]["two.example"]["shard"] = "one"
    sesame.write(moved)
    keys_before = sesame.ok("credentials", "sh-api", "--format", "json", "--reveal").stdout
    applied = sesame.ok("apply", "--changed-since", "main")
    assert (
        "moving two.example from sesame/terraform/two.tfstate to sesame/terraform/one.tfstate"
        in (applied.stderr)
    )
    # Shard two is gone from the configuration (nothing to plan there); one takes the domain.
    assert "applied 1 shard(s): 0 added, 0 changed, 0 destroyed" in applied.stdout
    after = {k: _ids(v) for k, v in _state_objects(top, moved).items()}
    was = {a: i for a, i in before["sesame/terraform/two.tfstate"].items()}
    now = after["sesame/terraform/one.tfstate"]
    assert was and all(now.get(a) == i for a, i in was.items())  # same objects, same IDs
    assert not any("two.example" in a for a in after["sesame/terraform/two.tfstate"])
    assert sesame.ok("credentials", "sh-api", "--format", "json", "--reveal").stdout == keys_before


def test_two_domains_moving_into_a_shard_with_no_state_yet_move_in_one_run(
    sesame: Sesame,
) -> None:
    """Raising `count` from 2 to 3: shard-2 wins t3 (from shard-0) and t9 (from shard-1).
    The first push creates shard-2's state with the lineage Terraform gives it; the second
    move must carry that one (it carried the file's, and Terraform refused the push)."""
    two = make_config({**domain("t3.example.net"), **domain("t9.example.net")}, shards={"count": 2})
    sesame.write(two)
    sesame.ok("apply")
    before = {k: _ids(v) for k, v in _state_objects(sesame.top, two).items()}
    three = {**two, "shards": {"count": 3}}
    sesame.write(three)
    planned = sesame("plan", "--detailed-exitcode")
    assert planned.returncode == 0, planned.stderr[-3000:]  # both moved, nothing to change
    for name, source in (("t3.example.net", "shard-0"), ("t9.example.net", "shard-1")):
        assert f"moving {name} from sesame/terraform/{source}.tfstate to " in planned.stderr
    after = {k: _ids(v) for k, v in _state_objects(sesame.top, three).items()}
    moved = {
        **before["sesame/terraform/shard-0.tfstate"],
        **before["sesame/terraform/shard-1.tfstate"],
    }
    now = after["sesame/terraform/shard-2.tfstate"]
    domains = ("t3.example.net", "t9.example.net")
    ours = {a: i for a, i in moved.items() if any(d in a for d in domains)}
    assert ours and all(now.get(a) == i for a, i in ours.items())  # same objects, same IDs


def _doc(*resources: dict) -> dict:
    return {"version": 4, "serial": 7, "lineage": "L", "resources": list(resources)}


def _res(type_: str, name: str, *keys: object) -> dict:
    return {
        "module": "module.aws",
        "mode": "managed",
        "type": type_,
        "name": name,
        "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
        "instances": [{"index_key": k, "attributes": {"id": f"{name}-{k}"}} for k in keys],
    }


def test_split_moves_a_domains_instances_and_senders_and_nothing_else() -> None:
    source = _doc(
        _res("aws_sesv2_email_identity", "this", "a.example", "b.example"),
        _res("aws_cloudwatch_metric_alarm", "reputation", "a.example/bounce", "account/bounce"),
        _res("aws_iam_user", "this", "a-smtp", "b-smtp"),
        _res("aws_sns_topic", "alarms", None),
    )
    senders = {"a-smtp": "a.example", "b-smtp": "b.example"}
    src, dst, count = moves.split(source, {}, {"a.example"}, senders)
    assert count == 3
    assert moves.owners_in(dst, senders) == {"a.example"}
    assert moves.owners_in(src, senders) == {"b.example", moves.ACCOUNT}
    assert src["serial"] == 8 and src["lineage"] == "L" and dst["serial"] == 1

    # Interrupted between the two pushes: the destination already holds it; only dropped.
    again, dst2, _ = moves.split(source, dst, {"a.example"}, senders)
    assert moves.owners_in(again, senders) == {"b.example", moves.ACCOUNT}
    assert _ids_flat(dst2) == _ids_flat(dst)


def _ids_flat(doc: dict) -> list[str]:
    return sorted(i["attributes"]["id"] for r in doc["resources"] for i in r["instances"])


def _moves(config: Config, docs: dict[str, dict]) -> dict[tuple[str, str], list[str]]:
    return {(m.source, m.dest): m.owners for m in moves.destinations(config, docs)}


def test_a_removed_domain_in_a_state_no_shard_owns_goes_where_its_removal_is_planned() -> None:
    """`shards.count` 3 -> 2: shard-2's state keeps a domain that was also taken out of
    sesame.yaml; it moves to the shard hashing gives it now, whose plan destroys it (left
    where it was, no run would ever plan its removal). A removed domain in a current shard's
    state stays there; a configured one goes home as before."""
    cfg = Config.model_validate(
        make_config({"kept.example": {}, "gone-too.example": {}}, shards={"count": 2})
    )
    # Rendezvous over shard-0 and shard-1: kept -> shard-1; old, gone-too -> shard-0.
    key = "sesame/terraform/{}.tfstate".format
    docs = {
        key("shard-2"): _doc(
            _res("aws_sesv2_email_identity", "this", "kept.example", "old.example")
        ),
        key("shard-0"): _doc(
            _res("aws_sesv2_email_identity", "this", "gone-too.example", "removed.example")
        ),
    }
    assert _moves(cfg, docs) == {
        (key("shard-2"), key("shard-1")): ["kept.example"],
        (key("shard-2"), key("shard-0")): ["old.example"],
        # gone-too.example is home already; removed.example stays in shard-0, a current
        # shard, whose plan destroys it.
    }


def test_removing_the_shards_section_keeps_every_domain_plannable() -> None:
    """Only pinned shards configured (no hashed ones): a removed domain in a shard no longer
    configured goes to the global shard, whose plan destroys it."""
    cfg = Config.model_validate(make_config({"a.example": {"shard": "blue"}}, shards={}))
    docs = {
        "sesame/terraform/red.tfstate": _doc(_res("aws_sesv2_email_identity", "this", "x.example"))
    }
    assert _moves(cfg, docs) == {
        ("sesame/terraform/red.tfstate", "sesame/terraform/global.tfstate"): ["x.example"]
    }
