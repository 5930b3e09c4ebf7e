"""Aggregates for dashboards: verdict volumes over time, rules that fire most, the case queue.

Grouping happens in the database. The two dialects spell "truncate a timestamp" and "unnest a
JSON array" differently, so those two expressions are chosen per dialect; the rest is shared.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.orm import Session

from tradeguard.engine.tables import CaseRecord, EventRecord, VerdictRecord

Bucket = Literal["hour", "day"]


class VolumeRow(BaseModel):
    bucket: str  # "2026-11-24" or "2026-11-24 13" (UTC)
    kind: str
    decision: str
    count: int


class RuleCount(BaseModel):
    code: str
    count: int


class QueueSummary(BaseModel):
    open: int
    claimed: int
    by_kind: dict[str, int]
    oldest_opened_at: datetime | None
    resolved_since: dict[str, int]  # label -> count


def _truncate(session: Session, column: Any, bucket: Bucket) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "postgresql":
        fmt = "YYYY-MM-DD HH24" if bucket == "hour" else "YYYY-MM-DD"
        return func.to_char(func.timezone("UTC", column), fmt)
    # SQLite keeps UTC timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text.
    return func.substr(column, 1, 13 if bucket == "hour" else 10)


def volumes(
    session: Session, *, since: datetime, until: datetime, bucket: Bucket
) -> list[VolumeRow]:
    """Screened events per time bucket (by event time), kind and decision."""
    stamp = _truncate(session, EventRecord.occurred_at, bucket).label("bucket")
    query = (
        select(stamp, EventRecord.kind, VerdictRecord.decision, func.count())
        .join(VerdictRecord, VerdictRecord.event_pk == EventRecord.id)
        .where(EventRecord.occurred_at >= since, EventRecord.occurred_at < until)
        .group_by(stamp, EventRecord.kind, VerdictRecord.decision)
        .order_by(stamp)
    )
    return [
        VolumeRow(bucket=b, kind=k, decision=d, count=n) for b, k, d, n in session.execute(query)
    ]


def top_rules(
    session: Session, *, since: datetime, until: datetime, limit: int = 10
) -> list[RuleCount]:
    """Signal codes by how many verdicts they appeared in (live signals only)."""
    if session.get_bind().dialect.name == "postgresql":
        element = func.jsonb_array_elements(VerdictRecord.signals).table_valued("value")
        code: ColumnElement[Any] = element.c.value.op("->>")("code")
    else:
        element = func.json_each(VerdictRecord.signals).table_valued("value")
        code = func.json_extract(element.c.value, "$.code")
    query = (
        select(code.label("code"), func.count().label("n"))
        .select_from(VerdictRecord)
        .join(EventRecord, EventRecord.id == VerdictRecord.event_pk)
        .join(element, true())
        .where(EventRecord.occurred_at >= since, EventRecord.occurred_at < until)
        .group_by(code)
        .order_by(func.count().desc(), code)
        .limit(limit)
    )
    return [RuleCount(code=str(c), count=n) for c, n in session.execute(query)]


def counts(session: Session, query: Select[Any, int]) -> dict[str, int]:
    """A two-column (key, count) query as a mapping."""
    return {str(key): int(n) for key, n in session.execute(query)}


def queue(session: Session, *, resolved_since: datetime) -> QueueSummary:
    unresolved = CaseRecord.status != "resolved"
    statuses = counts(
        session,
        select(CaseRecord.status, func.count()).where(unresolved).group_by(CaseRecord.status),
    )
    return QueueSummary(
        open=statuses.get("open", 0),
        claimed=statuses.get("claimed", 0),
        by_kind=counts(
            session,
            select(CaseRecord.kind, func.count())
            .where(unresolved)
            .group_by(CaseRecord.kind)
            .order_by(CaseRecord.kind),
        ),
        oldest_opened_at=session.scalar(select(func.min(CaseRecord.opened_at)).where(unresolved)),
        resolved_since=counts(
            session,
            select(CaseRecord.label, func.count())
            .where(CaseRecord.resolved_at >= resolved_since)
            .group_by(CaseRecord.label),
        ),
    )


def latest_event_time(session: Session) -> datetime | None:
    return session.scalar(select(func.max(EventRecord.occurred_at)))
