"""`sesame sandbox seed FILE…` and `sesame sandbox reset`: the rehearsal world."""

from __future__ import annotations

from pathlib import Path

from sesame import output, rotation
from sesame.config import Config
from sesame.environments import sandbox_module
from sesame.target import workdir_for


def seed(config: Config, top: Path, files: list[Path]) -> int:
    """Load zone exports and SES/IAM seed files into the sandbox (all checked first)."""
    seeding = sandbox_module("seeding")
    world = sandbox_module()
    loaded = seeding.load(files, config)
    with world.Sandbox(workdir_for(top, "sandbox"), config) as sandbox:
        lines = seeding.seed(sandbox, loaded, config)
    for line in lines:
        output.write_line(f"seeded {line}")
    return 0


def reset(top: Path) -> int:
    """Empty the sandbox: the next command starts from a fresh world."""
    seeding = sandbox_module("seeding")
    removed = seeding.reset(workdir_for(top, "sandbox"))
    output.write_line("sandbox reset" + ("" if removed else " (it was already empty)"))
    rotated = {name: k for name, k in rotation.load(top).items() if k.generation > 1}
    if rotated:  # configuration, committed with sesame.yaml: not the sandbox's to forget
        names = ", ".join(f"{n} (generation {k.generation})" for n, k in sorted(rotated.items()))
        output.status(
            f"{rotation.FILE_NAME} is kept (committed key generations, not the sandbox's): "
            f"the next apply makes the keys it names for {names}; restore it from git to "
            "start from generation 1"
        )
    return 0
