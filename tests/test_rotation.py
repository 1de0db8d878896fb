"""sesame.keys.yaml: the key generations `sesame rotate` writes (no sandbox needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sesame import config as sesame_config
from sesame import rotation
from sesame.checks import gates
from sesame.errors import ConfigError
from testing import Sesame, domain, make_config

CONFIG = make_config(
    {
        **domain("a.example", {"a-smtp": {"kind": "smtp", "from": ["app@a.example"]}}),
        **domain(
            "c.example",
            {"c-role": {"kind": "role", "role": "EC2-SSM-Role", "from": ["web@c.example"]}},
        ),
    }
)


def test_a_missing_file_means_generation_one_everywhere(tmp_path: Path) -> None:
    assert rotation.load(tmp_path) == {}


def test_the_file_round_trips_and_drops_senders_back_on_generation_one(tmp_path: Path) -> None:
    keys = {"a": rotation.Keys(3, "Inactive"), "b": rotation.Keys(2), "c": rotation.Keys()}
    rotation.save(tmp_path, keys)
    assert rotation.load(tmp_path) == {"a": keys["a"], "b": keys["b"]}
    assert (tmp_path / "sesame.keys.yaml").read_text().startswith("# Written by `sesame rotate`")


def test_one_retirement_step_deactivates_then_deletes() -> None:
    k = rotation.rotated(rotation.Keys())
    assert k == rotation.Keys(2, "Active")
    assert rotation.retired(k) == rotation.Keys(2, "Inactive")
    assert rotation.retired(rotation.retired(k)) == rotation.Keys(2, None)


@pytest.mark.parametrize(
    "body",
    [
        "senders: [a]",
        "senders: {a: {generation: 0}}",
        "senders: {a: {generation: true}}",
        "senders: {a: {generation: 1, previous: Active}}",
        "senders: {a: {generation: 2, previous: Deleted}}",
        "senders: {a: {generation: 2}\n",
    ],
)
def test_a_damaged_file_is_one_line_naming_the_fix(tmp_path: Path, body: str) -> None:
    (tmp_path / "sesame.keys.yaml").write_text(body)
    with pytest.raises(ConfigError, match=r"sesame\.keys\.yaml: .*fix: restore it from git") as e:
        rotation.load(tmp_path)
    assert "\n" not in str(e.value)


def test_rotate_writes_the_generation_and_says_role_senders_have_nothing(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    out = sesame.ok("rotate", "a-smtp", "c-role").stdout
    assert "c-role: role sender, nothing to rotate" in out
    assert "a-smtp: key generation 1 -> 2" in out
    written = yaml.safe_load((sesame.top / "sesame.keys.yaml").read_text())
    assert written == {"senders": {"a-smtp": {"generation": 2, "previous": "Active"}}}


def test_rotate_refuses_a_second_rotation_before_the_first_is_retired(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    sesame.ok("rotate", "--all")
    before = (sesame.top / "sesame.keys.yaml").read_text()
    proc = sesame("rotate", "a-smtp")
    assert proc.returncode == 3  # ConfigError: nothing was run
    assert proc.stderr.strip() == (
        "sesame: a-smtp: generation 1's key is still kept (Active); "
        "fix: sesame rotate --retire a-smtp until it is gone, then rotate"
    )
    assert (sesame.top / "sesame.keys.yaml").read_text() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "no sender named; fix: sesame rotate SENDER… or sesame rotate --all"),
        (("nobody",), "nobody: no such sender in the configuration; fix: one of a-smtp, c-role"),
        (("--all", "a-smtp"), "name senders or pass --all, not both; fix: drop one"),
        (("--retire", "--all"), "--retire takes sender names or none (all); fix: drop --all"),
    ],
)
def test_rotate_bad_arguments_are_one_line(
    sesame: Sesame, args: tuple[str, ...], message: str
) -> None:
    sesame.write(CONFIG)
    proc = sesame("rotate", *args)
    assert proc.returncode == 3  # ConfigError: nothing was run
    assert proc.stderr.strip() == f"sesame: {message}"
    assert not (sesame.top / "sesame.keys.yaml").exists()


def test_a_retired_previous_key_is_a_delete_the_gates_let_through() -> None:
    cfg = sesame_config.Config.model_validate(
        make_config(domain("a.example", {"a-smtp": {"kind": "smtp", "from": ["app@a.example"]}}))
    )
    banner = [
        {"address": 'module.aws.aws_iam_access_key.this["a-smtp"]', "action": "delete"},
        {"address": 'module.aws.aws_iam_access_key.alternate["a-smtp"]', "action": "replace"},
    ]
    report = {"banner": banner, "iam": [], "dns": []}
    retired = rotation.retired_keys({"a-smtp": rotation.Keys(2)})
    assert retired == frozenset({'aws_iam_access_key.this["a-smtp"]'})
    failures = gates.check(
        report, cfg, allow_destroy=False, allow_weaker_dmarc=False, retired=retired
    )
    [failed] = failures
    assert "replace module.aws.aws_iam_access_key.alternate" in failed.detail
    unasked = gates.check(report, cfg, allow_destroy=False, allow_weaker_dmarc=False)
    assert len(unasked) == 2  # without the rotation file, deleting a key is refused
