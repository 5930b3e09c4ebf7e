"""The ``merchant`` payload: bounded, normalised, and refused with the field at fault."""

from __future__ import annotations

from typing import Any

import pytest

from tests.domains.merchants.applications import JANE, application
from tradeguard.domains.merchants.schemas import MerchantPayload, ScreeningHit
from tradeguard.engine.events import parse_event
from tradeguard.errors import Invalid


def parsed(**changes: Any) -> MerchantPayload:
    payload = parse_event("merchant", application(**changes)).payload
    assert isinstance(payload, MerchantPayload)
    return payload


def test_a_clean_application_is_read_and_normalised() -> None:
    merchant = parsed(
        registration_country="gb",
        phone="020 7946 0958",  # no country code: read as the registration country's
        email="Jane.Smith@BrightLamps.CO.UK",
        website="Shop.BrightLamps.co.uk/About",
        bank={"iban": "gb82 west 1234 5698 7654 32", "bic": "nwbk gb 2l"},
        documents=[{"kind": "incorporation", "reference": "doc-1", "sha256": "AB" * 32}],
    )
    assert merchant.registration_country == "GB"
    assert merchant.phone == "+442079460958"
    assert merchant.email == "jane.smith@brightlamps.co.uk"
    assert merchant.website == "https://shop.brightlamps.co.uk/About"
    assert merchant.bank is not None
    assert merchant.bank.iban == "GB82WEST12345698765432"
    assert merchant.bank.bic == "NWBKGB2L"
    assert merchant.documents[0].sha256 == "ab" * 32
    assert merchant.checks is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"registration_country": "XX"}, "registration_country"),
        ({"registration_country": "GBR"}, "registration_country"),
        ({"ip_country": "EU"}, "ip_country"),
        ({"people": [{**JANE, "nationality": "Germany"}]}, "people.0.nationality"),
        ({"people": [{**JANE, "birth_date": "02/04/1980"}]}, "people.0.birth_date"),
        ({"people": [{**JANE, "birth_date": "1980-02-30"}]}, "people.0.birth_date"),
        ({"people": [{**JANE, "birth_date": "1850"}]}, "people.0.birth_date"),
        ({"people": [{**JANE, "roles": []}]}, "people.0.roles"),
        ({"people": [{**JANE, "roles": ["owner", "owner"]}]}, "people.0.roles"),
        ({"people": [{**JANE, "roles": ["ceo"]}]}, "people.0.roles.0"),
        ({"people": [{**JANE, "ownership_pct": 101}]}, "people.0.ownership_pct"),
        ({"people": [JANE] * 31}, "people"),
        ({"trading_names": ["x"] * 11}, "trading_names"),
        ({"phone": "+44 20 7946"}, "phone"),
        ({"phone": "not a number"}, "phone"),
        ({"email": "jane@"}, "email"),
        ({"website": "ftp://files.example.com"}, "website"),
        ({"website": "localhost"}, "website"),
        ({"bank": {"holder_name": "Bright Lamps Ltd"}}, "bank"),
        ({"bank": {"iban": "GB82-WEST-1234!"}}, "bank.iban"),
        ({"documents": [{"kind": "id", "reference": "r", "sha256": "xyz"}]}, "documents.0.sha256"),
        ({"addresses": [{"kind": "home", "lines": ["a"], "country": "GB"}]}, "addresses.0.kind"),
        ({"addresses": [{"kind": "warehouse", "lines": [], "country": "GB"}]}, "addresses.0.lines"),
        ({"merchant_id": "has space"}, "merchant_id"),
        ({"legal_name": ""}, "legal_name"),
        ({"legal_name": "Lamps\x00"}, "legal_name"),
        ({"nickname": "x"}, "nickname"),
        ({"checks": {"identifiers": "none"}}, "checks"),
    ],
)
def test_a_bad_field_is_refused_with_its_name(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_event("merchant", application(**changes))
    fields = [e["field"] for e in caught.value.extra["errors"]]
    assert any(f.startswith(field) for f in fields), fields


def test_sent_checks_are_accepted_by_the_schema_and_keep_the_digest_of_what_was_sent() -> None:
    # The schema takes a well-formed checks object (a stored event read back, a back-test);
    # the engine replaces it at intake (see test_merchant_screening).
    plain = application(event_id="same", merchant_id="m-9")
    with_checks = {**plain, "checks": _checks()}
    first, second = parse_event("merchant", plain), parse_event("merchant", with_checks)
    assert second.payload.checks is not None  # type: ignore[attr-defined]
    assert first.sha256 != second.sha256


def test_a_screening_hit_is_stored_with_its_schema_under_the_lists_own_name() -> None:
    hit = ScreeningHit(
        source="un",
        entity_id="un-1",
        schema_="Person",
        caption="X",
        programs=[],
        score=0.8,
        match=True,
        features={},
    )
    dumped = hit.model_dump(mode="json")
    assert dumped["schema"] == "Person"
    assert "schema_" not in dumped
    assert ScreeningHit.model_validate(dumped) == hit


def _checks() -> dict[str, Any]:
    return {
        "identifiers": [],
        "screening": {"lists": [], "threshold": 0.7, "parties": [], "best_score": 0, "matches": 0},
        "jurisdictions": [],
        "countries": {},
        "inconsistencies": [],
        "ring": [],
        "ring_merchants": 0,
    }
