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

from sesame import spf_eval

SUITE = Path(__file__).resolve().parents[1] / ".sesame" / "rfc7208-tests.yml"

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
