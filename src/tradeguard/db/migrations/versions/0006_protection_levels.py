"""protection levels: reported volumes, attestations and assessment history

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def _json(name: str) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
        nullable=False,
    )


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "volume_reports",
        _id(),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _at("reported_at"),
        sa.Column("reported_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume_reports")),
        sa.UniqueConstraint("kind", "day", "source", name=op.f("uq_volume_reports_kind_day")),
    )
    op.create_table(
        "attestations",
        _id(),
        sa.Column("control_id", sa.String(length=40), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("document", sa.String(length=500), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("attested_by", sa.String(length=120), nullable=False),
        _at("attested_at"),
        _at("expires_at"),
        _at("revoked_at", nullable=True),
        sa.Column("revoked_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attestations")),
    )
    op.create_index(
        "ix_attestations_control", "attestations", ["control_id", "expires_at"], unique=False
    )
    op.create_table(
        "assessment_snapshots",
        _id(),
        _at("as_of"),
        sa.Column("markets", sa.String(length=20), nullable=False),
        sa.Column("catalog_sha256", sa.String(length=64), nullable=False),
        sa.Column("overall_level", sa.Integer(), nullable=False),
        _json("layers"),
        _json("cells"),
        _json("counts"),
        _at("recorded_at"),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_snapshots")),
    )
    op.create_index(
        "ix_assessment_snapshots_markets_at",
        "assessment_snapshots",
        ["markets", "as_of"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_assessment_snapshots_markets_at", table_name="assessment_snapshots")
    op.drop_table("assessment_snapshots")
    op.drop_index("ix_attestations_control", table_name="attestations")
    op.drop_table("attestations")
    op.drop_table("volume_reports")
