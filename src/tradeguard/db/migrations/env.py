"""Alembic environment: runs on the connection handed in by ``tradeguard.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

import tradeguard.auth.models
import tradeguard.domains.accounts.models
import tradeguard.domains.merchants.sanctions.tables
import tradeguard.engine.tables
import tradeguard.levels.models  # noqa: F401  (register tables on the metadata)
from tradeguard.db.base import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _migrate(conn)
        return
    _migrate(connection)


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
