"""sesame's own Terraform CLI configuration: where each pinned provider is installed from.

Terraform reads TF_CLI_CONFIG_FILE; `make setup` writes sesame's file under .sesame/ and
sesame hands it to every terraform it runs. Providers found in a filesystem mirror are
installed from it (see sesame.tf.providers for the search order); the rest come from the
registry.
"""

from __future__ import annotations

from pathlib import Path

from sesame.tf import providers

REPO = Path(__file__).resolve().parents[3]


def default_path() -> Path:
    return REPO / ".sesame" / "terraformrc"


def render(sources: dict[str, Path | None]) -> str:
    """provider_installation with one filesystem_mirror per mirror used, then direct."""
    by_mirror: dict[Path, list[str]] = {}
    for address, mirror in sources.items():
        if mirror is not None:
            by_mirror.setdefault(mirror, []).append(address)
    blocks = []
    for mirror, addresses in by_mirror.items():
        include = ", ".join(f'"{a}"' for a in sorted(addresses))
        blocks.append(
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = [{include}]\n  }}\n'
        )
    mirrored = sorted(a for a, m in sources.items() if m is not None)
    exclude = ", ".join(f'"{a}"' for a in mirrored)
    direct = f"  direct {{\n    exclude = [{exclude}]\n  }}\n" if mirrored else "  direct {}\n"
    return "provider_installation {\n" + "".join(blocks) + direct + "}\n"


def write(path: Path | None = None) -> tuple[Path, dict[str, Path | None]]:
    path = path or default_path()
    sources = {pin.address: providers.locate(pin) for pin in providers.PINS}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(sources))
    return path, sources
