"""The audit log: who changed what, when, and under which rule-pack or model version."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tradeguard.db.base import utcnow
from tradeguard.engine import writes
from tradeguard.engine.tables import AuditEntry

SYSTEM = "system"


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    versions: list[str] | None


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    versions: Sequence[str] | None = None,
) -> None:
    """Add an entry to the caller's transaction, so the change and its record land together."""
    writes.audit(
        session.connection(),
        {
            "at": utcnow(),
            "actor": actor,
            "action": action,
            "target_type": target_type,
            "target_id": str(target_id),
            "before": before,
            "after": after,
            "versions": list(versions) if versions else None,
        },
    )


def created(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str,
    row: Any,
    schema: type[BaseModel],
) -> None:
    """Store a new row and record it, read through ``schema`` (which leaves secrets out)."""
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=row.id,
        after=schema.model_validate(row).model_dump(mode="json"),
    )


@contextmanager
def tracked(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str,
    row: Any,
    schema: type[BaseModel],
) -> Iterator[None]:
    """Record a stored row, read through ``schema``, as it was before the block and after it."""

    def snapshot() -> dict[str, Any]:
        return schema.model_validate(row).model_dump(mode="json")

    before = snapshot()
    yield
    record(
        session,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=row.id,
        before=before,
        after=snapshot(),
    )


def search(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Newest first; ``before_id`` pages backwards through the log."""
    query: Select[AuditEntry] = select(AuditEntry).order_by(AuditEntry.id.desc())
    filters = {
        AuditEntry.actor: actor,
        AuditEntry.action: action,
        AuditEntry.target_type: target_type,
        AuditEntry.target_id: target_id,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if text:
        pattern = f"%{text}%"
        query = query.where(
            AuditEntry.action.ilike(pattern)
            | AuditEntry.actor.ilike(pattern)
            | AuditEntry.target_id.ilike(pattern)
        )
    return list(session.scalars(query.limit(limit)))
