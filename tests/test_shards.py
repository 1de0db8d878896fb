"""Shard assignment and selection (sesame.shards): stable, explicit, and driven by a real
git diff of sesame.yaml."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest
import yaml

from sesame import config, shards
from sesame.errors import ConfigError
from testing import Sesame, domain, error_lines, example_config, make_config


def _parse(data: dict) -> config.Config:
    return config.parse(yaml.safe_dump(data), Path("sesame.yaml"))


def _sharded(count: int = 3, **domains_extra: dict) -> dict:
    data = copy.deepcopy(example_config())
    data["shards"] = {"count": count}
    for name, extra in domains_extra.items():
        data["domains"][name.replace("_", ".")].update(extra)
    return data


def test_without_shards_the_state_key_and_run_are_unchanged() -> None:
    cfg = _parse(example_config())
    assert cfg.shard is None and cfg.account_resources
    assert shards.names(cfg) == []
    assert shards.select(cfg, Path("sesame.yaml"), shard=None, all_shards=False, since=None) is None


def test_each_shard_has_its_own_state_key_and_only_global_holds_account_resources() -> None:
    cfg = _parse(_sharded(2))
    views = {s: shards.view(cfg, s) for s in shards.names(cfg)}
    assert list(views) == ["global", "shard-0", "shard-1"]
    assert {s: v.backend.key for s, v in views.items()} == {
        s: f"sesame/terraform/{s}.tfstate" for s in views
    }
    assert [s for s, v in views.items() if v.account_resources] == ["global"]
    assert views["global"].domains == {}
    every = sorted(d for v in views.values() for d in v.domains)
    assert every == sorted(cfg.domains)


def test_explicit_shard_and_key_prefix_win() -> None:
    data = _sharded(2, example_org={"shard": "tenants-eu"})
    data["shards"]["key_prefix"] = "mail/states"
    cfg = _parse(data)
    part = shards.view(cfg, "tenants-eu")
    assert list(part.domains) == ["example.org"]
    assert part.backend.key == "mail/states/tenants-eu.tfstate"


def test_rendezvous_hashing_moves_domains_only_to_an_added_shard() -> None:
    domains = [f"tenant{i}.example.net" for i in range(2000)]
    before = {d: shards.rendezvous(d, [f"shard-{i}" for i in range(10)]) for d in domains}
    after = {d: shards.rendezvous(d, [f"shard-{i}" for i in range(11)]) for d in domains}
    moved = [d for d in domains if before[d] != after[d]]
    assert moved and all(after[d] == "shard-10" for d in moved)
    assert len(moved) < len(domains) / 11 * 1.3  # about 1/(N+1), not a reshuffle
    counts = {s: list(before.values()).count(s) for s in set(before.values())}
    assert len(counts) == 10 and min(counts.values()) > 150  # every shard gets its share


def test_assignment_does_not_depend_on_file_order_or_other_domains() -> None:
    one = make_config({**domain("a.example.net"), **domain("b.example.net")}, shards={"count": 4})
    two = make_config({**domain("b.example.net")}, shards={"count": 4})
    assert (
        shards.assign(_parse(one))["b.example.net"] == shards.assign(_parse(two))["b.example.net"]
    )


SHARD_ERRORS = {
    "shard without a shards section": (
        lambda c: c["domains"]["example.org"].update(shard="eu"),
        "domains.example.org.shard: 'eu' names a shard but sesame.yaml has no `shards:` section",
    ),
    "shard name that is no key": (
        lambda c: c.update(shards={"count": 1}) or c["domains"]["example.org"].update(shard="EU/1"),
        "domains.example.org.shard: 'EU/1' is not a shard name",
    ),
    "domain in the global shard": (
        lambda c: (
            c.update(shards={"count": 1}) or c["domains"]["example.org"].update(shard="global")
        ),
        "domains.example.org.shard: 'global' is the global shard",
    ),
    "no rule and no shard": (
        lambda c: c.update(shards={}),
        "domains.example.com: has no shard and shards.count is 0",
    ),
    "global named like a hashed shard": (
        lambda c: c.update(shards={"count": 2, "global": "shard-1"}),
        "shards.global: 'shard-1' is also a hashed shard's name",
    ),
}


@pytest.mark.parametrize("case", list(SHARD_ERRORS), ids=list(SHARD_ERRORS))
def test_bad_shard_configuration_is_one_line_exit_3(sesame: Sesame, case: str) -> None:
    mutate, expected = SHARD_ERRORS[case]
    data = copy.deepcopy(example_config())
    mutate(data)
    sesame.write(data)
    proc = sesame("validate")
    assert proc.returncode == 3
    lines = error_lines(proc.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"sesame: sesame.yaml: {expected}")
    assert "; fix: " in lines[0]


def test_unknown_shard_is_one_line() -> None:
    cfg = _parse(_sharded(2))
    with pytest.raises(
        ConfigError, match=r"--shard shard-7: no such shard; fix: one of global, shard-0, shard-1"
    ):
        shards.view(cfg, "shard-7")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with a sharded sesame.yaml committed on main."""
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "config", "user.email", "t@example.net")
    _git(tmp_path, "config", "user.name", "t")
    data = make_config(
        {f"t{i}.example.net": {"senders": {}} for i in range(12)}
        | domain("pinned.example.net", shard="vip"),
        shards={"count": 3},
    )
    (tmp_path / "sesame.yaml").write_text(yaml.safe_dump(data))
    _git(tmp_path, "add", "sesame.yaml")
    _git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def _edit(repo: Path, change) -> config.Config:
    data = yaml.safe_load((repo / "sesame.yaml").read_text())
    change(data)
    (repo / "sesame.yaml").write_text(yaml.safe_dump(data))
    return config.load(repo / "sesame.yaml")


