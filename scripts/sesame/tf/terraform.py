"""The only place sesame spawns terraform: a thin typed runner over its `-json` stream.

Why not python-terraform (0.10.1): it logs full command lines at debug level, writes
`var` dicts to plaintext temp .tfvars.json files and passes `-force` to destroy, which
Terraform >= 0.15 rejects. See docs/decisions.md.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sesame import output, process
from sesame.errors import FatalError, LockedError, TerraformError
from sesame.tf import backend, inputs, locks

MISSING = "install Terraform >= 1.11"

Event = dict[str, Any]

ANSI = re.compile(r"\x1b\[[0-9;]*m")  # SGR colour codes


@dataclass
class Summary:
    """What a plan or apply changed, from Terraform's own change_summary event."""

    add: int = 0
    change: int = 0
    remove: int = 0
    import_: int = 0
    operation: str = ""
    drift: int = 0  # objects refresh found changed outside Terraform
    message: str = ""  # Terraform's own line: "Plan: 1 to add, 0 to change, 0 to destroy."
    planned: list[tuple[str, str]] = field(default_factory=list)  # (action, address)
    outputs: int = 0  # root outputs the plan changes (a shard's state moved: outputs lag)

    @property
    def changes(self) -> bool:
        return bool(self.add or self.change or self.remove or self.import_)


class Progress:
    """Turns the event stream into lines for people, or forwards it for --json pipelines.

    The planned changes are not printed as they stream (Terraform sends them in graph
    order, and again when a saved plan is applied): the caller prints them once, sorted,
    from `Summary.planned` (sesame.report.terminal)."""

    def __init__(self, json_mode: bool = False) -> None:
        self.json_mode = json_mode
        self.done = 0
        self._seen: set[str] = set()
        self._refreshing = False

    @staticmethod
    def elapsed() -> str:
        return output.elapsed()[1:-1]

    def __call__(self, event: Event) -> None:
        if self.json_mode:
            output.emit_json(_redact_event(event))
            return
        kind = event.get("type")
        hook = event.get("hook") or {}
        addr = (hook.get("resource") or {}).get("addr", "")
        if kind == "refresh_start" and not self._refreshing:
            self._refreshing = True
            output.status(f"[{self.elapsed()}] refreshing: reading every object state holds ...")
        elif kind == "apply_start":
            output.status(f"[{self.elapsed()}] {hook.get('action', '')}: {addr} ...")
        elif kind == "apply_complete":
            self.done += 1
            took = hook.get("elapsed_seconds", 0)
            output.status(f"[{self.elapsed()}] done ({took}s): {addr}  [{self.done} finished]")
        elif kind == "apply_errored":
            output.status(f"[{self.elapsed()}] FAILED: {addr}")
        elif kind == "change_summary":
            self._refreshing = False
            if (event.get("changes") or {}).get("operation") != "plan":
                output.status(f"[{self.elapsed()}] {event.get('@message', '')}")
        elif kind == "diagnostic":
            text = format_diagnostic(event.get("diagnostic") or {})
            if text not in self._seen:  # one per instance is noise: show each once
                self._seen.add(text)
                output.status(text)


def _redact_event(event: Event) -> Event:
    """`outputs` events carry output values: keep names and types only."""
    if event.get("type") == "outputs":
        outs = event.get("outputs") or {}
        event = dict(event)
        event["outputs"] = {k: {"sensitive": v.get("sensitive", False)} for k, v in outs.items()}
    return event


def format_diagnostic(diag: Mapping[str, Any]) -> str:
    """Terraform's diagnostic as Terraform words it: severity, summary, address, detail."""
    lines = [f"{diag.get('severity', 'error').capitalize()}: {diag.get('summary', '')}"]
    rng = diag.get("range") or {}
    if rng:
        lines.append(f"  on {rng.get('filename')} line {(rng.get('start') or {}).get('line')}")
    if diag.get("address"):
        lines.append(f"  with {diag['address']}")
    if diag.get("detail"):
        lines.extend("  " + ln for ln in str(diag["detail"]).splitlines())
    return "\n".join(lines)


