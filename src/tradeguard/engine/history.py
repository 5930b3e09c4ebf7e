"""Reading stored events and their verdicts back: by id, by filter, and by entity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tradeguard.engine.tables import CaseRecord, EventEntity, EventRecord, VerdictRecord
from tradeguard.engine.verdicts import Decision, Signal, Verdict
from tradeguard.errors import NotFound


class EventRead(BaseModel):
    cursor: int
    kind: str
    event_id: str
    occurred_at: datetime
    received_at: datetime
    fields: dict[str, Any]
    entities: dict[str, str]
    verdict: Verdict


def to_verdict(
    event: EventRecord, verdict: VerdictRecord, case_id: int | None, *, replayed: bool = False
) -> Verdict:
    return Verdict(
        event_id=event.event_id,
        kind=event.kind,
        occurred_at=event.occurred_at,
        decision=Decision(verdict.decision),
        score=verdict.score,
        signals=[Signal.model_validate(s) for s in verdict.signals],
        shadow_signals=[Signal.model_validate(s) for s in verdict.shadow_signals],
        rule_packs=verdict.rule_packs,
        model_versions=verdict.model_versions,
        latency_ms=verdict.latency_ms,
        case_id=case_id,
        replayed=replayed,
        created_at=verdict.created_at,
    )


def _joined() -> Select[EventRecord, VerdictRecord, int]:
    return (
        select(EventRecord, VerdictRecord, CaseRecord.id)
        .join(VerdictRecord, VerdictRecord.event_pk == EventRecord.id)
        .outerjoin(CaseRecord, CaseRecord.event_pk == EventRecord.id)
    )


def _read(event: EventRecord, verdict: VerdictRecord, case_id: int | None) -> EventRead:
    return EventRead(
        cursor=event.id,
        kind=event.kind,
        event_id=event.event_id,
        occurred_at=event.occurred_at,
        received_at=event.received_at,
        fields=event.payload,
        entities=event.entities,
        verdict=to_verdict(event, verdict, case_id),
    )


def find(session: Session, kind: str, event_id: str) -> EventRead | None:
    query = _joined().where(EventRecord.kind == kind, EventRecord.event_id == event_id)
    row = session.execute(query).first()
    return _read(*row) if row else None


def get(session: Session, kind: str, event_id: str) -> EventRead:
    found = find(session, kind, event_id)
    if found is None:
        raise NotFound(f"no {kind} event {event_id!r}")
    return found


def for_case(session: Session, case_id: int) -> EventRead:
    row = session.execute(_joined().where(CaseRecord.id == case_id)).first()
    if row is None:
        raise NotFound(f"no case {case_id}")
    return _read(*row)


def search(
    session: Session,
    *,
    kind: str | None = None,
    decision: Decision | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    entity_type: str | None = None,
    entity_value: str | None = None,
    before_pk: int | None = None,
    limit: int = 100,
) -> list[EventRead]:
    """Newest first; ``before_pk`` pages backwards (keyset pagination, stable under inserts)."""
    query = _joined().order_by(EventRecord.id.desc()).limit(limit)
    if kind:
        query = query.where(EventRecord.kind == kind)
    if decision:
        query = query.where(VerdictRecord.decision == decision.value)
    if since:
        query = query.where(EventRecord.occurred_at >= since)
    if until:
        query = query.where(EventRecord.occurred_at < until)
    if before_pk:
        query = query.where(EventRecord.id < before_pk)
    if entity_value:
        match = select(EventEntity.event_pk).where(EventEntity.entity_value == entity_value)
        if entity_type:
            match = match.where(EventEntity.entity_type == entity_type)
        query = query.where(EventRecord.id.in_(match))
    return [_read(*row) for row in session.execute(query)]


def stored_sha(session: Session, kind: str, event_id: str) -> str | None:
    """The payload digest stored under this kind and id, if the event was seen before."""
    return session.scalar(
        select(EventRecord.payload_sha256).where(
            EventRecord.kind == kind, EventRecord.event_id == event_id
        )
    )


def stored_entities(session: Session, kind: str, event_id: str) -> dict[str, str] | None:
    return session.scalar(
        select(EventRecord.entities).where(
            EventRecord.kind == kind, EventRecord.event_id == event_id
        )
    )
