"""sesame's SPF evaluator against the OpenSPF RFC 7208 test suite (a suite nobody here wrote).

`make setup` fetches `rfc7208-tests.yml` from the pyspf source distribution on PyPI into
.sesame/ (it is not committed). Every case of every section runs against an in-memory
resolver built from the suite's zone data, comparing the SPF result. The cases left out are
listed in EXCLUDED with the reason; a case that is neither run nor listed fails the test.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml

from sesame.dns import spf_eval

SUITE = Path(__file__).resolve().parents[2] / ".sesame" / "rfc7208-tests.yml"

# Cases whose result depends on something sesame never decides on; every other case runs.
EXCLUDED: dict[str, str] = {
    # %{p} is the validated PTR name of the connecting client: data only a receiver has.
    # sesame never evaluates for a particular client (its worst case treats every
    # connection-dependent macro as unknown), so the evaluator expands %{p} as "unknown".
    "p-macro-multiple": "%{p} needs the client's validated PTR name (receiver-side data)",
}


def _load() -> list[dict[str, Any]]:
    if not SUITE.exists():
        pytest.fail(f"{SUITE} is missing; fix: run `make setup` (it fetches the suite from PyPI)")
    return [doc for doc in yaml.safe_load_all(SUITE.read_text()) if doc]


class Zone:
    """The suite's zone data as a resolver: TIMEOUT answers types with no data by timing out;
    names with SPF-type data and no TXT get the SPF data as TXT (as the suite expects)."""

    def __init__(self, data: dict[str, list[Any]]) -> None:
        self.records: dict[tuple[str, str], list[Any]] = {}
        self.timeout: set[str] = set()
        self.txt_none: set[str] = set()
        for name, entries in data.items():
            name = name.lower().rstrip(".")
            for entry in entries:
                if entry == "TIMEOUT":
                    self.timeout.add(name)
                    continue
                [(rdtype, value)] = entry.items()
                if rdtype == "TXT" and value == "NONE":
                    self.txt_none.add(name)
                    continue
                self.records.setdefault((name, rdtype), []).append(value)
            spf = self.records.get((name, "SPF"))
            if spf and (name, "TXT") not in self.records and name not in self.txt_none:
                self.records[(name, "TXT")] = list(spf)

    @staticmethod
    def _text(rdtype: str, value: Any) -> str:
        if rdtype == "TXT":
            return "".join(value) if isinstance(value, list) else str(value)
        if rdtype == "MX":
            return f"{value[0]} {value[1]}"
        return str(value)

    def __call__(self, name: str, rdtype: str) -> list[str]:
        name = name.lower().rstrip(".")
        for _ in range(8):
            values = self.records.get((name, rdtype))
            if values:
                return [self._text(rdtype, v) for v in values]
            alias = self.records.get((name, "CNAME"))
            if not alias:
                break
            name = str(alias[0]).lower().rstrip(".")
        if name in self.timeout:
            raise spf_eval.TempError(f"{name} {rdtype} timed out")
        return []


def _cases() -> list[Any]:
    out = []
    for doc in _load():
        for name, case in doc["tests"].items():
            out.append(pytest.param(doc["zonedata"], case, id=name))
    return out


@pytest.mark.parametrize(("zonedata", "case"), _cases())
def test_rfc7208_suite_case(zonedata: dict, case: dict, request: pytest.FixtureRequest) -> None:
    name = request.node.callspec.id
    if name in EXCLUDED:
        pytest.skip(f"excluded: {EXCLUDED[name]}")
    sender = case["mailfrom"] or f"postmaster@{case['helo']}"
    domain = sender.rsplit("@", 1)[1]
    if not spf_eval.valid_name(domain):
        got = "none"
    else:
        got = spf_eval.evaluate(
            domain,
            Zone(zonedata),
            ip=ipaddress.ip_address(case["host"]),
            sender=sender,
            helo=case["helo"],
        ).result
    want = case["result"] if isinstance(case["result"], list) else [case["result"]]
    assert got in want, f"{name}: got {got}, the suite says {want} ({case.get('description')})"


def test_every_excluded_case_exists_in_the_suite() -> None:
    names = {n for doc in _load() for n in doc["tests"]}
    assert set(EXCLUDED) <= names, sorted(set(EXCLUDED) - names)


# -- the worst case sesame decides on (no client address: nothing but `all` matches) -------

SAMPLE_ZONE = {
    "_spf.google.com": [{"TXT": "v=spf1 include:_n1.google.com include:_n2.google.com ~all"}],
    "_n1.google.com": [{"TXT": "v=spf1 ip4:192.0.2.0/24 ~all"}],
    "_n2.google.com": [{"TXT": "v=spf1 ip6:2001:db8::/32 ~all"}],
    "_spf.example.com": [{"TXT": "v=spf1 include:_s1.example.com mx:example.com ~all"}],
    "_s1.example.com": [{"TXT": "v=spf1 a:host.example.com -all"}],
    "host.example.com": [{"A": "192.0.2.7"}],
    "example.com": [{"MX": [10, "host.example.com"]}],
    "amazonses.com": [{"TXT": "v=spf1 ip4:198.51.100.0/24 -all"}],
}


def test_worst_case_counts_every_reachable_term_and_names_the_costliest_chain() -> None:
    record = "v=spf1 include:_spf.google.com include:_spf.example.com include:amazonses.com ~all"
    ev = spf_eval.evaluate("example.com", Zone(SAMPLE_ZONE), record=record)
    assert (ev.result, ev.lookups, ev.voids) == ("softfail", 8, 0)
    assert ev.chain() == (
        "include:_spf.example.com → include:_s1.example.com → a:host.example.com (4 lookups), "
        "include:_spf.google.com → include:_n1.google.com (3 lookups), "
        "include:amazonses.com (1 lookup)"
    )


def test_worst_case_over_the_limits_is_permerror_and_counting_goes_on_past_them() -> None:
    record = "v=spf1 " + " ".join(["include:_spf.example.com"] * 3) + " ~all"
    ev = spf_eval.evaluate("example.com", Zone(SAMPLE_ZONE), record=record)
    assert ev.over_lookups and not ev.over_voids
    full = spf_eval.evaluate("example.com", Zone(SAMPLE_ZONE), record=record, limits=False)
    assert full.lookups == 12
    voids = "v=spf1 a:gone1.example.com a:gone2.example.com exists:gone3.example.com -all"
    ev = spf_eval.evaluate("example.com", Zone(SAMPLE_ZONE), record=voids)
    assert ev.over_voids and not ev.over_lookups


def test_worst_case_counts_connection_macros_without_querying_them() -> None:
    asked: list[str] = []

    def lookup(name: str, rdtype: str) -> list[str]:
        asked.append(name)
        return []

    record = "v=spf1 exists:%{i}.%{l}.rbl.example.com exists:%{i}.x.example.com -all"
    ev = spf_eval.evaluate("example.com", lookup, record=record)
    assert (ev.result, ev.lookups, ev.voids, asked) == ("fail", 2, 0, [])


def test_an_include_that_passes_ends_the_walk_as_for_receivers() -> None:
    zone = Zone({**SAMPLE_ZONE, "open.example.com": [{"TXT": "v=spf1 +all"}]})
    record = "v=spf1 include:open.example.com include:_spf.google.com -all"
    assert spf_eval.evaluate("example.com", zone, record=record).lookups == 1
