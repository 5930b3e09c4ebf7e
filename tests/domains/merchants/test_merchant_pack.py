"""The default merchant pack: each rule fires on its pattern, and none on a clean merchant."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest

from tests.domains.merchants.applications import application
from tradeguard.engine.events import parse_event
from tradeguard.engine.rules import RulePack, evaluate_pack, load_pack
from tradeguard.engine.verdicts import Signal, Thresholds, decide


@pytest.fixture(scope="module")
def pack() -> RulePack:
    source = resources.files("tradeguard.rulepacks").joinpath("merchant-default.yaml")
    return load_pack(source.read_text("utf-8"))


def hit(match: bool = True, score: float = 0.93) -> dict[str, Any]:
    verb = "matches" if match else "resembles"
    return {
        "source": "un",
        "entity_id": "un-6908555",
        "schema": "Person",
        "caption": "IVAN PETROV",
        "programs": ["UKR"],
        "score": score,
        "match": match,
        "features": {"name_match": {"score": 1.0}},
        "explanation": f"{verb} UN-listed IVAN PETROV (score {score:.2f}: name match)",
    }


def party(name: str = "Jane Smith", role: str = "owner", *hits: dict[str, Any]) -> dict[str, Any]:
    return {"party": "people[0]", "role": role, "name": name, "hits": list(hits)}


def checks(**changes: Any) -> dict[str, Any]:
    """What TradeGuard finds for a clean UK merchant, with ``changes`` on top."""
    found: dict[str, Any] = {
        "identifiers": [
            {"field": "registration_number", "scheme": "gb.companies_house", "value": "01234567",
             "valid": True, "detail": "registration number 01234567 has the shape of ..."},
        ],
        "screening": {
            "lists": ["un v1, 2026-02-27"],
            "threshold": 0.7,
            "parties": [
                {"party": "company", "role": "company", "name": "Bright Lamps Ltd", "hits": []},
                party(),
            ],
            "best_score": 0.0,
            "matches": 0,
        },
        "jurisdictions": [],
        "countries": {"registration": ["GB"], "bank": ["GB"]},
        "inconsistencies": [],
        "ring": [],
        "ring_merchants": 0,
    }  # fmt: skip
    found.update(changes)
    return found


def screening(*parties: dict[str, Any], lists: list[str] | None = None) -> dict[str, Any]:
    scores = [h["score"] for p in parties for h in p["hits"]]
    return {
        "lists": ["un v1, 2026-02-27"] if lists is None else lists,
        "threshold": 0.7,
        "parties": list(parties),
        "best_score": max(scores, default=0.0),
        "matches": sum(h["match"] for p in parties for h in p["hits"]),
    }


def flag(country: str, where: str, status: str, countermeasures: bool = False) -> dict[str, Any]:
    return {
        "country": country,
        "where": where,
        "status": status,
        "as_of": "2026-06-19",
        "countermeasures": countermeasures,
    }


def link(entity_type: str, value: str, decision: str = "allow") -> dict[str, Any]:
    return {
        "merchant_id": "m-other",
        "entity_type": entity_type,
        "entity_value": value,
        "decision": decision,
    }


def run(
    pack: RulePack, kind: str, raw: dict[str, Any], counts: dict[str, int] | None = None
) -> list[Signal]:
    event = parse_event(kind, raw)
    counts = counts or {}

    def velocity(_metric: str, entity: str, _window: str) -> int:
        return counts.get(entity, 1)

    functions = {"velocity_distinct": velocity}
    variables = {"event": event.for_rules(), "entities": event.entities}
    return evaluate_pack(pack, kind, variables, functions)


def fired(signals: list[Signal]) -> set[str]:
    return {s.code.removeprefix("rule.") for s in signals}


INVALID_VAT = {
    "field": "tax_ids[0]",
    "scheme": "eu.vat",
    "value": "DE136695977",
    "valid": False,
    "detail": "VAT number DE136695977 fails its check digit (European Union VAT number)",
}
CASES: dict[str, tuple[dict[str, Any], dict[str, int]]] = {
    "sanctions_match": (
        checks(screening=screening(party("Ivan Petrov", "owner", hit()))),
        {},
    ),
    "sanctions_possible_match": (
        checks(screening=screening(party("Ivan Petrov", "owner", hit(False, 0.62)))),
        {},
    ),
    "sanctions_unavailable": (checks(screening=screening(lists=[])), {}),
    "fatf_countermeasures": (
        checks(jurisdictions=[flag("IR", "registration", "call_for_action", True)]),
        {},
    ),
    "fatf_call_for_action": (
        checks(jurisdictions=[flag("IR", "people[1]", "call_for_action", True)]),
        {},
    ),
    "fatf_monitoring_core": (
        checks(jurisdictions=[flag("VN", "bank", "increased_monitoring")]),
        {},
    ),
    "fatf_monitoring_other": (
        checks(jurisdictions=[flag("VN", "address:warehouse", "increased_monitoring")]),
        {},
    ),
    "identifier_invalid": (checks(identifiers=[INVALID_VAT]), {}),
    "country_mismatch": (checks(inconsistencies=["bank account in HK while registered in GB"]), {}),
    "country_mismatches": (
        checks(
            inconsistencies=[
                "bank account in LT while registered in GB",
                "connecting from NG where the company has no address",
            ]
        ),
        {},
    ),
    "ring_payout": (
        checks(ring=[link("bank_account", "GB82WEST12345698765432")], ring_merchants=1),
        {},
    ),
    "ring_identity": (checks(ring=[link("phone", "+442079460958")], ring_merchants=1), {}),
    "ring_place": (checks(ring=[link("ip", "81.2.69.160")], ring_merchants=1), {}),
    "application_farm": (checks(), {"device": 3}),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_each_merchant_rule_fires_on_its_pattern_alone(pack: RulePack, rule_id: str) -> None:
    found, counts = CASES[rule_id]
    signals = run(pack, "merchant", application(checks=found), counts)
    assert fired(signals) == {rule_id}, [s.reason for s in signals]


def test_a_clean_merchant_fires_nothing(pack: RulePack) -> None:
    assert run(pack, "merchant", application(checks=checks())) == []


def test_every_rule_has_a_pattern_here(pack: RulePack) -> None:
    rescreen_rules = {"rescreen_match", "rescreen_possible_match"}
    linked = {"ring_blocked"}  # fires beside the ring rule of what is shared
    assert {r.spec.id for r in pack.rules} == set(CASES) | rescreen_rules | linked


def test_reasons_read_as_sentences(pack: RulePack) -> None:
    def reason(rule_id: str, counts: dict[str, int] | None = None) -> str:
        found, more = CASES[rule_id]
        signals = run(pack, "merchant", application(checks=found), counts or more)
        return next(s.reason for s in signals if s.code == f"rule.{rule_id}")

    assert reason("sanctions_match") == (
        "owner 'Ivan Petrov' matches UN-listed IVAN PETROV (score 0.93: name match)"
    )
    assert reason("fatf_countermeasures") == (
        "registration in IR: the FATF calls for countermeasures (list of 2026-06-19)"
    )
    assert reason("identifier_invalid") == INVALID_VAT["detail"]
    assert reason("country_mismatches") == (
        "places that do not fit: bank account in LT while registered in GB, "
        "connecting from NG where the company has no address"
    )
    assert reason("ring_payout") == (
        "bank account GB82WEST12345698765432 is also on merchant m-other (linked merchants: 1)"
    )
    assert reason("application_farm") == (
        "3 merchant applications from this device and 1 from this IP in 24 hours"
    )


def test_sharing_with_a_blocked_merchant_is_reviewed(pack: RulePack) -> None:
    found = checks(ring=[link("bank_account", "GB82WEST12345698765432", "block")], ring_merchants=1)
    signals = run(pack, "merchant", application(checks=found))
    assert fired(signals) == {"ring_payout", "ring_blocked"}
    blocked = next(s for s in signals if s.code == "rule.ring_blocked")
    assert blocked.reason == (
        "bank account GB82WEST12345698765432 is shared with merchant m-other, which was blocked"
    )


def test_stacked_scores_reach_the_decisions_the_docs_promise(pack: RulePack) -> None:
    thresholds = pack.spec.thresholds or Thresholds()

    def decision(found: dict[str, Any]) -> str:
        return decide(run(pack, "merchant", application(checks=found)), thresholds)[0].value

    shell = CASES["country_mismatches"][0]["inconsistencies"]
    grey = [flag("VN", "registration", "increased_monitoring")]
    assert decision(checks(inconsistencies=shell)) == "challenge"  # 35
    assert decision(checks(inconsistencies=shell, jurisdictions=grey)) == "review"  # 35 + 25
    assert decision(checks(jurisdictions=grey)) == "allow"  # 25
    assert decision(CASES["sanctions_match"][0]) == "block"


def rescreen_event(*hits: dict[str, Any]) -> dict[str, Any]:
    parties = [party("Ivan Petrov", "director", *hits)]
    return {
        "id": "rescreen-m-1-abc",
        "occurred_at": "2026-03-02T09:00:00+00:00",
        "merchant_id": "m-1",
        "reason": "un v2, 2026-03-01: 1 added, 0 changed",
        "list_versions": ["un v2, 2026-03-01"],
        "new_hits": parties,
        "screening": screening(*parties),
    }


def test_a_rescreen_match_blocks_and_a_resemblance_is_reviewed(pack: RulePack) -> None:
    matched = run(pack, "merchant_rescreen", rescreen_event(hit()))
    assert fired(matched) == {"rescreen_match"}
    assert matched[0].reason == (
        "after a list update, director 'Ivan Petrov' matches UN-listed IVAN PETROV"
        " (score 0.93: name match)"
    )
    possible = run(pack, "merchant_rescreen", rescreen_event(hit(False, 0.6)))
    assert fired(possible) == {"rescreen_possible_match"}
