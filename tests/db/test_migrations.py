"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import tradeguard.auth.models
import tradeguard.domains.accounts.models
import tradeguard.domains.merchants.sanctions.tables
import tradeguard.engine.tables
import tradeguard.levels.models  # noqa: F401
from tradeguard.db.base import Base
from tradeguard.db.migrate import alembic_config, current_revision, upgrade
from tradeguard.db.session import engine_for, make_engine


def test_sqlite_schema_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    upgrade(engine)  # running it again is a no-op
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert current_revision(engine) == head == "0006"


@pytest.mark.postgres
def test_postgres_schema_matches_the_models(postgres_migrated: str) -> None:
    engine = engine_for(postgres_migrated)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
