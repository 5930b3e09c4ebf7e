"""Merchant rings over stored applications, on both stores: who shares what with whom."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from schwifty import IBAN
from sqlalchemy.orm import Session

from tests.domains.merchants.listed import FIRST, sha, un_list
from tests.factories import T0
from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants.rings import Ring, find_ring
from tradeguard.domains.merchants.sanctions import store
from tradeguard.engine.service import ingest
from tradeguard.errors import NotFound
from tradeguard.runtime import Runtime

SHARED_IBAN = str(IBAN.generate("DE", bank_code="37040044", account_code="0532013000"))
COWORKING = {
    "kind": "operating",
    "lines": ["Hub 9, Kanalstrasse 1"],
    "postcode": "10115",
    "country": "DE",
}


def iban(n: int) -> str:
    return str(IBAN.generate("DE", bank_code="37040044", account_code=f"{n:010d}"))


def person(name: str, born: str, *roles: str) -> dict[str, Any]:
    return {"name": name, "birth_date": born, "roles": list(roles or ("owner",))}


def application(merchant: str, n: int, **fields: Any) -> dict[str, Any]:
    """A German seller that shares nothing with another unless ``fields`` says so."""
    event = {
        "id": f"app-{merchant}-{n}",
        "occurred_at": T0.replace(hour=n % 24).isoformat(),
        "merchant_id": merchant,
        "legal_name": f"{merchant.title()} Handel GmbH",
        "registration_country": "DE",
        "people": [person(f"Owner {merchant}", "1970-01-01")],
        "bank": {"iban": iban(n), "country": "DE"},
        "device_id": f"dev-{merchant}",
        "ip": f"91.0.{n}.1",
    }
    return {**event, **fields}


def send(rt: Runtime, event: dict[str, Any], kind: str = "merchant") -> None:
    ingest(rt.sessions, kind=kind, raw=event, actor="test", counters=rt.counters)


@pytest.fixture
def market(runtime: Runtime) -> Runtime:
    """ada -iban- bo -director- cy -phone- dee; seven sellers at one co-working address.

    The director is bo's second person and cy's first: one person, whichever slot.
    """
    with unit_of_work(runtime.sessions) as session:
        store.load_list(session, un_list(*FIRST), file_sha256=sha(*FIRST), actor="test")
    director = person("Jane Roe", "1980-02-03", "director")
    send(runtime, application("ada", 1, bank={"iban": SHARED_IBAN}))
    send(
        runtime,
        application(
            "bo",
            2,
            bank={"iban": SHARED_IBAN},
            people=[person("Owner bo", "1971-01-01"), director],
        ),
    )
    send(runtime, application("cy", 3, people=[director], phone="+4915123456789"))
    send(runtime, application("dee", 4, phone="+4915123456789"))
    for i in range(7):
        send(runtime, application(f"hub-{i}", 10 + i, addresses=[COWORKING]))
    send(runtime, application("ada", 30, action="update", addresses=[COWORKING]))
    return runtime


@pytest.fixture
def session(market: Runtime) -> Iterator[Session]:
    with unit_of_work(market.sessions) as s:
        yield s


def merchants(ring: Ring) -> dict[str, int]:
    return {m.merchant_id: m.depth for m in ring.merchants}


def test_depth_one_is_the_merchants_sharing_something_with_this_one(session: Session) -> None:
    ring = find_ring(session, "ada", depth=1)
    assert merchants(ring) == {"ada": 0, "bo": 1}
    [bo] = [m for m in ring.merchants if m.merchant_id == "bo"]
    assert [(v.merchant, v.entity_type, v.entity_value) for v in bo.via] == [
        ("ada", "bank_account", SHARED_IBAN)
    ]
    assert bo.legal_name == "Bo Handel GmbH"
    assert bo.latest_decision == "review"  # paid into ada's account


def test_a_person_in_any_slot_links_and_depth_reaches_further(session: Session) -> None:
    assert merchants(find_ring(session, "ada")) == {"ada": 0, "bo": 1, "cy": 2}
    ring = find_ring(session, "ada", depth=3)
    assert merchants(ring) == {"ada": 0, "bo": 1, "cy": 2, "dee": 3}
    assert {(k.merchant, k.other, k.entity_type) for k in ring.links} == {
        ("ada", "bo", "bank_account"),
        ("bo", "cy", "person"),
        ("cy", "dee", "phone"),
    }
    [link] = [k for k in ring.links if k.entity_type == "person"]
    assert link.entity_value == "jane roe|1980-02-03"


def test_a_shared_coworking_address_is_reported_not_followed(session: Session) -> None:
    ring = find_ring(session, "ada", depth=3)
    assert not any(m.merchant_id.startswith("hub-") for m in ring.merchants)
    [common] = ring.common
    assert (common.entity_type, common.merchants) == ("address", 8)
    assert common.entity_value.startswith("hub 9, kanalstrasse 1")
    widened = find_ring(session, "hub-0", depth=1, degree_caps={"address": 10})
    assert len(widened.merchants) == 8  # the seven hub sellers and ada's update


def test_merchants_carry_their_names_and_history(session: Session) -> None:
    ring = find_ring(session, "ada", depth=3)
    ada = ring.merchants[0]
    assert (ada.merchant_id, ada.events, ada.legal_name) == ("ada", 2, "Ada Handel GmbH")
    by_id = {m.merchant_id: m for m in ring.merchants}
    assert by_id["bo"].open_cases == 1
    assert len(by_id["bo"].case_ids) == 1
    assert by_id["dee"].reviewed == 0


def test_link_types_narrow_the_ring(session: Session) -> None:
    ring = find_ring(session, "ada", depth=3, link_types=["person", "phone"])
    assert merchants(ring) == {"ada": 0}


def test_an_unknown_merchant_is_not_found_and_depth_is_bounded(session: Session) -> None:
    with pytest.raises(NotFound, match="merchant 'nobody'"):
        find_ring(session, "nobody")
    for depth in (0, 4):
        with pytest.raises(ValueError, match="depth"):
            find_ring(session, "ada", depth=depth)
