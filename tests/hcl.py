"""Evaluate expressions taken from terraform/ with the real terraform (no providers needed)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

TERRAFORM = Path(__file__).resolve().parents[1] / "terraform"


def block(path: Path, start: str) -> str:
    """The text from the line starting with `start` to the end of its (bracketed) value."""
    text = path.read_text()
    at = text.index(start)
    depth, i = 0, at
    for i in range(at, len(text)):
        ch = text[i]
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif ch == "\n" and depth == 0 and i > at:
            break
    return text[at:i]


def evaluate(tmp: Path, locals_hcl: str, expression: str, variables: dict[str, Any]) -> Any:
    """`expression` in a root whose locals are `locals_hcl` and whose vars are `variables`."""
    tmp.mkdir(parents=True, exist_ok=True)
    decls = "\n".join(f'variable "{name}" {{}}' for name in variables)
    (tmp / "main.tf").write_text(f"{decls}\nlocals {{\n{locals_hcl}\n}}\n")
    (tmp / "vars.tfvars.json").write_text(json.dumps(variables))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    env["TF_CLI_CONFIG_FILE"] = os.devnull
    proc = subprocess.run(
        ["terraform", "console", "-var-file=vars.tfvars.json"],
        input=f"jsonencode({expression})\n",
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(json.loads(proc.stdout))


def only(pattern: str, text: str) -> str:
    [found] = re.findall(pattern, text)
    return found
