"""One merchant as it stands: its last application or update, that verdict and what was found."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from tradeguard.domains.merchants.schemas import MerchantChecks
from tradeguard.engine import history
from tradeguard.engine.verdicts import Decision
from tradeguard.errors import NotFound


class MerchantSummary(BaseModel):
    merchant_id: str
    legal_name: str
    registration_country: str
    action: str  # application or update
    event_id: str
    occurred_at: datetime
    decision: Decision
    score: int
    case_id: int | None
    checks: MerchantChecks | None  # None for an event stored before the checks existed


def merchant_summary(session: Session, merchant_id: str) -> MerchantSummary:
    """The merchant's last stored ``merchant`` event with its verdict and checks."""
    event = last_application(session, merchant_id)
    if event is None:
        raise NotFound(f"no merchant {merchant_id!r}")
    fields = event.fields
    return MerchantSummary(
        merchant_id=merchant_id,
        legal_name=str(fields.get("legal_name", "")),
        registration_country=str(fields.get("registration_country", "")),
        action=str(fields.get("action", "application")),
        event_id=event.event_id,
        occurred_at=event.occurred_at,
        decision=event.verdict.decision,
        score=event.verdict.score,
        case_id=event.verdict.case_id,
        checks=_checks(fields.get("checks")),
    )


def last_application(session: Session, merchant_id: str) -> history.EventRead | None:
    """The merchant's last stored application or update, with its verdict."""
    found = history.search(
        session, kind="merchant", entity_type="merchant", entity_value=merchant_id, limit=1
    )
    return found[0] if found else None


def _checks(stored: object) -> MerchantChecks | None:
    if stored is None:
        return None
    try:
        return MerchantChecks.model_validate(stored)
    except ValidationError:
        return None  # written by another version: the event itself still shows it
