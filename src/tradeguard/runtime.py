"""One place that turns settings into a database, sessions and a counter store."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tradeguard.config import Settings
from tradeguard.db.migrate import upgrade
from tradeguard.db.session import (
    WalCheckpointer,
    make_engine,
    session_factory,
    sqlite_path,
    unit_of_work,
)
from tradeguard.engine.counters import CounterStore
from tradeguard.engine.rulepacks import install_defaults as install_default_packs
from tradeguard.engine.screening import CounterBackend

if TYPE_CHECKING:
    from tradeguard.domains.mail.analyse import MailContext


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    counters: CounterBackend
    checkpointer: WalCheckpointer | None = None

    @classmethod
    def start(
        cls, settings: Settings, *, migrate: bool = True, install_defaults: bool = True
    ) -> Runtime:
        """Connect, optionally bring the schema up to date and install the default rule packs."""
        engine = make_engine(settings.resolved_database_url)
        runtime = cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            counters=counter_backend(settings),
        )
        database = sqlite_path(settings.resolved_database_url)
        runtime.checkpointer = WalCheckpointer(database) if database else None
        if migrate:
            upgrade(engine)
        if migrate and install_defaults:
            with unit_of_work(runtime.sessions) as session:
                install_default_packs(session)
        return runtime

    @cached_property
    def secret_key(self) -> str:
        """Read (or made) once per process: it keys sealed secrets and form tokens."""
        return self.settings.resolved_secret_key()

    @cached_property
    def mail(self) -> MailContext:
        """Brand index, YARA rules and text model: built on the first message, then shared."""
        from tradeguard.domains.mail.analyse import MailContext

        return MailContext.from_settings(self.settings)

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()


def counter_backend(settings: Settings) -> CounterBackend:
    from tradeguard.engine.counters import RedisCounterStore, SqlCounterStore

    if settings.resolved_counter_backend == "redis":
        import redis
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry

        assert settings.redis_url is not None
        # One quick retry: a verdict waiting seconds on a dead Redis is worse than a fast 503.
        client = redis.Redis.from_url(
            settings.redis_url,
            socket_timeout=2.0,
            socket_connect_timeout=1.0,
            retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
        )
        store: CounterStore = RedisCounterStore(client, prefix=settings.redis_prefix)
        return lambda _session: store
    return SqlCounterStore
