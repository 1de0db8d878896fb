"""Where a command's CPU goes: every descendant process, summed by kind.

Runs COMMAND, reads every 0.2 s each of its descendants' CPU time (user + system, from
psutil; on Linux /proc/<pid>/stat, proc(5)) and, when it ends, prints one line per kind:
terraform by verb (`plan`, `apply`, `output`, ...), each provider, `sesame VERB` (its own
Python, the sandbox's stand-ins included), pytest workers, sops, anything else; then how
many processes of each kind ran.
A process living under 0.2 s may be missed, so the sums are a floor.

Made to answer "what would make the suite faster": `make test` on 2 cores is CPU-bound, so
its wall time is about the CPU its processes use, divided by the cores.

Run: .venv/bin/python bench/cpu_by_process.py [--out FILE] -- COMMAND [ARGS...]
The last line is the share of all CPU used by Terraform and its providers.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import time
from pathlib import Path

import psutil

INTERVAL = 0.2


def _table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds so far) for every process now."""
    found: dict[int, tuple[int, float]] = {}
    for process in psutil.process_iter(["ppid", "cpu_times"]):
        ppid, times = process.info["ppid"], process.info["cpu_times"]
        if ppid is not None and times is not None:  # None: not ours to read
            found[process.pid] = (ppid, times.user + times.system)
    return found


def kind(argv: list[str]) -> str:
    """The kind a process counts under, from its argv."""
    if not argv or not argv[0]:
        return "?"
    exe = Path(argv[0]).name
    if exe == "terraform":
        verb = next((a for a in argv[1:] if not a.startswith("-")), "")
        return f"terraform {verb}".strip()
    if exe.startswith("terraform-provider-"):
        return exe.split("_")[0]
    if exe == "sesame":
        return _sesame(argv[1:])
    if exe.startswith("python") or exe == "pytest":
        words = argv[1:]
        if words[:2] == ["-m", "sesame"]:
            return _sesame(words[2:])
        if words and Path(words[0]).name == "sesame":
            return _sesame(words[1:])
        if words[:2] == ["-m", "sesame.tf.backend"]:
            return "sesame.tf.backend (R2 credential helper)"
        if exe == "pytest" or any("pytest" in w or "xdist" in w for w in words[:3]):
            return "pytest"
        return "python (other)"
    return exe


def _sesame(args: list[str]) -> str:
    verb = next((a for a in args if not a.startswith("-")), "")
    return f"sesame {verb}".strip()


def _argv(pid: int) -> list[str]:
    try:
        return psutil.Process(pid).cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def measure(command: list[str]) -> tuple[int, float, dict[int, str], dict[int, float]]:
    """(exit code, wall seconds, pid -> kind, pid -> CPU seconds) of `command`'s tree."""
    start = time.perf_counter()
    root = subprocess.Popen(command)
    kinds: dict[int, str] = {root.pid: kind(command)}
    cpu: dict[int, float] = {}
    tree = {root.pid}
    while root.poll() is None:
        table = _table()
        for pid, (parent, _) in sorted(table.items()):
            if parent in tree:
                tree.add(pid)
        for pid in tree & table.keys():
            if pid not in kinds or kinds[pid] == "?":
                kinds[pid] = kind(_argv(pid))
            cpu[pid] = max(cpu.get(pid, 0.0), table[pid][1])
        time.sleep(INTERVAL)
    return root.returncode, time.perf_counter() - start, kinds, cpu


def report(wall: float, kinds: dict[int, str], cpu: dict[int, float]) -> list[str]:
    by_kind: collections.Counter[str] = collections.Counter()
    count: collections.Counter[str] = collections.Counter()
    for pid, seconds in cpu.items():
        by_kind[kinds[pid]] += seconds
        count[kinds[pid]] += 1
    total = sum(by_kind.values())
    lines = [f"wall {wall:.0f} s, CPU {total:.0f} s (a floor: processes under 0.2 s are missed)"]
    lines.append(f"{'kind':44s} {'processes':>9s} {'CPU s':>9s} {'share':>6s}")
    for name, seconds in by_kind.most_common():
        share = seconds / total if total else 0.0
        lines.append(f"{name[:44]:44s} {count[name]:9d} {seconds:9.1f} {share:6.1%}")
    terraform = sum(s for k, s in by_kind.items() if k.startswith("terraform"))
    lines.append("share of CPU in terraform and its providers (last line):")
    lines.append(f"{terraform / total if total else 0.0:.3f}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the table to FILE")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no COMMAND given")
    code, wall, kinds, cpu = measure(command)
    lines = report(wall, kinds, cpu)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
