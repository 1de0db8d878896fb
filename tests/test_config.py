"""Every bad configuration: one line naming the file, the key and the fix; exit 2; nothing run."""

from __future__ import annotations

import copy

import pytest

from testing import Sesame, example_config


def _with(mutate) -> dict:
    cfg = copy.deepcopy(example_config())
    mutate(cfg)
    return cfg


def _sender(cfg: dict) -> dict:
    return cfg["domains"]["example.com"]["senders"]["app-smtp"]


CASES = {
    "unknown top-level key": (lambda c: c.update(regoin="eu-west-1"), "regoin", "unknown key"),
    "unknown sender key": (
        lambda c: _sender(c).update(form=["x@example.com"]),
        "app-smtp.form",
        "unknown key",
    ),
    "bad domain": (
        lambda c: c["domains"].update({"Exa mple..com": {}}),
        "domains.Exa mple..com",
        "contains a space",
    ),
    "domain with scheme": (
        lambda c: c["domains"].update({"https://example.net": {}}),
        "domains.https://example.net",
        "is a URL, not a DNS name; fix: write only the name, 'example.net'",
    ),
    "bad address": (
        lambda c: _sender(c).update({"from": ["not-an-address"]}),
        "from",
        "is not an email address",
    ),
    "address outside its domain": (
        lambda c: _sender(c).update({"from": ["noreply@evil.example"]}),
        "app-smtp.from",
        "is outside example.com",
    ),
    "bad region": (lambda c: c.update(region="eu-west-9"), "region", "not a region where SES"),
    "missing backend": (lambda c: c.pop("backend"), "backend", "required key is missing"),
    "bad R2 account id": (
        lambda c: c["backend"].update(account_id="nope"),
        "backend.account_id",
        "not a Cloudflare account ID",
    ),
    "role sender without role": (
        lambda c: c["domains"]["example.org"]["senders"]["web-ec2"].pop("role"),
        "web-ec2",
        "needs `role",
    ),
    "duplicate sender names": (
        lambda c: c["domains"]["example.org"]["senders"].update(
            {"app-smtp": {"kind": "smtp", "from": ["a@example.org"]}}
        ),
        "domains.example.org.senders.app-smtp",
        "must be unique",
    ),
    "bad dmarc policy": (
        lambda c: c["domains"]["example.com"]["dmarc"].update(policy="block"),
        "dmarc.policy",
        "'block' is not allowed",
    ),
    "bad dmarc report uri": (
        lambda c: c["domains"]["example.com"]["dmarc"].update(rua=["dmarc@example.com"]),
        "dmarc.rua",
        "mailto:",
    ),
    "bad sender kind": (lambda c: _sender(c).update(kind="ses"), "kind", "'ses' is not allowed"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize("verb", ["plan", "apply"])
def test_bad_config_is_one_line_exit_2_and_nothing_runs(
    sesame: Sesame, case: str, verb: str
) -> None:
    mutate, key, words = CASES[case]
    sesame.write(_with(mutate))
    proc = sesame(verb)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    [line] = lines
    assert line.startswith("sesame: sesame.yaml:"), line
    assert key in line and words in line and "fix:" in line, line
    assert not (sesame.top / ".sesame").exists()  # no sandbox, no terraform, no work dir


def test_malformed_yaml_is_one_line(sesame: Sesame) -> None:
    sesame.write("region: eu-west-1\ndomains:\n  example.com: [\n")
    proc = sesame("plan")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "sesame: sesame.yaml: line 4 is not valid YAML; fix: check indentation and quoting"
    )


def test_missing_config_file_names_the_fix(sesame: Sesame) -> None:
    proc = sesame("plan")
    assert proc.returncode == 2
    assert "sesame.yaml: no such file; fix:" in proc.stderr


def test_example_config_is_valid(sesame: Sesame) -> None:
    sesame.write(example_config())
    assert sesame.ok("validate").stdout.strip() == "sesame.yaml: ok (2 domain(s))"


# -- names that become DNS names ----------------------------------------------------------


def _refused(sesame: Sesame, config: dict | str) -> str:
    """The one line `sesame plan` prints for a bad configuration (exit 2, nothing run)."""
    sesame.write(config)
    proc = sesame("plan")
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert not (sesame.top / ".sesame").exists()
    return line.removeprefix("sesame: sesame.yaml: ")


def _mail_from(value: str, **other: dict) -> dict:
    return _with(
        lambda c: (
            c["domains"]["example.com"].update(mail_from=value),
            c["domains"].update(other),
        )
    )


MAIL_FROM = {
    "the apex itself": (
        "example.com",
        "domains.example.com.mail_from: 'example.com' is a domain, not a subdomain label: it "
        "would make the MAIL FROM domain example.com.example.com; fix: write a label such as "
        "mail (for mail.example.com)",
    ),
    "the full name": (
        "mail.example.com",
        "domains.example.com.mail_from: 'mail.example.com' is a full name: it would make the "
        "MAIL FROM domain mail.example.com.example.com; fix: write only the part before "
        "example.com, e.g. mail",
    ),
    "another configured domain": (
        "bounce.example.org",
        "domains.example.com.mail_from: 'bounce.example.org' is a full name: it would make the "
        "MAIL FROM domain bounce.example.org.example.com; fix: write only the part before "
        "example.com, e.g. mail",
    ),
    "an absolute name": (
        "mail.example.com.",
        "domains.example.com.mail_from: 'mail.example.com.' ends with a dot (an absolute "
        "name); fix: write only the label(s), e.g. mail",
    ),
    "the zone-file apex": (
        "@",
        "domains.example.com.mail_from: '@' (the domain itself) cannot be the MAIL FROM "
        "domain; fix: a subdomain label such as mail",
    ),
    "uppercase": (
        "Mail",
        "domains.example.com.mail_from: 'Mail' has uppercase letters; fix: write 'mail' (DNS "
        "names are case-insensitive and sesame writes them in lowercase)",
    ),
    "an empty label": (
        "mail..eu",
        "domains.example.com.mail_from: 'mail..eu' has an empty label (a leading dot or two "
        "dots in a row); fix: remove the extra dot",
    ),
    "a leading dot": (
        ".mail",
        "domains.example.com.mail_from: '.mail' has an empty label (a leading dot or two dots "
        "in a row); fix: remove the extra dot",
    ),
    "empty": (
        "",
        "domains.example.com.mail_from: '' is empty; fix: write a name like mail",
    ),
    "an over-long label": (
        "m" * 64,
        "domains.example.com.mail_from: '"
        + "m" * 59
        + "…' has a label of 64 characters ('"
        + "m" * 59
        + "…'); fix: at most 63 characters between dots",
    ),
    "an over-long name": (
        ".".join(["m" * 60] * 4),
        "domains.example.com.mail_from: '"
        + ("m" * 60 + ".")[:59]
        + "…' makes "
        + ".".join(["m" * 60] * 4)
        + ".example.com (255 characters); fix: a shorter label (a DNS name has at most 253)",
    ),
    "an underscore": (
        "_mail",
        "domains.example.com.mail_from: '_mail' label '_mail' has characters other than "
        "letters, digits and hyphens; fix: use only a-z, 0-9 and -",
    ),
}


@pytest.mark.parametrize("case", list(MAIL_FROM), ids=list(MAIL_FROM))
def test_mail_from_that_is_not_a_proper_subdomain_is_refused(sesame: Sesame, case: str) -> None:
    value, want = MAIL_FROM[case]
    assert _refused(sesame, _mail_from(value)) == want


def test_mail_from_that_is_another_sending_domain_is_refused(sesame: Sesame) -> None:
    line = _refused(sesame, _mail_from("news", **{"news.example.com": {}}))
    assert line == (
        "domains.example.com.mail_from: MAIL FROM news.example.com is also a sending domain "
        "here (their SPF records would collide); fix: choose another label, e.g. bounce"
    )
    both = _with(
        lambda c: c["domains"].update(
            {"eu.example.com": {"mail_from": "bounce"}, "example.com": {"mail_from": "bounce.eu"}}
        )
    )
    assert _refused(sesame, both) == (
        "domains.example.com.mail_from: MAIL FROM bounce.eu.example.com is also the MAIL "
        "FROM of eu.example.com; fix: choose another label for one of them"
    )


@pytest.mark.parametrize("value", ["mail", "bounce", "bounce.eu", "m-1.eu-west"])
def test_mail_from_labels_are_accepted(sesame: Sesame, value: str) -> None:
    sesame.write(_mail_from(value))
    assert sesame.ok("validate").stdout.strip() == "sesame.yaml: ok (2 domain(s))"


DOMAINS = {
    "uppercase": (
        "Example.NET",
        "'Example.NET' has uppercase letters; fix: write 'example.net' (DNS names are "
        "case-insensitive and sesame writes them in lowercase)",
    ),
    "a trailing dot": (
        "example.net.",
        "'example.net.' ends with a dot; fix: write 'example.net' (no trailing dot)",
    ),
    "unicode": (
        "bücher.example",
        "'bücher.example' is not ASCII; fix: write its IDNA (punycode) form xn--bcher-kva.example",
    ),
    "unicode with uppercase": (
        "Bücher.example",
        "'Bücher.example' is not ASCII; fix: write its IDNA (punycode) form xn--bcher-kva.example",
    ),
    "broken punycode": (
        "xn--zz.example",
        "'xn--zz.example' label 'xn--zz' is not valid punycode; fix: re-encode the name",
    ),
    "reserved hyphens": (
        "ab--cd.example",
        "'ab--cd.example' label 'ab--cd' has -- in positions 3-4, which DNS reserves; fix: "
        "rename it",
    ),
    "an over-long label": (
        "a" * 64 + ".example",
        "'" + "a" * 59 + "…' has a label of 64 characters ('" + "a" * 59 + "…'); fix: at most "
        "63 characters between dots",
    ),
    "an over-long name": (
        ".".join(["a" * 63] * 4) + ".net",
        "'" + "a" * 59 + "…' is 259 characters; fix: at most 253 characters",
    ),
    "a single label": (
        "localhost",
        "'localhost' is a single label; fix: a fully qualified name like localhost.com",
    ),
    "a public suffix": (
        "co.uk",
        "'co.uk' is a public suffix (names are registered under it), not a domain; fix: name "
        "your own domain, e.g. example.co.uk",
    ),
    "an IP address": (
        "192.0.2.1",
        "'192.0.2.1' is an IP address, not a domain name; fix: write the domain name",
    ),
    "an address": (
        "ops@example.net",
        "'ops@example.net' is an email address; fix: write only the name, 'example.net'",
    ),
    "a port": (
        "example.net:25",
        "'example.net:25' has a path or port; fix: write only the name, e.g. example.com",
    ),
    "an underscore": (
        "my_domain.example",
        "'my_domain.example' label 'my_domain' has characters other than letters, digits and "
        "hyphens; fix: use only a-z, 0-9 and -",
    ),
    "a leading hyphen": (
        "-x.example",
        "'-x.example' label '-x' starts or ends with a hyphen; fix: remove the hyphen",
    ),
}


@pytest.mark.parametrize("case", list(DOMAINS), ids=list(DOMAINS))
def test_domain_that_is_not_a_dns_name_says_why(sesame: Sesame, case: str) -> None:
    name, want = DOMAINS[case]
    config = _with(lambda c: c["domains"].update({name: {}}))
    shown = name if len(name) <= 60 else name[:59] + "…"
    assert _refused(sesame, config) == f"domains.{shown}: {want}"


def test_uppercase_address_under_uppercase_domain_names_the_case(sesame: Sesame) -> None:
    config = _with(
        lambda c: c["domains"].update(
            {"Example.COM": {"senders": {"x": {"kind": "smtp", "from": ["noreply@Example.COM"]}}}}
        )
    )
    del config["domains"]["example.com"]
    assert _refused(sesame, config) == (
        "domains.Example.COM: 'Example.COM' has uppercase letters; fix: write 'example.com' "
        "(DNS names are case-insensitive and sesame writes them in lowercase)"
    )
    assert _refused(sesame, _with(lambda c: _sender(c).update({"from": ["noreply@Example.COM"]})))
    assert _refused(
        sesame, _with(lambda c: _sender(c).update({"from": ["noreply@Example.COM"]}))
    ) == (
        "domains.example.com.senders.app-smtp.from: 'noreply@Example.COM': the domain part has "
        "uppercase letters; fix: write 'noreply@example.com' (the local part stays as it is)"
    )


OTHER_NAMES = {
    "zone in uppercase": (
        lambda c: c["domains"]["example.com"].update(zone="Example.com"),
        "domains.example.com.zone: 'Example.com' has uppercase letters; fix: write "
        "'example.com' (DNS names are case-insensitive and sesame writes them in lowercase)",
    ),
    "zone with a trailing dot": (
        lambda c: c["domains"]["example.com"].update(zone="example.com."),
        "domains.example.com.zone: 'example.com.' ends with a dot; fix: write 'example.com' "
        "(no trailing dot)",
    ),
    "report address in uppercase": (
        lambda c: c["domains"]["example.com"]["dmarc"].update(rua=["mailto:d@Example.com"]),
        "domains.example.com.dmarc.rua: 'mailto:d@Example.com': the domain 'Example.com' has "
        "uppercase letters; fix: write 'example.com' (DNS names are case-insensitive and "
        "sesame writes them in lowercase)",
    ),
    "report address with an empty label": (
        lambda c: c["domains"]["example.com"]["dmarc"].update(ruf=["mailto:d@reports..com"]),
        "domains.example.com.dmarc.ruf: 'mailto:d@reports..com': the domain 'reports..com' "
        "has an empty label (a leading dot or two dots in a row); fix: remove the extra dot",
    ),
    "alarm address with a unicode domain": (
        lambda c: c["alarms"].update(emails=["ops@bücher.example"]),
        "alarms.emails: 'ops@bücher.example': the domain part 'bücher.example' is not ASCII; "
        "fix: write its IDNA (punycode) form xn--bcher-kva.example",
    ),
    "alarm address with a wildcard": (
        lambda c: c["alarms"].update(emails=["*@example.com"]),
        "alarms.emails: '*@example.com' has a wildcard; fix: write one real address",
    ),
    "tag AWS refuses": (
        lambda c: c["tags"].update({"team": "mail;ops"}),
        "tags: tag team: 'mail;ops' is not an AWS tag value; fix: at most 256 letters, digits, "
        "spaces and _.:/=+-@",
    ),
    "reserved tag key": (
        lambda c: c["tags"].update({"aws:owner": "x"}),
        "tags: tag key 'aws:owner' is not an AWS tag key; fix: 1-128 letters, digits, spaces "
        "and _.:/=+-@, not starting with aws:",
    ),
}


@pytest.mark.parametrize("case", list(OTHER_NAMES), ids=list(OTHER_NAMES))
def test_every_other_name_is_checked_with_its_cause(sesame: Sesame, case: str) -> None:
    mutate, want = OTHER_NAMES[case]
    assert _refused(sesame, _with(mutate)) == want
