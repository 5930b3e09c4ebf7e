"""Tables of the protection levels: reported volumes, attestations and assessment history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tradeguard.db.base import Base, BigIntPK, JSONType, UTCDateTime, utcnow


class VolumeReport(Base):
    """How many events of a kind the store's own system of record saw on a day.

    Screening coverage is screened / reported: only the store knows how many logins or orders
    it really had, so "every payment is scored" is measured against its count, not assumed.
    """

    __tablename__ = "volume_reports"
    __table_args__ = (UniqueConstraint("kind", "day", "source", name="uq_volume_reports_kind_day"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(80))  # the reporting system, e.g. "checkout"
    count: Mapped[int] = mapped_column(Integer)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reported_by: Mapped[str] = mapped_column(String(120))


class Attestation(Base):
    """A person's statement that a control is met, with the document behind it.

    Never edited: a correction is a new attestation, a withdrawal sets ``revoked_at``.
    """

    __tablename__ = "attestations"
    __table_args__ = (Index("ix_attestations_control", "control_id", "expires_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    control_id: Mapped[str] = mapped_column(String(40))
    statement: Mapped[str] = mapped_column(Text)
    document: Mapped[str | None] = mapped_column(String(500))  # a reference: path, URL, DMS id
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    attested_by: Mapped[str] = mapped_column(String(120))
    attested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(120))


class AssessmentSnapshot(Base):
    """One recorded assessment: the trend is these, per set of markets."""

    __tablename__ = "assessment_snapshots"
    __table_args__ = (Index("ix_assessment_snapshots_markets_at", "markets", "as_of"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    markets: Mapped[str] = mapped_column(String(20))  # "" (base only), "EU", "CN,EU,US"
    catalog_sha256: Mapped[str] = mapped_column(String(64))
    overall_level: Mapped[int] = mapped_column(Integer)
    layers: Mapped[dict[str, int]] = mapped_column(JSONType)  # layer -> achieved level
    cells: Mapped[dict[str, Any]] = mapped_column(JSONType)  # "layer:level" -> status
    counts: Mapped[dict[str, int]] = mapped_column(JSONType)  # status -> controls
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(120))