_BACKEND_ERRORS = ("Failed to get existing workspaces", "Error loading state", "S3 bucket")


def init_failure(stderr: str, endpoint: str | None = None) -> str:
    """`terraform init` failed: its cause and the fix in one line (Terraform's text follows).

    `endpoint`: the state bucket's S3 endpoint as configured (R2's is named by
    backend.account_id), shown so the fix names the host to check."""
    text = " ".join(stderr.split())
    if any(marker in text for marker in _BACKEND_ERRORS):
        where = "the state bucket (R2, the S3 backend)"
        host = urlsplit(endpoint).netloc if endpoint else ""
        host = host or "<backend.account_id>.r2.cloudflarestorage.com"
        if "no such host" in text:
            return (
                f"terraform init: cannot reach {where}: its host name {host} does not resolve; "
                "fix: check backend.account_id in sesame.yaml (it names the R2 endpoint), then "
                "this machine's DNS and network"
            )
        if any(m in text for m in ("dial tcp", "i/o timeout", "connection refused", "EOF")):
            return (
                f"terraform init: cannot reach {where} at {host} from here; fix: check this "
                "machine's network, proxy and firewall for that host (backend.account_id in "
                "sesame.yaml names it)"
            )
        if any(m in text for m in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "403")):
            return (
                f"terraform init: {where} refused R2_ACCESS_KEY_ID; fix: put the R2 API "
                "token's keys in secrets.yaml (`make secrets`)"
            )
        if "NoSuchBucket" in text or "404" in text:
            return (
                f"terraform init: {where} does not exist; fix: create the bucket named in "
                "backend.bucket in that R2 account"
            )
    if "provider" in text and ("Failed to query" in text or "Failed to install" in text):
        return "terraform init: a pinned provider could not be installed; fix: run `make setup`"
    first = next((ln.strip() for ln in stderr.splitlines() if ln.strip()), "no message")
    return f"terraform init failed: {first[:200]}; fix: see Terraform's text below"


@dataclass(frozen=True)
class Spawn:
    """How a terraform child is started: its environment and the descriptors it inherits."""

    env: dict[str, str] = field(repr=False)
    fds: tuple[int, ...] = ()


