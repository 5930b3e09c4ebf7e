"""The versioned sanctions-list store: one row per loaded list version, one per listed party.

Only the newest data of each party is kept; a version records what it changed (its diff), so
"what changed on the UN list on 27 February" stays answerable without keeping every file.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tradeguard.db.base import Base, BigIntPK, JSONType, UTCDateTime, utcnow


class SanctionListVersion(Base):
    """One stored version of one list; ``number`` counts the list's versions from 1."""

    __tablename__ = "sanction_list_versions"
    __table_args__ = (
        UniqueConstraint("list_key", "number", name="uq_sanction_list_versions_list_number"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    list_key: Mapped[str] = mapped_column(String(80))  # "ofac-sdn", "un", "csv:<name>"...
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))  # the format it was read with
    name: Mapped[str] = mapped_column(String(200))
    published: Mapped[date | None] = mapped_column(Date)
    file_sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(120))
    entity_count: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    # {"added"|"changed"|"removed": [{"entity_id", "caption"}], "skipped": [line]}, each capped;
    # the counts above stay exact.
    diff: Mapped[dict[str, Any]] = mapped_column(JSONType)


class SanctionEntity(Base):
    """A party as its list's newest version describes it; ``removed_version_id`` once delisted."""

    __tablename__ = "sanction_entities"
    __table_args__ = (
        UniqueConstraint("list_key", "entity_id", name="uq_sanction_entities_list_entity"),
        Index("ix_sanction_entities_current", "list_key", "removed_version_id"),
        Index("ix_sanction_entities_version", "version_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    list_key: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[str] = mapped_column(String(200))
    schema: Mapped[str] = mapped_column(String(40))
    caption: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)  # ListedEntity.to_json()
    digest: Mapped[str] = mapped_column(String(64))
    first_version_id: Mapped[int] = mapped_column(ForeignKey("sanction_list_versions.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("sanction_list_versions.id"))
    removed_version_id: Mapped[int | None] = mapped_column(ForeignKey("sanction_list_versions.id"))
