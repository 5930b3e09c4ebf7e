"""The engine's tables. Business logic lives in the modules that use them, not here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tradeguard.db.base import Base, BigIntPK, JSONType, UTCDateTime, utcnow


class EventRecord(Base):
    """A screened event exactly as received; ``(kind, event_id)`` is the idempotency key."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("kind", "event_id", name="uq_events_kind_event_id"),
        Index("ix_events_kind_occurred", "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    entities: Mapped[dict[str, str]] = mapped_column(JSONType)


class EventEntity(Base):
    """Which entities an event touched, so an entity's history is one indexed look-up."""

    __tablename__ = "event_entities"
    __table_args__ = (Index("ix_event_entities_entity", "entity_type", "entity_value"),)

    event_pk: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    entity_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    entity_value: Mapped[str] = mapped_column(String(512))


class VerdictRecord(Base):
    __tablename__ = "verdicts"
    __table_args__ = (Index("ix_verdicts_decision_created", "decision", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    signals: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    shadow_signals: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    rule_packs: Mapped[list[str]] = mapped_column(JSONType)
    model_versions: Mapped[list[str]] = mapped_column(JSONType)
    latency_ms: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseRecord(Base):
    """A verdict that needs a person. Its label is the ground truth for training and back-tests."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_opened", "status", "opened_at"),
        Index("ix_cases_label", "label"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    verdict_pk: Mapped[int] = mapped_column(ForeignKey("verdicts.id"))
    kind: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    label: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class ListEntry(Base):
    """An allow- or block-list entry. Removal is a soft delete so the history stays readable."""

    __tablename__ = "list_entries"
    __table_args__ = (
        Index("ix_list_entries_lookup", "entity_type", "value"),
        Index("ix_list_entries_network", "is_network"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    list_name: Mapped[str] = mapped_column(String(8))
    entity_type: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(512))
    is_network: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by: Mapped[str | None] = mapped_column(String(120))


class RulePackRecord(Base):
    """One immutable version of a pack; ``status``: live, shadow or inactive."""

    __tablename__ = "rule_packs"
    __table_args__ = (UniqueConstraint("pack_id", "version", name="uq_rule_packs_pack_version"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    pack_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="inactive")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CounterObservation(Base):
    """One event's contribution to one velocity counter (see ``engine.counters``)."""

    __tablename__ = "counter_observations"
    __table_args__ = (
        UniqueConstraint("key", "event_id", name="uq_counter_observations_key_event"),
        Index("ix_counter_observations_key_at", "key", "at_us"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(700))
    event_id: Mapped[str] = mapped_column(String(200))
    at_us: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[float] = mapped_column(Float, default=1.0)
    distinct_value: Mapped[str | None] = mapped_column(String(512))


class AuditEntry(Base):
    """Append-only: the migration installs triggers that refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_action", "action"),
        Index("ix_audit_log_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    versions: Mapped[list[str] | None] = mapped_column(JSONType)


class ModelRecord(Base):
    """One immutable, versioned model: its artefact, features, training window and metrics."""

    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_models_name_version"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    feature_set: Mapped[str] = mapped_column(String(100))
    features: Mapped[list[str]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="inactive")
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType)
    training: Mapped[dict[str, Any]] = mapped_column(JSONType)
    thresholds: Mapped[dict[str, int]] = mapped_column(JSONType)
    artefact: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FeatureVector(Base):
    """The model inputs an event was screened with, so training can use what serving saw."""

    __tablename__ = "feature_vectors"

    event_pk: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    feature_set: Mapped[str] = mapped_column(String(100))
    # Little-endian float64s, NaN kept: a batch of a million decodes with one np.frombuffer,
    # where JSON decoding took three quarters of the batch-scoring time.
    vector: Mapped[bytes] = mapped_column(LargeBinary)
