"""The merchant checks: entities, links with their degree caps, hits in words, the enrich hook."""

from __future__ import annotations

from typing import Any

from tests.domains.merchants.applications import JANE, application, apply, load_un
from tests.domains.merchants.listed import SIDOROV, person
from tests.factories import order
from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants.checks import enrich, reasons
from tradeguard.domains.merchants.links import find_links, merchant_entities
from tradeguard.domains.merchants.sanctions.matching import (
    Feature,
    Match,
    SanctionsIndex,
    person_query,
)
from tradeguard.domains.merchants.schemas import MerchantPayload
from tradeguard.engine.events import parse_event
from tradeguard.runtime import Runtime


def payload(**changes: Any) -> MerchantPayload:
    found = parse_event("merchant", application(**changes)).payload
    assert isinstance(found, MerchantPayload)
    return found


def test_entities_are_normalised_and_each_person_and_address_has_its_slot() -> None:
    entities = merchant_entities(
        payload(
            merchant_id="m-7",
            registration_number="sc 123-456",
            people=[JANE, {**JANE, "name": "  José   Núñez ", "birth_date": None}, JANE],
            addresses=[
                {"kind": "registered", "lines": ["1 High St"], "postcode": "EC1A 1AA",
                 "country": "GB"},
                {"kind": "warehouse", "lines": ["Unit 4", "Dock Rd"], "country": "CN"},
            ],
            bank={"iban": "gb82 west 1234 5698 7654 32"},
            website="https://www.shop.example.co.uk/about",
            email="Jane@Example.co.uk",
        )
    )  # fmt: skip
    assert entities["merchant"] == "m-7"
    assert entities["registration"] == "GB:SC123456"
    assert entities["bank_account"] == "GB82WEST12345698765432"
    assert entities["website"] == "example.co.uk"
    assert (entities["email"], entities["email_domain"]) == ("jane@example.co.uk", "example.co.uk")
    assert entities["person"] == "jane smith|1980-04-02"
    assert entities["person.2"] == "jose nunez|"
    assert "person.3" not in entities  # the same person twice is one entity
    assert entities["address"] == "1 high st, ec1a 1aa, gb"
    assert entities["address.2"] == "unit 4, dock rd, cn"


def test_links_find_other_merchants_by_what_they_share(runtime: Runtime) -> None:
    shared_iban = "GB29NWBK60161331926819"
    load_un(runtime, SIDOROV)
    apply(runtime, application("m-1", bank={"iban": shared_iban}))
    apply(runtime, application("m-2", people=[JANE]))
    apply(runtime, application("m-1", action="update", bank={"iban": shared_iban}))
    new = payload(merchant_id="m-3", bank={"iban": shared_iban}, people=[JANE])
    with unit_of_work(runtime.sessions) as session:
        found = find_links(session, "m-3", merchant_entities(new))
    assert found.merchants == 2
    assert [(link.merchant_id, link.entity_type) for link in found.links] == [
        ("m-1", "bank_account"),
        ("m-2", "person"),
    ]
    assert {link.decision for link in found.links} == {"allow"}
    with unit_of_work(runtime.sessions) as session:  # the merchant itself is never a link
        assert find_links(session, "m-1", merchant_entities(new)).merchants == 1


def test_a_value_on_too_many_merchants_links_nobody(runtime: Runtime) -> None:
    office = {"kind": "operating", "lines": ["1 Co-Working Sq"], "country": "GB"}
    for i in range(6):
        apply(runtime, application(f"m-{i}", ip="81.2.69.9", addresses=[office]))
    new = payload(merchant_id="m-new", ip="81.2.69.9", addresses=[office])
    with unit_of_work(runtime.sessions) as session:
        found = find_links(session, "m-new", merchant_entities(new))
        assert found.links == []
        assert found.merchants == 0
        assert {(t, n) for t, _, n in found.common} == {("ip", 6), ("address", 6)}
        raised = find_links(session, "m-new", merchant_entities(new), degree_caps={"ip": 10})
    assert raised.merchants == 6
    assert {link.entity_type for link in raised.links} == {"ip"}


def test_only_merchant_applications_link(runtime: Runtime) -> None:
    # A buyer's order names the seller and carries the buyer's device and e-mail: those are
    # the buyer's, not the seller's, and must not link sellers.
    new = payload(merchant_id="m-new", device_id="dev-shared", email="ops@shared.example")
    apply(
        runtime, order(merchant="m-old", device="dev-shared", email="ops@shared.example"), "order"
    )
    with unit_of_work(runtime.sessions) as session:
        assert find_links(session, "m-new", merchant_entities(new)).merchants == 0


def _match(features: dict[str, tuple[float, str]], score: float = 0.9) -> Match:
    return Match(
        entity=SIDOROV,
        source="un",
        score=score,
        match=score >= 0.7,
        features={k: Feature(s, d, None, None) for k, (s, d) in features.items()},
    )


def test_hit_features_in_words() -> None:
    assert reasons(
        _match(
            {
                "name_match": (1.0, "literal"),
                "dob_year_disjoint": (0.0, "Birth year match: 1961"),
                "dob_day_disjoint": (0.0, "Birth day match: 1961-05-02"),
            }
        )
    ) == ["name match", "birth date match"]
    assert reasons(
        _match(
            {
                "name_match": (0.874, "symbols"),
                "dob_year_disjoint": (1.0, "Birth years: 1980 vs 1961"),
                "country_mismatch": (1.0, "Different countries"),
                "identifier_match": (1.0, "Matched identifiers: 123"),
            }
        )
    ) == ["name similarity 0.87", "birth date differs", "different country", "same identifier"]


def test_the_matcher_explains_a_listed_director() -> None:
    index = SanctionsIndex.build([("un", SIDOROV), ("un", person("un-9", "Someone Else"))])
    [found] = index.match(person_query("Ivan Petrovich Sidorov", "1961-05-02", "RU"))
    assert reasons(found)[:2] == ["name match", "birth date match"]


def test_enrich_replaces_sent_checks_and_leaves_the_rest_alone(runtime: Runtime) -> None:
    load_un(runtime, SIDOROV)
    sent = application(
        "m-5",
        people=[{**JANE, "name": "Ivan Sidorov", "birth_date": "1961-05-02", "nationality": "RU"}],
        checks={
            "identifiers": [],
            "screening": {"lists": ["trust me"], "threshold": 0.99, "parties": [],
                          "best_score": 0, "matches": 0},
            "jurisdictions": [],
            "countries": {},
            "inconsistencies": [],
            "ring": [],
            "ring_merchants": 0,
        },
    )  # fmt: skip
    event = parse_event("merchant", sent)
    with unit_of_work(runtime.sessions) as session:
        enriched = enrich(session, event)
    checks = enriched.fields["checks"]
    assert checks["screening"]["lists"] == ["un v1, 2026-02-27"]
    assert checks["screening"]["matches"] == 1
    assert enriched.payload.checks is not None  # type: ignore[attr-defined]
    assert enriched.payload.checks.screening.matches == 1  # type: ignore[attr-defined]
    assert (enriched.id, enriched.entities, enriched.occurred_at) == (
        event.id,
        event.entities,
        event.occurred_at,
    )
    assert {k: v for k, v in enriched.fields.items() if k != "checks"} == {
        k: v for k, v in event.fields.items() if k != "checks"
    }
