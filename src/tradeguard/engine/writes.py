"""Core INSERT statements for the screening hot path.

The ORM unit of work costs more than the rest of a verdict put together, so the rows every
event writes go through prebuilt Core statements on the session's connection: compiled once,
cached by SQLAlchemy, parameterised, and in the caller's transaction like everything else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Insert, insert
from sqlalchemy.dialects import postgresql, sqlite

from tradeguard.engine.tables import (
    AuditEntry,
    CaseRecord,
    EventEntity,
    EventRecord,
    FeatureVector,
    VerdictRecord,
)

_KEY = ["kind", "event_id"]
_NEW_EVENT: dict[str, Insert] = {
    "sqlite": sqlite.insert(EventRecord).on_conflict_do_nothing(index_elements=_KEY),
    "postgresql": postgresql.insert(EventRecord).on_conflict_do_nothing(index_elements=_KEY),
}
_ENTITIES = insert(EventEntity)
_VERDICT = insert(VerdictRecord).returning(VerdictRecord.id)
_CASE = insert(CaseRecord).returning(CaseRecord.id)
_AUDIT = insert(AuditEntry)
_FEATURES = insert(FeatureVector)


def _new_event_statement(conn: Connection) -> Insert:
    return _NEW_EVENT["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]


def new_event(conn: Connection, row: dict[str, Any]) -> int | None:
    """Insert the event; ``None`` if this kind and id is already stored (nothing written)."""
    statement = _new_event_statement(conn).returning(EventRecord.id)
    found = conn.execute(statement, row).scalar()
    return None if found is None else int(found)


def entities(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_ENTITIES, rows)


def verdict(conn: Connection, row: dict[str, Any]) -> int:
    return int(conn.execute(_VERDICT, row).scalar_one())


def case(conn: Connection, row: dict[str, Any]) -> int:
    return int(conn.execute(_CASE, row).scalar_one())


def audit(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(_AUDIT, row)


def feature_vector(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(_FEATURES, row)
