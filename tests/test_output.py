"""sesame.output: how paths are shown to the user."""

from __future__ import annotations

from pathlib import Path

import pytest

from sesame import output


def test_a_path_inside_the_working_directory_is_shown_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README quotes `.sesame/sandbox/credentials.yaml`; apply said the absolute path."""
    monkeypatch.chdir(tmp_path)
    assert output.shown_path(tmp_path / ".sesame/sandbox/credentials.yaml") == (
        ".sesame/sandbox/credentials.yaml"
    )


def test_a_path_outside_the_working_directory_stays_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert output.shown_path(tmp_path / "elsewhere" / "x") == str(tmp_path / "elsewhere" / "x")
