"""sesame's own Terraform CLI configuration: which provider mirrors this machine has.

Terraform reads TF_CLI_CONFIG_FILE; sesame writes its file under .sesame/ at `make setup`
and hands it to every terraform it runs. Providers found in a filesystem mirror are
installed from it; everything else comes from the registry.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MIRROR_ENV = "SESAME_PROVIDER_MIRROR"
# Where machine images and teams usually keep unpacked provider mirrors.
STANDARD_MIRRORS = (
    REPO.parent / "shared" / "terraform-mirror",
    Path("/opt/tf-plugins"),
    Path.home() / ".terraform.d" / "plugins",
    Path.home() / ".local" / "share" / "terraform" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
)


def default_path() -> Path:
    return REPO / ".sesame" / "terraformrc"


def candidate_mirrors() -> list[Path]:
    named = [Path(p) for p in os.environ.get(MIRROR_ENV, "").split(os.pathsep) if p]
    return named + list(STANDARD_MIRRORS)


def providers_in(mirror: Path) -> list[str]:
    """`hostname/namespace/type` of every provider unpacked in `mirror`."""
    found = []
    for version_dir in sorted(mirror.glob("*/*/*/*/*_*")):
        if version_dir.is_dir() and any(version_dir.iterdir()):
            host, ns, name = version_dir.relative_to(mirror).parts[:3]
            found.append(f"{host}/{ns}/{name}")
    return sorted(set(found))


def render(mirrors: dict[Path, list[str]]) -> str:
    blocks = []
    claimed: list[str] = []
    for mirror, providers in mirrors.items():
        fresh = [p for p in providers if p not in claimed]
        if not fresh:
            continue
        claimed += fresh
        include = ", ".join(f'"{p}"' for p in fresh)
        blocks.append(
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = [{include}]\n  }}\n'
        )
    exclude = ", ".join(f'"{p}"' for p in claimed)
    direct = f"  direct {{\n    exclude = [{exclude}]\n  }}\n" if claimed else "  direct {}\n"
    return "provider_installation {\n" + "".join(blocks) + direct + "}\n"


def write(path: Path | None = None) -> tuple[Path, dict[Path, list[str]]]:
    path = path or default_path()
    mirrors = {m.resolve(): providers_in(m) for m in candidate_mirrors() if m.is_dir()}
    mirrors = {m: p for m, p in mirrors.items() if p}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(mirrors))
    return path, mirrors