def test_changed_since_selects_only_the_shard_of_the_changed_domain(repo: Path) -> None:
    head = _edit(repo, lambda d: d["domains"]["t5.example.net"].update(mail_from="bounce"))
    owner = shards.assign(head)["t5.example.net"]
    got = shards.select(head, repo / "sesame.yaml", shard=None, all_shards=False, since="main")
    assert got == [owner]


def test_changed_since_a_new_domain_and_a_move_select_both_ends(repo: Path) -> None:
    base = config.load(repo / "sesame.yaml")
    old = shards.assign(base)["t1.example.net"]

    def change(d: dict) -> None:
        d["domains"]["t1.example.net"]["shard"] = "vip"
        d["domains"]["new.example.net"] = {"senders": {}}

    head = _edit(repo, change)
    new_owner = shards.assign(head)["new.example.net"]
    got = shards.select(head, repo / "sesame.yaml", shard=None, all_shards=False, since="main")
    assert got == [s for s in shards.names(head) if s in {old, "vip", new_owner}]


def test_changed_since_account_settings_select_every_shard_and_emails_only_global(
    repo: Path,
) -> None:
    head = _edit(repo, lambda d: d.update(alarms={"emails": ["ops@example.net"]}))
    got = shards.select(head, repo / "sesame.yaml", shard=None, all_shards=False, since="main")
    assert got == ["global"]
    head = _edit(repo, lambda d: d.update(tags={"team": "mail"}))
    got = shards.select(head, repo / "sesame.yaml", shard=None, all_shards=False, since="main")
    assert got == shards.names(head)


def test_changed_since_nothing_is_no_shard(repo: Path) -> None:
    head = config.load(repo / "sesame.yaml")
    assert (
        shards.select(head, repo / "sesame.yaml", shard=None, all_shards=False, since="main") == []
    )


def test_changed_since_a_ref_that_is_no_commit_is_one_line(repo: Path) -> None:
    head = config.load(repo / "sesame.yaml")
    with pytest.raises(ConfigError, match=r"--changed-since nope: not a commit .*; fix: fetch"):
        shards.select(head, repo / "sesame.yaml", shard=None, all_shards=False, since="nope")


def test_changed_since_a_module_change_selects_every_shard(repo: Path) -> None:
    (repo / "terraform").mkdir()
    (repo / "terraform" / "main.tf").write_text("# changed\n")
    _git(repo, "add", "terraform/main.tf")
    head = config.load(repo / "sesame.yaml")
    got = shards.select(head, repo / "sesame.yaml", shard=None, all_shards=False, since="main")
    assert got == shards.names(head)


def test_changed_since_a_key_rotation_selects_the_senders_shard(repo: Path) -> None:
    data = yaml.safe_load((repo / "sesame.yaml").read_text())
    data["domains"]["t3.example.net"]["senders"] = {
        "t3-smtp": {"kind": "smtp", "from": ["a@t3.example.net"]}
    }
    (repo / "sesame.yaml").write_text(yaml.safe_dump(data))
    _git(repo, "commit", "-q", "-am", "sender")
    (repo / "sesame.keys.yaml").write_text(
        "senders:\n  t3-smtp: {generation: 2, previous: Active}\n"
    )
    head = config.load(repo / "sesame.yaml")
    got = shards.select(head, repo / "sesame.yaml", shard=None, all_shards=False, since="HEAD")
    assert got == [shards.assign(head)["t3.example.net"]]
