"""The command line: options where users type them, and one exit-code table."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sesame import errors, main
from sesame.error_handler import Exit, doing, error_handler
from sesame.process import Interrupted
from testing import REPO, Sesame, example_config


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "x.yaml", "--env", "production", "plan"],  # the Makefile's order
        ["plan", "--config", "x.yaml", "--env", "production"],
        ["--env", "production", "plan", "--config", "x.yaml"],
        ["--config", "x.yaml", "plan", "--env", "production"],
    ],
)
def test_config_and_env_are_accepted_before_and_after_the_verb(argv: list[str]) -> None:
    args = main.parser().parse_args(argv)
    assert (args.command, args.config, args.env) == ("plan", Path("x.yaml"), "production")


def test_the_environment_gives_the_defaults_and_the_verb_does_not_clobber_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SESAME_CONFIG", "team.yaml")
    monkeypatch.setenv("SESAME_ENV", "production")
    args = main.parser().parse_args(["status"])
    assert (args.config, args.env) == (Path("team.yaml"), "production")
    args = main.parser().parse_args(["--env", "sandbox", "status"])
    assert args.env == "sandbox"


def test_exit_codes_are_distinct_and_two_means_only_changes() -> None:
    codes = [code for code, _ in errors.EXIT_CODES]
    assert len(codes) == len(set(codes))
    classes = [
        errors.FatalError,
        errors.ConfigError,
        errors.SecretsError,
        errors.PreflightError,
        errors.GateError,
        errors.InternalError,
        errors.StalePlanError,
        errors.LockedError,
    ]
    assert len({c.exit_code for c in classes}) == len(classes)
    assert errors.CHANGES == 2 and all(c.exit_code != 2 for c in classes)
    assert errors.UsageError.exit_code == errors.ConfigError.exit_code
    assert (errors.OK, errors.INTERRUPTED) == (0, 130)


def test_exit_code_table_is_the_same_in_the_help_and_the_docs(sesame: Sesame) -> None:
    help_text = sesame.ok("--help").stdout
    doc = (REPO / "docs" / "exit-codes.md").read_text()
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", doc, flags=re.MULTILINE)
    assert [(int(code), meaning) for code, meaning in rows] == list(errors.EXIT_CODES)
    for code, meaning in errors.EXIT_CODES:
        assert re.search(rf"^  {code} +{re.escape(meaning)}$", help_text, flags=re.MULTILINE)


@pytest.mark.parametrize(
    "argv",
    [["bogus"], ["plan", "--nope"], ["plan", "--env", "staging"], ["--env", "prod", "plan"]],
)
def test_usage_errors_exit_with_the_usage_code_not_changes(sesame: Sesame, argv: list[str]) -> None:
    proc = sesame(*argv)
    assert proc.returncode == errors.UsageError.exit_code, proc.stderr
    [line] = proc.stderr.strip().splitlines()  # one line, no usage dump before it
    assert line.startswith("sesame: error: ") and "; fix: see `sesame" in line, line
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("argv", "help_of"),
    [
        (["plan", "--jsno"], "sesame plan"),
        (["records", "example.com", "--fromat", "json"], "sesame records"),
        (["secrets", "recipients", "add", "--bogus", "age1x"], "sesame secrets recipients"),
        (["state", "backups", "nosuch"], None),  # an argument the verb would have ignored
    ],
)
def test_an_argument_a_command_does_not_take_names_that_commands_help(
    sesame: Sesame, argv: list[str], help_of: str | None
) -> None:
    sesame.write(example_config())
    proc = sesame(*argv)
    assert proc.returncode == errors.UsageError.exit_code, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    if help_of is not None:
        assert line.endswith(f"; fix: see `{help_of} --help`"), line
    else:
        assert "takes no backup key ('nosuch')" in line and "`sesame state restore nosuch`" in line


def test_plan_detailed_exitcode_on_a_broken_file_is_the_config_code_not_changes(
    sesame: Sesame,
) -> None:
    sesame.write("region: eu-west-1\ndomains: {}\n")
    proc = sesame("plan", "--detailed-exitcode")
    assert proc.returncode == errors.ConfigError.exit_code, proc.stderr


def test_unexpected_error_is_one_line_naming_the_step_and_how_to_see_the_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SESAME_DEBUG", raising=False)
    with (
        pytest.raises(Exit) as caught,
        error_handler("running `sesame plan`"),
        doing("terraform init"),
    ):
        raise KeyError("surprise\nsecond line")
    assert caught.value.code == errors.InternalError.exit_code
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("sesame: unexpected error while running `sesame plan`: terraform init:")
    assert "KeyError" in line and "--debug" in line and "SESAME_DEBUG=1" in line


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_prints_the_traceback_of_an_unexpected_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    if how == "env":
        monkeypatch.setenv("SESAME_DEBUG", "1")
    with pytest.raises(Exit) as caught, error_handler("running", debug=how == "flag"):
        raise ValueError("boom")
    assert caught.value.code == errors.InternalError.exit_code
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "ValueError: boom" in err


def test_interrupt_is_one_line_and_130(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(Exit) as caught, error_handler():
        raise KeyboardInterrupt
    assert caught.value.code == 130
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("sesame: interrupted; fix: ")


# -- dispatch: every verb answers --help, every command module is a verb --------------

COMMANDS = Path(main.__file__).resolve().parent / "commands"


def verbs() -> list[str]:
    sub = next(a for a in main.parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


@pytest.mark.parametrize("verb", verbs())
def test_every_verb_answers_help(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main.main([verb, "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: sesame {verb}")


def test_every_command_module_is_a_verb() -> None:
    modules = {p.stem.replace("_", "-") for p in COMMANDS.glob("*.py") if p.stem != "__init__"}
    assert modules <= set(verbs()), modules - set(verbs())


def test_the_console_script_answers_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sesame", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    for verb in verbs():
        assert verb in proc.stdout
    # It says what the tool does, for its user; the module's docstring is for its developers.
    description = proc.stdout.split("\n\n")[1]
    assert description.startswith("Amazon SES v2 sending domains"), description
    assert main.__doc__ is not None and main.__doc__.splitlines()[0] not in proc.stdout


@pytest.mark.parametrize(
    "argv", [["--reveal"], ["--format", "env", "--reveal"], ["--format", "json"]]
)
def test_credentials_export_options_without_a_sender_name_the_fix(
    sesame: Sesame, argv: list[str]
) -> None:
    """`make credentials ARGS="--format env --reveal"` without SENDER: not a silent list."""
    sesame.write(example_config())
    proc = sesame("credentials", *argv)
    assert proc.returncode == errors.UsageError.exit_code, proc.stderr
    [line] = proc.stderr.splitlines()
    assert "none was named" in line and "SENDER=app-api" in line, line
    assert proc.stdout == ""


def test_a_cloud_api_refusing_the_credentials_is_one_line_exit_1_not_unexpected(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error handler's side of it (the sandbox test in checks/test_admin_policy.py
    makes AWS refuse for real); a 403 from Cloudflare is the same kind."""
    import cloudflare
    import httpx
    from botocore.exceptions import ClientError

    monkeypatch.delenv("SESAME_DEBUG", raising=False)
    denied = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "User: u is not\nauthorized"}},
        "ListEmailIdentities",
    )
    request = httpx.Request("GET", "https://api.cloudflare.com/client/v4/zones")
    forbidden = cloudflare.PermissionDeniedError(
        "forbidden", response=httpx.Response(403, request=request), body=None
    )
    for exc, start in (
        (
            denied,
            "sesame: while discovery: AWS refused ListEmailIdentities (AccessDeniedException: "
            "User: u is not authorized); fix: ",
        ),
        (forbidden, "sesame: while discovery: Cloudflare refused the token (403); fix: "),
    ):
        with pytest.raises(Exit) as caught, error_handler("discovery"):
            raise exc
        assert caught.value.code == errors.FatalError.exit_code
        [line] = capsys.readouterr().err.splitlines()
        assert line.startswith(start), line


