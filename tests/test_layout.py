"""The package's shape: no import loop, the sandbox a wing production never walks through."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "scripts" / "sesame"
SANDBOX = "sesame.sandbox"
# The sandbox's third-party stack: the optional [sandbox] extra.
SANDBOX_EXTRA = ("moto", "flask", "werkzeug", "aiosmtpd")
# What the sandbox may import from sesame: only what lies below it.
SANDBOX_MAY_IMPORT = ("sesame.config", "sesame.errors", "sesame.regions", "sesame.secrets")
SANDBOX_MAY_IMPORT += ("sesame.output", "sesame.smtp", "sesame.target")
# the policies the sandbox's principals hold (built from config and names only)
SANDBOX_MAY_IMPORT += ("sesame.checks.admin_policy",)


def module_name(path: Path) -> str:
    parts = ["sesame", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """sesame modules `name` imports anywhere in its body (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            module = node.module or ""
            if node.level:
                module = f"{base}.{module}" if module else base
            submodules = {f"{module}.{a.name}" for a in node.names} & known
            # `from package import module` imports the module, not (only) the package
            found |= submodules or {module}
        elif (  # importlib.import_module("sesame.x")
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", None) == "import_module"
            and node.args
        ):
            arg = node.args[0]
            if isinstance(arg, ast.JoinedStr) and arg.values:  # f"sesame.sandbox.{name}"
                arg = arg.values[0]
            if isinstance(arg, ast.Constant):
                found.add(str(arg.value).rstrip("."))
    return {m for m in found if m in known and m != name}


def with_packages(name: str, deps: set[str], importing: dict[str, set[str]]) -> set[str]:
    """`deps` plus the packages above each: importing a.b.c runs a/__init__ and a/b/__init__
    first. Left out: packages `name` lies in (already importing when it runs) and packages
    whose __init__ imports nothing (they can close no loop and reach nothing)."""
    inside = {name.rsplit(".", n)[0] for n in range(name.count(".") + 1)}
    found = set(deps)
    for module in deps:
        parts = module.split(".")
        found |= {".".join(parts[:n]) for n in range(1, len(parts))} - inside
    return {m for m in found if m in deps or importing.get(m)}


def graph() -> dict[str, set[str]]:
    mods = modules()
    direct = {name: imports_of(name, path, set(mods)) for name, path in mods.items()}
    return {name: with_packages(name, deps, direct) for name, deps in direct.items()}


def is_sandbox(name: str) -> bool:
    return name == SANDBOX or name.startswith(SANDBOX + ".")


def test_there_is_no_import_loop_among_sesame_modules() -> None:
    edges = graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    loops: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                loops.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not loops, "import loops: " + "; ".join(" -> ".join(loop) for loop in loops)


def test_no_committed_file_holds_an_aws_access_key_shaped_string() -> None:
    """Fake keys in tests must not look real (secret scanners flag AKIA/ASIA + 16): use
    values like FAKEACCESSKEYEXAMPLE; a test about the shape builds it at run time."""
    shape = re.compile("(?<![A-Z0-9])" + "A[KS]" + "IA[A-Z0-9]{16}(?![A-Z0-9])")
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PACKAGE.parents[1],
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    found = []
    for name in filter(None, (t.decode() for t in tracked)):
        path = PACKAGE.parents[1] / name
        if path.is_file() and not path.is_symlink():
            text = path.read_bytes().decode("utf-8", errors="replace")
            found += [f"{name}: {m.group(0)[:4]}…" for m in shape.finditer(text)]
    assert not found, found


def test_only_the_environments_factory_names_the_sandbox() -> None:
    edges = graph()
    reaching = sorted(
        name
        for name, deps in edges.items()
        if not is_sandbox(name) and any(is_sandbox(d) for d in deps)
    )
    assert reaching == ["sesame.environments"]


def test_the_sandbox_imports_only_downward() -> None:
    upward = {
        f"{name} -> {dep}"
        for name, deps in graph().items()
        if is_sandbox(name)
        for dep in deps
        if not is_sandbox(dep) and dep not in SANDBOX_MAY_IMPORT and dep != "sesame"
    }
    assert not upward, sorted(upward)


BLOCKER = """
import importlib, importlib.abc, sys

class Unimportable(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r} or (
            {sandbox_too!r} and (name == "sesame.sandbox" or name.startswith("sesame.sandbox."))
        ):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Unimportable())
"""


def run_blocked(
    code: str, *args: str, sandbox_too: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter where the extra (and the sandbox) cannot be imported."""
    prelude = BLOCKER.format(blocked=set(SANDBOX_EXTRA), sandbox_too=sandbox_too)
    return subprocess.run(
        [sys.executable, "-c", prelude + code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_production_module_imports_without_the_sandbox_or_its_extra() -> None:
    production = sorted(n for n in modules() if not is_sandbox(n) and not n.endswith("__main__"))
    proc = run_blocked(
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        "leaked = [m for m in sys.modules if m.startswith('sesame.sandbox') or "
        f"m.split('.')[0] in {set(SANDBOX_EXTRA)!r}]\n"
        "assert not leaked, leaked\n",
        *production,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(production) > 40


def test_sandbox_without_its_extra_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    (tmp_path / "sesame.yaml").write_text((PACKAGE.parents[1] / "sesame.yaml").read_text())
    proc = run_blocked(
        "import sys\nfrom sesame.main import main\nsys.exit(main(sys.argv[1:]))\n",
        "status",
        "--config",
        str(tmp_path / "sesame.yaml"),
        sandbox_too=False,
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert "the sandbox needs" in lines[0] and "fix: run `make setup`" in lines[0]
    assert "[sandbox]" in lines[0]


# The layers of docs/architecture.md, top first: a module may import only from its own
# layer or the ones below it (the rest of sesame, `secrets` to `errors`, is the bottom).
LAYERS = (
    ("sesame.main", "sesame.__main__", "sesame.commands"),
    ("sesame.environments",),
    ("sesame.sandbox",),
    ("sesame.tf",),
    ("sesame.checks",),
    ("sesame.dns",),
    ("sesame.report",),
)


def layer(name: str) -> int:
    for i, prefixes in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return i
    return len(LAYERS)


def test_each_layer_imports_only_its_own_and_the_layers_below() -> None:
    upward = sorted(
        f"{name} -> {dep}"
        for name, deps in graph().items()
        for dep in deps
        if layer(dep) < layer(name)
    )
    assert not upward, upward
