"""`sesame sandbox seed` / `reset`: rehearse on a copy of a real zone and account."""

from __future__ import annotations

import json
from pathlib import Path

from sesame.config import Config
from sesame.errors import ConfigError
from sesame.sandbox import world, zonefile
from sesame.sandbox.dns.edge import EDGE_IPV4
from sesame.target import workdir_for
from testing import REPO, Sesame, account_users, domain, make_config

EXAMPLES = REPO / "docs/examples/sandbox"
ZONE = "example.com"
CONFIG = make_config(
    domain(ZONE, {"app-smtp": {"kind": "smtp", "from": [f"noreply@{ZONE}"]}}, mail_from="mail")
)
CFG = Config.model_validate(CONFIG)


def _sandbox(sesame: Sesame) -> world.Sandbox:
    return world.Sandbox(workdir_for(sesame.top, "sandbox"), CFG)


def _records(sb: world.Sandbox) -> list:
    return sb.cloudflare.records(sb.cloudflare.zone_by_name(ZONE).id)


def test_cloudflare_export_is_read_with_its_proxy_flags_comments_and_quirks() -> None:
    parsed = zonefile.parse(EXAMPLES / "example.com.zone")
    assert parsed.zone == ZONE
    by_key = {(r["name"], r["type"], r["content"]): r for r in parsed.records}
    # the SOA (owner written without its dot) and the apex NS are Cloudflare's own
    assert not [r for r in parsed.records if r["type"] in ("SOA", "NS")]
    apex_a = by_key[(ZONE, "A", "192.0.2.10")]
    assert apex_a["proxied"] is True and apex_a["comment"] == "website" and apex_a["ttl"] == 1
    legacy = by_key[(f"legacy.{ZONE}", "A", "192.0.2.11")]
    assert legacy["proxied"] is False and legacy["ttl"] == 3600 and "comment" not in legacy
    assert by_key[(f"www.{ZONE}", "CNAME", ZONE)]["proxied"] is True
    assert by_key[(f"status.{ZONE}", "CNAME", "example.statuspage.example.net")]["comment"] == (
        "status page"
    )
    assert by_key[(ZONE, "MX", "aspmx.l.google.com")]["priority"] == 1
    assert (ZONE, "TXT", '"v=spf1 include:_spf.google.com ~all"') in by_key
    assert parsed.proxied == 3 and parsed.skipped == {"SRV": 1}


