"""The command line: every verb answers --help, and every verb module is reachable."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from sesame import main

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