@pytest.mark.parametrize(
    ("writes_state", "said"),
    [
        (True, "its state saved; fix: run the command again to finish (or `sesame destroy`)"),
        (False, "nothing was changed; fix: run the command again"),
    ],
)
def test_an_interrupt_says_state_was_saved_only_for_commands_that_write_it(
    capsys: pytest.CaptureFixture[str], writes_state: bool, said: str
) -> None:
    with pytest.raises(Exit) as caught, error_handler("running", writes_state=writes_state):
        raise Interrupted("terraform stopped (exit status 1)")
    assert caught.value.code == 130
    stopped = "sesame: interrupted: terraform stopped (exit status 1)"
    assert capsys.readouterr().err == f"{stopped}, {said}\n"


def test_credentials_before_any_apply_lists_the_configured_senders(sesame: Sesame) -> None:
    sesame.write(example_config())
    listed = sesame.ok("credentials").stdout.splitlines()
    assert [ln.split("\t")[:2] for ln in listed] == [
        ["app-api", "api"],
        ["app-smtp", "smtp"],
        ["web-ec2", "role"],
    ]
    assert all(ln.endswith("(no credentials yet: run `make apply`)") for ln in listed)
    one = sesame("credentials", "app-smtp")  # an export needs them
    assert one.returncode == errors.ConfigError.exit_code
    assert "no credentials yet; fix: run `make apply` first" in one.stderr


@pytest.mark.parametrize("action", ["backups", "unlock"])
def test_state_on_a_sharded_configuration_asks_which_shard(sesame: Sesame, action: str) -> None:
    config = example_config()
    config["shards"] = {"count": 2}
    sesame.write(config)
    proc = sesame("state", action)
    assert proc.returncode == errors.UsageError.exit_code, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "sesame.yaml has shards, each with its own state; fix: add --shard S (one of " in line
    assert "global" in line and "shard-0" in line
