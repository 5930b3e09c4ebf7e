"""Cases: verdicts that need a person. A resolved case's label is ground truth for training."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeguard.db.base import utcnow
from tradeguard.engine import audit
from tradeguard.engine.tables import CaseRecord, EventRecord
from tradeguard.errors import Conflict, Invalid, NotFound

Label = Literal["fraud", "legitimate", "other"]
Status = Literal["open", "claimed", "resolved"]


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    decision: str
    status: str
    opened_at: datetime
    claimed_by: str | None
    claimed_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    label: str | None
    note: str | None


class CaseResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Label
    note: str = Field(default="", max_length=4000)


class LabelRead(BaseModel):
    event_id: str
    kind: str
    occurred_at: datetime
    label: str
    resolved_at: datetime
    resolved_by: str


def get_case(session: Session, case_id: int) -> CaseRecord:
    case = session.get(CaseRecord, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def list_cases(
    session: Session,
    *,
    status: Status | None = None,
    kind: str | None = None,
    label: Label | None = None,
    claimed_by: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[CaseRecord]:
    """Newest first; ``before_id`` pages backwards."""
    query = select(CaseRecord)
    for column, value in (
        (CaseRecord.status, status),
        (CaseRecord.kind, kind),
        (CaseRecord.label, label),
        (CaseRecord.claimed_by, claimed_by),
    ):
        if value is not None:
            query = query.where(column == value)
    if before_id is not None:
        query = query.where(CaseRecord.id < before_id)
    return list(session.scalars(query.order_by(CaseRecord.id.desc()).limit(limit)))


def _tracked(session: Session, case: CaseRecord, actor: str, action: str) -> Any:
    return audit.tracked(
        session, actor=actor, action=action, target_type="case", row=case, schema=CaseRead
    )


def claim(session: Session, *, case_id: int, actor: str) -> CaseRecord:
    case = get_case(session, case_id)
    if case.status == "resolved":
        raise Conflict(f"case {case_id} is already resolved")
    if case.status == "claimed" and case.claimed_by != actor:
        raise Conflict(f"case {case_id} is claimed by {case.claimed_by}")
    with _tracked(session, case, actor, "case.claim"):
        case.status, case.claimed_by, case.claimed_at = "claimed", actor, utcnow()
    return case


def release(session: Session, *, case_id: int, actor: str) -> CaseRecord:
    case = get_case(session, case_id)
    if case.status != "claimed":
        raise Conflict(f"case {case_id} is not claimed")
    with _tracked(session, case, actor, "case.release"):
        case.status, case.claimed_by, case.claimed_at = "open", None, None
    return case


def resolve(session: Session, *, case_id: int, actor: str, resolution: CaseResolve) -> CaseRecord:
    """Resolving needs no claim first; a case claimed by someone else cannot be resolved."""
    case = get_case(session, case_id)
    if case.status == "resolved":
        raise Conflict(f"case {case_id} is already resolved as {case.label}")
    if case.status == "claimed" and case.claimed_by != actor:
        raise Conflict(f"case {case_id} is claimed by {case.claimed_by}")
    if resolution.label == "other" and not resolution.note.strip():
        raise Invalid("a case resolved as 'other' needs a note saying why")
    with _tracked(session, case, actor, "case.resolve"):
        case.status, case.label, case.note = "resolved", resolution.label, resolution.note.strip()
        case.resolved_by, case.resolved_at = actor, utcnow()
    return case


def labels(
    session: Session,
    *,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10_000,
) -> list[LabelRead]:
    """Labelled events by event time, for training sets and back-tests."""
    query = (
        select(EventRecord, CaseRecord)
        .join(CaseRecord, CaseRecord.event_pk == EventRecord.id)
        .where(CaseRecord.label.is_not(None))
        .order_by(EventRecord.occurred_at)
    )
    if kind:
        query = query.where(EventRecord.kind == kind)
    if since:
        query = query.where(EventRecord.occurred_at >= since)
    if until:
        query = query.where(EventRecord.occurred_at < until)
    return [
        LabelRead(
            event_id=event.event_id,
            kind=event.kind,
            occurred_at=event.occurred_at,
            label=case.label or "",
            resolved_at=case.resolved_at or case.opened_at,
            resolved_by=case.resolved_by or "",
        )
        for event, case in session.execute(query.limit(limit))
    ]
