"""merchant sanctions: versioned sanctions lists and their listed parties

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
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


def _version_id(name: str, *, nullable: bool) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=nullable)


def _version_fk(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["sanction_list_versions.id"],
        name=op.f(f"fk_sanction_entities_{column}_sanction_list_versions"),
    )


def upgrade() -> None:
    op.create_table(
        "sanction_list_versions",
        _id(),
        sa.Column("list_key", sa.String(length=80), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=120), nullable=False),
        sa.Column("entity_count", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        _json("diff"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanction_list_versions")),
        sa.UniqueConstraint(
            "list_key", "number", name=op.f("uq_sanction_list_versions_list_number")
        ),
    )
    op.create_table(
        "sanction_entities",
        _id(),
        sa.Column("list_key", sa.String(length=80), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("schema", sa.String(length=40), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        _json("data"),
        sa.Column("digest", sa.String(length=64), nullable=False),
        _version_id("first_version_id", nullable=False),
        _version_id("version_id", nullable=False),
        _version_id("removed_version_id", nullable=True),
        _version_fk("first_version_id"),
        _version_fk("version_id"),
        _version_fk("removed_version_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanction_entities")),
        sa.UniqueConstraint("list_key", "entity_id", name=op.f("uq_sanction_entities_list_entity")),
    )
    op.create_index(
        "ix_sanction_entities_current",
        "sanction_entities",
        ["list_key", "removed_version_id"],
        unique=False,
    )
    op.create_index(
        "ix_sanction_entities_version", "sanction_entities", ["version_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_sanction_entities_version", table_name="sanction_entities")
    op.drop_index("ix_sanction_entities_current", table_name="sanction_entities")
    op.drop_table("sanction_entities")
    op.drop_table("sanction_list_versions")
