"""`sesame domain add|remove`: sesame.yaml edited from code, every other byte kept."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from sesame import main
from sesame.errors import ConfigError
from testing import REPO, Sesame, error_lines

BACKEND = """backend:
  account_id: 0123456789abcdef0123456789abcdef
  bucket: sesame-test-state
"""

# Four-space indentation, a flow list, a quoted wildcard, comments everywhere, and a
# top-level key after `domains` with its own comment: a re-dump would change all of these.
HAND_WRITTEN = (
    "# tenants of the platform\n"
    "region: eu-west-1   # SES region\n\n" + BACKEND + "\n"
    "domains:\n"
    "    # the first tenant\n"
    "    acme.example:\n"
    "        dmarc: {policy: reject}\n"
    "        senders:\n"
    "            acme-app:       # the shop\n"
    "                kind: smtp\n"
    '                from: [shop@acme.example, "news+*@acme.example"]\n'
    "        # mail_from: bounce   (not yet)\n"
    "\n"
    "    # the second tenant\n"
    "    globex.example:\n"
    "        dns: manual\n"
    "        # senders come later\n"
    "\n"
    "# account-wide settings below\n"
    "tags:\n"
    "    team: platform\n"
    "shards:             # tenants' domains over two states\n"
    "    count: 2\n"
)
# The same file with one state: a sharded plan prints one line per shard, not its changes.
ONE_STATE = HAND_WRITTEN.split("shards:")[0]

LAYOUTS = {
    "shipped": (REPO / "sesame.yaml").read_text(),
    "hand-written": HAND_WRITTEN,
    "no final newline": HAND_WRITTEN.rstrip("\n"),
    "crlf": HAND_WRITTEN.replace("\n", "\r\n"),
    "domains last": "region: eu-west-1\n"
    + BACKEND
    + "domains:\n  a.example: {}\n  # trailing note\n",
}


def _sesame(path: Path, *argv: str) -> int:
    return main.main([*argv, "--config", str(path)])


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sesame.yaml"
    path.write_bytes(text.encode())
    return path


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_add_then_remove_gives_back_the_original_bytes(tmp_path: Path, layout: str) -> None:
    original = LAYOUTS[layout].encode()
    path = _write(tmp_path, LAYOUTS[layout])
    assert _sesame(path, "domain", "add", "tenant.example", "--dns", "manual") == 0
    assert path.read_bytes() != original
    assert _sesame(path, "domain", "remove", "tenant.example") == 0
    assert path.read_bytes() == original


def test_add_appends_the_entry_at_the_files_indentation_and_keeps_every_other_byte(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, HAND_WRITTEN)
    argv = ("domain", "add", "shop.example", "--dns", "manual", "--shard", "yes")
    assert _sesame(path, *argv) == 0
    entry = "    shop.example:\n        dns: manual\n        shard: 'yes'\n"  # YAML 1.1: quoted
    # after the last tenant's own lines, before the blank line and the next section's comment
    before, after = HAND_WRITTEN.split("\n# account-wide settings below\n")
    assert path.read_text() == before.removesuffix("\n") + "\n" + entry + (
        "\n# account-wide settings below\n" + after
    )


def test_remove_takes_the_entry_and_its_inner_comments_and_leaves_the_next_ones(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, HAND_WRITTEN)
    assert _sesame(path, "domain", "remove", "acme.example") == 0
    # the entry's own lines, up to its last (commented-out) key; the blank line, the
    # comments outside it and everything else stay
    start = HAND_WRITTEN.index("    acme.example:\n")
    end = HAND_WRITTEN.index("(not yet)\n") + len("(not yet)\n")
    assert path.read_text() == HAND_WRITTEN[:start] + HAND_WRITTEN[end:]


def test_add_prints_the_records_known_before_apply_and_names_the_next_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, HAND_WRITTEN)
    assert _sesame(path, "domain", "add", "shop.example", "--dns", "manual") == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["domain"] == "shop.example" and doc["published"] is None
    rows = {r["key"]: (r["name"], r["type"], r["value"]) for r in doc["records"]}
    assert rows == {
        "mail_from_mx": ("mail.shop.example", "MX", "feedback-smtp.eu-west-1.amazonses.com"),
        "mail_from_spf": ("mail.shop.example", "TXT", "v=spf1 include:amazonses.com ~all"),
        "spf": ("shop.example", "TXT", "v=spf1 include:amazonses.com ~all"),
        "dmarc": ("_dmarc.shop.example", "TXT", "v=DMARC1; p=none"),
    }
    assert doc["pending"]["keys"] == ["dkim1", "dkim2", "dkim3"]
    assert "sesame records shop.example --format json" in doc["pending"]["next"]
    assert "added shop.example" in err and "dns: manual" in err


@pytest.mark.parametrize("dns", ["cloudflare", "manual"])
def test_a_subdomain_without_dmarc_is_given_no_dmarc_record_to_publish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dns: str
) -> None:
    # Receivers apply acme.example's policy to it; sesame publishes no _dmarc for it in
    # Cloudflare (dns.zones), so the owner is not told to publish one either (a `p=none`
    # there would weaken the organization's policy).
    path = _write(tmp_path, HAND_WRITTEN)
    argv = ["domain", "add", "shop.acme.example", "--dns", dns]
    assert _sesame(path, *argv, *(["--zone", "acme.example"] if dns == "cloudflare" else [])) == 0
    out, err = capsys.readouterr()
    keys = [r["key"] for r in json.loads(out)["records"]]
    assert keys == ["mail_from_mx", "mail_from_spf", "spf"]
    assert "no `dmarc:` configured for this subdomain: receivers apply acme.example's" in err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("add", "acme.example"), "acme.example is already configured; fix:"),
        (("remove", "absent.example"), "absent.example is not configured; fix:"),
        (("add", "Shop.example"), "has uppercase letters; fix: write 'shop.example'"),
        # the loader's own check: the zone must contain the domain
        (("add", "shop.example", "--zone", "other.example"), "does not contain shop.example"),
        (("add", "shop.acme.example", "--zone", "acme.example"), None),
    ],
)
def test_refused_edits_are_one_line_exit_3_and_leave_the_file_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], said: str | None
) -> None:
    path = _write(tmp_path, HAND_WRITTEN)
    os.utime(path, (1_000_000, 1_000_000))
    code = _sesame(path, "domain", *argv)
    if said is None:  # accepted: the contrast case, so the refusals above are not vacuous
        assert code == 0 and path.read_text() != HAND_WRITTEN
        return
    assert code == ConfigError.exit_code
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"sesame: {path}: ") and said in line, line
    assert path.read_text() == HAND_WRITTEN and path.stat().st_mtime == 1_000_000
    assert [p.name for p in tmp_path.iterdir()] == ["sesame.yaml"]  # no temp file left


MERGED = (
    "region: eu-west-1\n"
    "backend: {account_id: 0123456789abcdef0123456789abcdef, bucket: b, key: k.tfstate}\n"
    "domains:\n"
    "  a.example: &base\n"
    "    mail_from: mail\n"
    "  b.example:\n"
    "    <<: *base\n"
)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (MERGED, "b.example's entry uses a YAML merge key (<<)"),
        ("region: eu-west-1\ndomains:\n", "domains is empty, and an edit goes beside a domain"),
    ],
)
@pytest.mark.parametrize("verb", ["add", "remove"])
def test_files_an_edit_cannot_place_lines_in_are_one_line_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str, verb: str
) -> None:
    path = _write(tmp_path, text)
    assert _sesame(path, "domain", verb, "a.example") == ConfigError.exit_code
    [line] = capsys.readouterr().err.strip().splitlines()
    assert said in line and "fix:" in line, line
    assert path.read_text() == text


def test_removing_the_last_domain_is_refused_by_the_loader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = LAYOUTS["domains last"]
    path = _write(tmp_path, text)
    assert _sesame(path, "domain", "remove", "a.example") == ConfigError.exit_code
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "domains" in line and "fix:" in line
    assert path.read_text() == text


def test_flow_style_domains_are_refused_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "region: eu-west-1\n" + BACKEND + "domains: {a.example: {}}\n"
    path = _write(tmp_path, text)
    assert _sesame(path, "domain", "add", "b.example") == ConfigError.exit_code
    assert "flow style" in capsys.readouterr().err and path.read_text() == text


def test_the_file_keeps_its_mode_and_a_symlink_keeps_pointing_at_it(tmp_path: Path) -> None:
    real = _write(tmp_path, HAND_WRITTEN)
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert _sesame(link, "domain", "add", "shop.example") == 0
    assert link.is_symlink() and "shop.example:" in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o640


def test_plan_after_add_shows_the_new_domain_and_apply_publishes_the_printed_records(
    sesame: Sesame,
) -> None:
    """Real sandbox: the added domain is planned, and the records printed at `add` are the
    ones Terraform's `dns_records` output gives after apply (records.before_apply is tied)."""
    path = sesame.write(ONE_STATE)
    added = sesame.ok("domain", "add", "shop.example", "--dns", "manual", "--config", str(path))
    printed = json.loads(added.stdout)["records"]
    argv = ("domain", "add", "news.shop.example", "--dns", "manual", "--config", str(path))
    sub_printed = json.loads(sesame.ok(*argv).stdout)["records"]
    plan = sesame("plan", "--detailed-exitcode")
    assert plan.returncode == 2, error_lines(plan.stderr)
    text = plan.stdout + plan.stderr
    identity = r'create +module\.aws\.aws_sesv2_email_identity\.this\["shop\.example"\]'
    assert re.search(identity, text), text[-3000:]
    # Before the apply, `records` gives what `add` printed: what the configuration fixes.
    early = sesame.ok("records", "shop.example", "--format", "json")
    assert json.loads(early.stdout)["records"] == printed
    assert json.loads(early.stdout)["pending"]["keys"] == ["dkim1", "dkim2", "dkim3"]
    assert "shop.example: not applied yet" in early.stderr
    sesame.ok("apply")
    after = json.loads(sesame.ok("records", "shop.example", "--format", "json").stdout)
    assert [r["key"] for r in after["records"]][:3] == ["dkim1", "dkim2", "dkim3"]
    assert [r for r in after["records"] if r["key"] not in ("dkim1", "dkim2", "dkim3")] == printed
    # A subdomain with no `dmarc:` inherits shop.example's policy: no _dmarc, before or after.
    assert [r for r in sub_printed if r["key"] == "dmarc"] == []
    shown = sesame.ok("records", "news.shop.example", "--format", "json")
    after = json.loads(shown.stdout)
    assert [r for r in after["records"] if r["key"] not in ("dkim1", "dkim2", "dkim3")] == (
        sub_printed
    )
    assert "receivers apply shop.example's DMARC policy" in shown.stderr
