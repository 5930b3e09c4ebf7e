"""Merchant applications for tests: a clean UK seller, changed only where a test says so."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from schwifty import IBAN
from sqlalchemy.orm import Session

from tests.domains.merchants.listed import sha, un_list
from tests.factories import T0
from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants.sanctions import store
from tradeguard.domains.merchants.sanctions.entities import ListedEntity
from tradeguard.engine.service import ingest
from tradeguard.engine.verdicts import Verdict
from tradeguard.runtime import Runtime

_ids = itertools.count(1)

JANE = {
    "name": "Jane Smith",
    "birth_date": "1980-04-02",
    "nationality": "GB",
    "roles": ["owner", "director"],
    "ownership_pct": 100,
}


def application(merchant_id: str = "m-1", *, minutes: float = 0, **changes: Any) -> dict[str, Any]:
    """A UK company whose every identifier is well-formed and every country agrees.

    Its bank account, phone, device and IP are its own, so two of them share nothing.
    """
    n = next(_ids)
    event: dict[str, Any] = {
        "id": changes.pop("event_id", None) or f"merchant-{n}",
        "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "merchant_id": merchant_id,
        "legal_name": "Bright Lamps Ltd",
        "trading_names": ["Bright Lamps"],
        "registration_number": f"{n:08d}",
        "registration_country": "GB",
        "tax_ids": [{"value": "GB980780684"}],
        "people": [{**JANE, "birth_date": f"19{50 + n % 50}-04-02"}],
        "addresses": [
            {
                "kind": "registered",
                "lines": [f"{n} High Street"],
                "city": "London",
                "postcode": "EC1A 1AA",
                "country": "GB",
            },
        ],
        "bank": {
            "iban": str(IBAN.generate("GB", bank_code="NWBK601613", account_code=f"{n:08d}")),
            "holder_name": "Bright Lamps Ltd",
        },
        "website": f"https://shop{n}.brightlamps{n}.co.uk",
        "email": f"jane{n}@brightlamps.co.uk",
        "phone": f"+44 20 7946 0{n % 1000:03d}",
        "device_id": f"dev-{n}",
        "ip": f"81.2.{n // 250 % 250}.{n % 250 + 1}",
        "ip_country": "GB",
    }
    event.update(changes)
    return event


def apply(rt: Runtime, event: dict[str, Any], kind: str = "merchant") -> Verdict:
    return ingest(rt.sessions, kind=kind, raw=event, actor="test", counters=rt.counters)


def load_un(rt: Runtime, *entities: ListedEntity) -> store.LoadResult:
    with unit_of_work(rt.sessions) as session:
        return load_un_in(session, *entities)


def load_un_in(session: Session, *entities: ListedEntity) -> store.LoadResult:
    return store.load_list(session, un_list(*entities), file_sha256=sha(*entities), actor="test")


def codes(verdict: Verdict) -> set[str]:
    return {s.code for s in verdict.signals}


def reason(verdict: Verdict, code: str) -> str:
    return next(s.reason for s in verdict.signals if s.code == code)
