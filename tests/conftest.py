"""Shared fixtures: real PostgreSQL and Redis when reachable, a clear skip (or failure) when not."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tradeguard.config import Settings
    from tradeguard.runtime import Runtime

POSTGRES_ADMIN_URL = os.environ.get(
    "TRADEGUARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TRADEGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _unavailable(what: str, why: object) -> None:
    message = f"{what} not reachable ({why}); start it as DEVELOPERS.md says"
    if os.environ.get("TRADEGUARD_REQUIRE_SERVICES") == "1":
        pytest.fail(f"TRADEGUARD_REQUIRE_SERVICES=1 but {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty database for this test session, dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"tg_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection failure means "not reachable"
        admin.dispose()
        _unavailable("PostgreSQL", exc)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    from tradeguard.db.session import engine_for

    engine_for.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except Exception as exc:
        _unavailable("Redis", exc)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own, deleted afterwards."""
    import redis

    prefix = f"tgtest:{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=prefix + "*", count=1000):
        client.delete(key)
    client.close()


STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _truncate_postgres(url: str) -> None:
    """Empty every table; TRUNCATE does not fire the audit log's row-level guard."""
    from sqlalchemy import text

    from tradeguard.db.base import Base
    from tradeguard.db.session import engine_for

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine_for(url).begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def postgres_migrated(postgres_url: str) -> str:
    from tradeguard.db.migrate import upgrade
    from tradeguard.db.session import engine_for

    upgrade(engine_for(postgres_url))
    return postgres_url


def make_settings(tmp_path: Path, database_url: str | None = None, **extra: object) -> Settings:
    from tradeguard.config import load_settings

    return load_settings(
        data_dir=tmp_path / "data", database_url=database_url, counter_backend="sql", **extra
    )


@pytest.fixture(params=STORES)
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """A migrated store with the default packs live: a SQLite file, or the test PostgreSQL."""
    from tradeguard.engine.rulepacks import ACTIVE
    from tradeguard.levels.service import forget_cached
    from tradeguard.runtime import Runtime

    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_migrated")
        _truncate_postgres(url)
    ACTIVE.invalidate()
    forget_cached()
    rt = Runtime.start(make_settings(tmp_path, url))
    yield rt
    rt.close()
    ACTIVE.invalidate()
