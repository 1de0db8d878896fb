"""Provider pins and installation sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sesame.tf import cli_config, providers

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "terraform-mirror"


def test_versions_tf_pins_the_same_releases_as_providers_py() -> None:
    text = (REPO / "terraform/versions.tf").read_text()
    for pin in providers.PINS:
        source = pin.address.split("/", 1)[1]
        block = re.search(rf'source\s*=\s*"{source}"\s*version\s*=\s*"([^"]+)"', text)
        assert block and block.group(1) == pin.release, pin.address


def test_shared_build_matches_the_pinned_sha256() -> None:
    if not SHARED.exists():
        pytest.skip("no shared mirror beside this checkout")
    assert providers.verified(providers.CLOUDFLARE, SHARED)


def test_a_mirror_with_other_bytes_is_skipped(tmp_path: Path) -> None:
    d = providers.CLOUDFLARE.dir_in(tmp_path)
    d.mkdir(parents=True)
    (d / providers.CLOUDFLARE.binary_name).write_bytes(b"not the pinned build")
    assert not providers.verified(providers.CLOUDFLARE, tmp_path)


def test_go_build_uses_the_pinned_module_version_and_flags() -> None:
    argv = providers.go_build_argv(providers.CLOUDFLARE)
    assert argv[-1] == (
        "github.com/cloudflare/terraform-provider-cloudflare@v0.0.0-20260824180050-4f360d592a7d"
    )
    assert "-s -w -X main.version=5.24.0" in argv
    env = providers.go_build_env(providers.CLOUDFLARE, Path("/x"))
    assert env["GOFLAGS"] == "-mod=mod" and env["GOGC"] == "off"
    assert env["GOMEMLIMIT"].endswith("GiB") and env["GOBIN"] == "/x"


def test_cli_config_installs_mirrored_providers_from_their_mirror_only() -> None:
    text = cli_config.render(
        {providers.AWS.address: Path("/m1"), providers.CLOUDFLARE.address: None}
    )
    assert 'path    = "/m1"' in text and 'include = ["registry.terraform.io/hashicorp/aws"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text