def test_seeded_zone_and_account_are_what_plan_sees(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    proc = sesame.ok(
        "sandbox", "seed", str(EXAMPLES / "example.com.zone"), str(EXAMPLES / "account.yaml")
    )
    assert "seeded example.com: 9 records (3 proxied); skipped 1 SRV" in proc.stdout
    assert "seeded ses (eu-west-1): 1 identities, 1 configuration sets" in proc.stdout
    with _sandbox(sesame) as sb:
        records = _records(sb)
        [spf] = [r for r in records if r.type == "TXT" and r.content.startswith('"v=spf1')]
        identity = sb.ses.get_identity(world.ACCOUNT_ID, CFG.region, ZONE)
        users = {u["UserName"] for u in sb.client("iam").list_users()["Users"]}
        # the sandbox's default neighbours are not added to a seeded zone
        assert not [r for r in records if r.comment == "Google Workspace"]
        # the sandbox DNS answers the export, proxied records as Cloudflare's edge
        assert sorted(sb._dns.resolve(f"www.{ZONE}", "A")) == sorted(EDGE_IPV4)
        assert sb._dns.resolve(ZONE, "MX") == ["1 aspmx.l.google.com", "5 alt1.aspmx.l.google.com"]
    assert identity.current_signing_key_length == "RSA_1024_BIT" and "old-mailer" in users

    plan = sesame.ok("plan")
    # the hand-made identity and the seeded apex SPF (by its record ID) are adopted
    assert "2 to import" in plan.stdout, plan.stdout
    inputs = json.loads((sesame.top / ".sesame/sandbox/inputs.tfvars.json").read_text())
    assert list(inputs["adopt_identities"]) == [ZONE]
    zone_id = inputs["dns"][ZONE]["zone_id"]
    assert inputs["dns_imports"][f"{ZONE}/spf"] == f"{zone_id}/{spf.id}"
    assert inputs["dns"][ZONE]["originals"]["spf"]["content"] == spf.content


def test_the_issue_cases_seed_as_written(sesame: Sesame) -> None:
    """MAIL FROM MX, MAIL FROM SPF and a delegated _dmarc: served as the user's zone has them."""
    sesame.write(CONFIG)
    cases = {
        "mail-from-mx.zone": (f"mail.{ZONE}", "MX", ["10 mx1.mailhost.example.net"]),
        "mail-from-spf.zone": (f"mail.{ZONE}", "TXT", ["v=spf1 a -all"]),
        "dmarc-delegated.zone": (
            f"_dmarc.{ZONE}",
            "CNAME",
            ["example.com._dmarc.dmarc-service.example.net"],
        ),
    }
    for file, (name, rdtype, answer) in cases.items():
        sesame.ok("sandbox", "seed", str(EXAMPLES / file))
        with _sandbox(sesame) as sb:
            assert sb._dns.resolve(name, rdtype) == answer, file
            # the zone is exactly the export: the previous case's records are gone
            assert len(_records(sb)) == 2, [(r.name, r.type) for r in _records(sb)]


def test_reset_empties_the_world(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    sesame.ok("sandbox", "seed", str(EXAMPLES / "example.com.zone"), str(EXAMPLES / "account.yaml"))
    again = sesame("sandbox", "seed", str(EXAMPLES / "account.yaml"))
    assert again.returncode == ConfigError.exit_code
    assert "already has identity example.com" in again.stderr and "sandbox reset" in again.stderr
    assert sesame.ok("sandbox", "reset").stdout.strip() == "sandbox reset"
    with _sandbox(sesame) as sb:
        assert not sb.ses.list_identities(world.ACCOUNT_ID, CFG.region)
        assert not sb.ses.list_configuration_sets(world.ACCOUNT_ID, CFG.region)
        assert not account_users(sb)
        # a fresh sandbox zone: only its default neighbours, none of the export
        assert sorted(r.comment for r in _records(sb)) == ["Google Workspace", "website"]
    assert not (sesame.top / ".sesame/sandbox/credentials.yaml").exists()


def test_reset_keeps_the_committed_key_generations_and_says_so(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    keys = sesame.top / "sesame.keys.yaml"
    keys.write_text("senders:\n  legacy-app:\n    generation: 2\n")
    done = sesame.ok("sandbox", "reset")
    assert done.stdout.strip() == "sandbox reset (it was already empty)"
    assert "sesame.keys.yaml is kept" in done.stderr and "legacy-app (generation 2)" in done.stderr
    assert keys.read_text() == "senders:\n  legacy-app:\n    generation: 2\n"


def test_bad_seed_files_are_one_line_errors_and_change_nothing(
    sesame: Sesame, tmp_path: Path
) -> None:
    sesame.write(CONFIG)
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("ses:\n  identities:\n    - name: x.example\n      dkim: 1024\n")
    cname_clash = tmp_path / "clash.zone"
    cname_clash.write_text(
        "$ORIGIN example.com.\nwww 1 IN A 192.0.2.1\nwww 1 IN CNAME example.com.\n"
    )
    broken = tmp_path / "broken.zone"
    broken.write_text("$ORIGIN example.com.\nok 1 IN A 192.0.2.1\nbad 1 IN A 192.0.2\n")
    refused = tmp_path / "refused.zone"
    refused.write_text("$ORIGIN example.com.\nok 1 IN A 192.0.2.1\na.*.b 1 IN A 192.0.2.1\n")
    other = tmp_path / "other.zone"
    other.write_text("$ORIGIN other.example.\nwww 1 IN A 192.0.2.1\n")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    wrong_kind = tmp_path / "wrong-kind.yaml"
    wrong_kind.write_text("iam: [a]\nfoo: 1\n")  # the unknown key is named first
    listed = tmp_path / "listed.yaml"
    listed.write_text("iam: [a]\n")
    expected = {
        bad_yaml: f"{bad_yaml}:4: ses.identities.0.dkim: unknown key",
        empty: f"{empty}: is empty: nothing to seed; fix: give it ses: and/or iam:",
        wrong_kind: f"{wrong_kind}:2: foo: unknown key",
        listed: f"{listed}:1: iam: is a list, not a mapping of keys",
        cname_clash: "CNAME rdataset is not compatible with a regular data node",
        refused: "a.*.b.example.com A 192.0.2.1: Cloudflare refuses it (DNS name is invalid",
        broken: f"{broken}:3: Text input is malformed.",
        other: "zone other.example is not a Cloudflare zone of any domain",
    }
    for path, message in expected.items():
        # a good file first: nothing of it may land either
        proc = sesame("sandbox", "seed", str(EXAMPLES / "example.com.zone"), str(path))
        assert proc.returncode == ConfigError.exit_code, proc.stderr
        [line] = proc.stderr.strip().splitlines()
        assert message in line and "fix:" in line, line
    with _sandbox(sesame) as sb:
        assert sorted(r.comment for r in _records(sb)) == ["Google Workspace", "website"]


def test_sandbox_verbs_refuse_production_and_a_missing_file_list(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    proc = sesame("sandbox", "reset", "--env", "production")
    assert proc.returncode == ConfigError.exit_code
    assert proc.stderr.strip() == (
        "sesame: sandbox reset acts only on the local sandbox, not production; "
        "fix: drop --env/SESAME_ENV for this command"
    )
    proc = sesame("sandbox", "seed")
    assert proc.returncode == ConfigError.exit_code
    assert "fix: pass zone exports or seed YAML files" in proc.stderr