@dataclass
class Terraform:
    """terraform on one root module with one data dir and one environment.

    `env` holds no secret (Terraform passes it to every plugin); plan and apply read
    `variables` (the providers' credentials, ephemeral) from a pipe, and the backend's
    credential_process fetches `backend_credentials` while terraform runs."""

    root: Path
    data_dir: Path
    env: dict[str, str] = field(repr=False)
    variables: dict[str, str] = field(default_factory=dict, repr=False)
    backend_credentials: backend.Credentials | None = field(default=None, repr=False)
    progress: Callable[[Event], None] = field(default_factory=Progress)
    binary: str = "terraform"
    secrets: tuple[str, ...] = field(default=(), repr=False)  # masked in what is shown
    parallelism: int = 10  # -parallelism of plan and apply (tf/parallelism.py sizes it)
    # sesame's one line for a held state lock (who, since when, the fix); Terraform's own
    # diagnostic follows it.
    locked_line: Callable[[], str] = field(
        default=lambda: "the Terraform state is locked by another run", repr=False
    )

    def _env(self) -> dict[str, str]:
        return {**self.env, "TF_DATA_DIR": str(self.data_dir)}

    @contextmanager
    def _spawn(self, args: list[str], variables: bool) -> Iterator[tuple[list[str], Spawn]]:
        """argv (with `-var-file=/dev/fd/N` for the ephemeral variables when `variables`;
        before a saved plan's path, which comes last) and how to spawn it."""
        with ExitStack() as stack:
            env = self._env()
            env.update(stack.enter_context(backend.serving(self.backend_credentials)))
            fds: tuple[int, ...] = ()
            if variables and self.variables:
                piped = stack.enter_context(process.piped_file(inputs.hcl_var_file(self.variables)))
                args = [*args[:-1], f"-var-file={piped.path}", args[-1]]
                fds = (piped.fd,)
            yield [self.binary, *args], Spawn(env, fds)

    def command(
        self, args: list[str], variables: bool = True
    ) -> AbstractContextManager[tuple[list[str], Spawn]]:
        """The argv and spawn settings sesame would run `terraform ARGS` with (the bench
        scripts time raw Terraform this way); valid inside the `with` only: the piped
        variables and R2's credential socket live while it lasts."""
        return self._spawn(args, variables)

    def _stream(self, args: list[str], variables: bool = False) -> tuple[int, list[Event], str]:
        """Run with -json, feeding each event to progress; returns rc, events, stderr.

        Ctrl-C reaches terraform, which stops gracefully and writes state before sesame
        goes on; while it runs, a note in the data dir says so (for the next command, if
        sesame itself is killed)."""
        events: list[Event] = []

        def on_line(line: str) -> None:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                self._show(line.rstrip())
                return
            events.append(event)
            if not _is_lock_error(event):  # shown after sesame's own line (StateLockedError)
                self.progress(event)

        try:
            with self._spawn(args, variables) as (argv, spawn):
                rc, stderr = process.stream(
                    argv,
                    on_line,
                    env=spawn.env,
                    cwd=self.root,
                    missing_fix=MISSING,
                    on_start=lambda pid: locks.note_running(self.data_dir, pid, args[0]),
                    interrupt_notice="Terraform is stopping gracefully and saving state",
                    pass_fds=spawn.fds,
                )
        finally:
            locks.clear_running(self.data_dir)
        return rc, events, stderr

    def _show(self, text: str) -> None:
        """Terraform's own words, with any secret value masked and without the colour codes
        of the commands that take no -no-color (`state push`)."""
        output.status(process.mask(ANSI.sub("", text), self.secrets))

    def _fail(self, verb: str, rc: int, events: list[Event], stderr: str) -> FatalError:
        errors = [e for e in events if e.get("type") == "diagnostic"]
        locked = [e for e in errors if _is_lock_error(e)]
        if locked:
            detail = format_diagnostic(locked[0]["diagnostic"])
            return LockedError(self.locked_line(), detail=process.mask(detail, self.secrets))
        if stderr.strip():
            self._show(stderr.rstrip())
        first = errors[0]["diagnostic"].get("summary") if errors else f"exit status {rc}"
        return TerraformError(process.mask(f"terraform {verb} failed: {first}", self.secrets))

    def _run_plain(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        with self._spawn(args, variables=False) as (argv, spawn):
            proc = process.cmd_output(argv, env=spawn.env, cwd=self.root, missing_fix=MISSING)
        return subprocess.CompletedProcess(
            proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
        )

    # -- init -------------------------------------------------------------------------

    def init_fingerprint(self, backend_file: Path, sources: list[Path]) -> str:
        """Everything init depends on: backend settings, lock file, CLI config, module sources."""
        h = hashlib.sha256()
        inputs = [backend_file, self.root / ".terraform.lock.hcl"]
        cli = self.env.get("TF_CLI_CONFIG_FILE")
        if cli:
            inputs.append(Path(cli))
        inputs += sources
        for path in inputs:
            h.update(str(path).encode())
            h.update(path.read_bytes() if path.exists() else b"-")
        return h.hexdigest()

    def init(
        self, backend_file: Path, sources: list[Path], state_endpoint: str | None = None
    ) -> bool:
        """`terraform init`, only when its inputs changed since the last success.
        `state_endpoint` (the backend's S3 endpoint) is named when it cannot be reached."""
        stamp = self.data_dir / "sesame-init.sha256"
        fingerprint = self.init_fingerprint(backend_file, sources)
        if stamp.exists() and stamp.read_text() == fingerprint:
            return False
        output.step("terraform init: providers from the mirror, the state backend ...")
        proc = self._run_plain(
            [
                "init",
                "-input=false",
                "-no-color",
                "-reconfigure",
                f"-backend-config={backend_file}",
            ]
        )
        if proc.returncode != 0:
            said = "\n".join(t for t in (proc.stdout.rstrip(), proc.stderr.rstrip()) if t)
            raise TerraformError(init_failure(proc.stderr, state_endpoint), detail=said)
        stamp.write_text(self.init_fingerprint(backend_file, sources))  # init may add to the lock
        return True

    # -- plan / apply -----------------------------------------------------------------

    def plan(
        self,
        out: Path,
        var_file: Path,
        *,
        destroy: bool = False,
        lock: bool = True,
        refresh_only: bool = False,
    ) -> Summary:
        args = ["plan", "-json", "-input=false", f"-parallelism={self.parallelism}"]
        args.append(f"-out={out}")
        if destroy:
            args.append("-destroy")
        if not lock:
            args.append("-lock=false")
        if refresh_only:
            args.append("-refresh-only")
        args.append(f"-var-file={var_file}")  # last: the secret variables' file goes before it
        rc, events, stderr = self._stream(args, variables=True)
        if rc != 0:
            raise self._fail("plan", rc, events, stderr)
        return _summary(events)

    def apply(self, plan: Path) -> Summary:
        parallelism = f"-parallelism={self.parallelism}"
        rc, events, stderr = self._stream(
            ["apply", "-json", "-input=false", parallelism, str(plan)], variables=True
        )
        if rc != 0:
            raise self._fail("apply", rc, events, stderr)
        return _summary(events)

    def state_rm(self, addresses: list[str]) -> None:
        """Forget objects without destroying them (adopted records handed back)."""
        proc = self._run_plain(["state", "rm", *addresses])
        if proc.returncode != 0:
            self._show(proc.stderr.rstrip())
            raise TerraformError("terraform state rm failed (see above)")

    def state_push(self, state_file: Path) -> bool:
        """Push a state file (errored.tfstate) to the backend; False if it refused."""
        proc = self._run_plain(["state", "push", str(state_file)])
        if proc.returncode != 0:
            self._show(proc.stderr.rstrip())
        return proc.returncode == 0

    def show_json(self, plan: Path) -> dict[str, Any]:
        proc = self._run_plain(["show", "-json", str(plan)])
        if proc.returncode != 0:
            self._show(proc.stderr.rstrip())
            raise TerraformError("terraform show failed (see above)")
        return json.loads(proc.stdout)


def _is_lock_error(event: Event) -> bool:
    diag = event.get("diagnostic") or {}
    return event.get("type") == "diagnostic" and "acquiring the state lock" in str(
        diag.get("summary", "")
    )


def _summary(events: list[Event]) -> Summary:
    drift = sum(1 for e in events if e.get("type") == "resource_drift")
    outputs = sum(
        1
        for e in events
        if e.get("type") == "outputs"
        for o in (e.get("outputs") or {}).values()
        if o.get("action") not in (None, "noop")
    )
    planned = [
        (
            str((e.get("change") or {}).get("action", "")),
            str(((e.get("change") or {}).get("resource") or {}).get("addr", "")),
        )
        for e in events
        if e.get("type") == "planned_change"
    ]
    for event in reversed(events):
        if event.get("type") == "change_summary":
            c = event.get("changes") or {}
            return Summary(
                add=c.get("add", 0),
                change=c.get("change", 0),
                remove=c.get("remove", 0),
                import_=c.get("import", 0),
                operation=c.get("operation", ""),
                drift=drift,
                message=str(event.get("@message", "")),
                planned=planned,
                outputs=outputs,
            )
    return Summary(drift=drift, planned=planned, outputs=outputs)
