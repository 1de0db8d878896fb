"""The provider pins and where `make setup` finds each provider, in one place.

cloudflare/cloudflare 5.24.0 is on no registry reachable offline; the Go module proxy
serves exactly one build of its source, and compiling it takes hours on 2 cores. So setup
looks, in order, in: a mirror named by $SESAME_PROVIDER_MIRROR, the machine's own mirrors,
a previous build in sesame's cache (outside the repo), the registry when it is reachable,
and last builds it from the Go module into the cache (resumable: Go's build cache keeps
finished packages). A mirror's binary must match the pinned SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from sesame import output, process
from sesame.errors import FatalError

PLATFORM = "linux_amd64"


@dataclass(frozen=True)
class Pin:
    address: str  # registry.terraform.io/<namespace>/<type>
    release: str  # the version Terraform sees
    go_module: str | None = None  # source module, when it can be built from source
    go_version: str | None = None
    sha256: str | None = None  # of the known offline build

    @property
    def binary_name(self) -> str:
        return f"terraform-provider-{self.address.rsplit('/', 1)[1]}_v{self.release}"

    def dir_in(self, mirror: Path) -> Path:
        return mirror / self.address / self.release / PLATFORM


AWS = Pin(address="registry.terraform.io/hashicorp/aws", release="5.100.0")
CLOUDFLARE = Pin(
    address="registry.terraform.io/cloudflare/cloudflare",
    release="5.24.0",
    go_module="github.com/cloudflare/terraform-provider-cloudflare",
    go_version="v0.0.0-20260824180050-4f360d592a7d",
    sha256="b2e4f193b434389b3dc8db43af96bceb97144f4e0e97207fef4c053717d8da36",
)
PINS = (AWS, CLOUDFLARE)
MIRROR_ENV = "SESAME_PROVIDER_MIRROR"
MACHINE_MIRRORS = (
    Path("/opt/tf-plugins"),
    Path.home() / ".terraform.d" / "plugins",
    Path.home() / ".local" / "share" / "terraform" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
)


def cache_mirror() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sesame" / "terraform-mirror"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _binary(pin: Pin, mirror: Path) -> Path | None:
    d = pin.dir_in(mirror)
    found = sorted(d.glob("terraform-provider-*")) if d.is_dir() else []
    return found[0] if found else None


def verified(pin: Pin, mirror: Path) -> bool:
    """Does `mirror` hold this provider (and, for a pinned build, the right bytes)?"""
    binary = _binary(pin, mirror)
    if binary is None:
        return False
    if pin.sha256 is None:
        return True
    digest = sha256_of(binary)
    if digest != pin.sha256:
        output.write_line(f"skipping {binary}: sha256 {digest} is not the pinned {pin.sha256}")
        return False
    return True


def named_mirrors() -> list[Path]:
    return [Path(p) for p in os.environ.get(MIRROR_ENV, "").split(os.pathsep) if p]


def registry_reachable(host: str = "registry.terraform.io", timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def go_build_env(pin: Pin, gobin: Path) -> dict[str, str]:
    """Measured: GOGC=off with a memory limit compiles ~6x faster than Go's default GC."""
    try:
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kib = 8 << 20
    limit_gib = max(2, mem_kib // (1 << 20) // 3)
    return process.environment(
        GOFLAGS="-mod=mod", GOGC="off", GOMEMLIMIT=f"{limit_gib}GiB", GOBIN=str(gobin)
    )


def go_build_argv(pin: Pin) -> list[str]:
    assert pin.go_module and pin.go_version
    return [
        "go",
        "install",
        "-v",
        "-ldflags",
        f"-s -w -X main.version={pin.release}",
        f"{pin.go_module}@{pin.go_version}",
    ]


def build_from_source(pin: Pin, mirror: Path) -> Path:
    """Compile the pinned Go module into `mirror`, printing each package as it finishes."""
    gobin = pin.dir_in(mirror)
    gobin.mkdir(parents=True, exist_ok=True)
    output.write_line(
        f"building {pin.address} {pin.release} from {pin.go_module}@{pin.go_version} "
        "(hours on 2 cores; interrupt and re-run to resume)"
    )
    compiled = 0

    def on_line(line: str) -> None:
        nonlocal compiled
        compiled += 1
        if compiled % 25 == 0:
            output.write_line(f"  {compiled} packages compiled (last: {line.strip()})")

    rc, _ = process.stream(
        go_build_argv(pin), on_line, env=go_build_env(pin, gobin), lines_from="stderr"
    )
    if rc != 0:
        raise FatalError(f"go install of {pin.go_module} failed; fix: re-run `make setup`")
    built = gobin / pin.address.rsplit("/", 1)[1].join(["terraform-provider-", ""])
    target = gobin / pin.binary_name
    built.replace(target)
    return target


def locate(pin: Pin) -> Path | None:
    """The mirror to install `pin` from, or None for the registry."""
    for mirror in [*named_mirrors(), *MACHINE_MIRRORS, cache_mirror()]:
        if verified(pin, mirror):
            return mirror.resolve()
    if registry_reachable():
        return None
    if pin.go_module:
        build_from_source(pin, cache_mirror())
        return cache_mirror().resolve()
    raise FatalError(
        f"{pin.address} {pin.release}: no mirror has it and the registry is unreachable; "
        f"fix: set {MIRROR_ENV} to a filesystem mirror that holds it"
    )
