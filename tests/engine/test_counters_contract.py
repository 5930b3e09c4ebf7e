"""One contract for every counter store: SQL on SQLite, SQL on PostgreSQL, and Redis."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from tradeguard.db.migrate import upgrade
from tradeguard.db.session import engine_for, make_engine, session_factory, unit_of_work
from tradeguard.engine.counters import (
    CounterKey,
    CounterQuery,
    CounterStore,
    Observation,
    RedisCounterStore,
    SqlCounterStore,
    parse_window,
)

T = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
KEY = CounterKey("login.failure", "account", "a-1")


class Harness:
    """Opens a store per unit of work, as the engine does (SQL: one session, then commit)."""

    def __init__(self, opener: Callable[[], Iterator[CounterStore]]) -> None:
        self._opener = contextmanager(opener)

    def record(self, *observations: Observation) -> None:
        with self._opener() as store:
            store.record(list(observations))

    def query(self, *queries: CounterQuery, at: datetime = T) -> list[float]:
        with self._opener() as store:
            return store.query(list(queries), at)

    def opener(self) -> Callable[[], object]:
        return self._opener


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
def counters(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "redis":
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        prefix = request.getfixturevalue("redis_prefix")

        def open_redis() -> Iterator[CounterStore]:
            yield RedisCounterStore(client, prefix=prefix)

        return Harness(open_redis)
    if request.param == "postgres":
        engine = engine_for(request.getfixturevalue("postgres_migrated"))
        from tests.conftest import _truncate_postgres

        _truncate_postgres(str(engine.url.render_as_string(hide_password=False)))
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'counters.db'}")
        upgrade(engine)
    sessions = session_factory(engine)

    def open_sql() -> Iterator[CounterStore]:
        with unit_of_work(sessions) as session:
            yield SqlCounterStore(session)

    return Harness(open_sql)


def obs(
    event_id: str,
    minutes_before: float,
    amount: float = 1.0,
    distinct: str | None = None,
    key: CounterKey = KEY,
) -> Observation:
    return Observation(key, event_id, T - timedelta(minutes=minutes_before), amount, distinct)


def q(window: str, aggregate: str = "count", key: CounterKey = KEY) -> CounterQuery:
    return CounterQuery(key, parse_window(window), aggregate)  # type: ignore[arg-type]


def test_empty_key_is_zero_everywhere(counters: Harness) -> None:
    assert counters.query(q("1h"), q("1h", "sum"), q("1h", "distinct")) == [0, 0, 0]


def test_standard_and_custom_windows(counters: Harness) -> None:
    counters.record(
        obs("e1", 1, 10, "ip1"),
        obs("e2", 30, 20, "ip2"),
        obs("e3", 60 * 5, 30, "ip1"),
        obs("e4", 60 * 24 * 3, 40, "ip3"),
        obs("e5", 60 * 24 * 40, 50, "ip4"),
    )
    assert counters.query(q("10m"), q("1h"), q("24h"), q("30d"), q("90m")) == [1, 2, 3, 4, 2]
    assert counters.query(q("24h", "sum"), q("30d", "distinct")) == [60, 3]


def test_window_is_open_at_the_start_and_closed_at_the_end(counters: Harness) -> None:
    counters.record(obs("edge-start", 10), obs("edge-end", 0), obs("inside", 5))
    assert counters.query(q("10m")) == [2]  # exactly t - 10m is out, exactly t is in


def test_keys_are_isolated(counters: Harness) -> None:
    other = CounterKey("login.failure", "account", "a-2")
    ip_key = CounterKey("login.failure", "ip", "a-1")
    counters.record(obs("e1", 1), obs("e1", 1, key=other), obs("e9", 1, key=ip_key))
    assert counters.query(q("1h"), q("1h", key=other), q("1h", key=ip_key)) == [1, 1, 1]


def test_recording_an_event_twice_counts_it_once(counters: Harness) -> None:
    counters.record(obs("e1", 1, 5), obs("e1", 1, 5))
    counters.record(obs("e1", 1, 5))
    assert counters.query(q("1h"), q("1h", "sum")) == [1, 5]


def test_out_of_order_arrival_gives_the_same_answers(counters: Harness) -> None:
    items = [obs(f"e{i}", i * 7.0, i, f"d{i % 4}") for i in range(40)]
    random.Random(3).shuffle(items)
    for item in items:
        counters.record(item)
    expected_count = sum(1 for i in range(40) if i * 7.0 < 60 * 3)
    expected_sum = sum(i for i in range(40) if i * 7.0 < 60 * 3)
    assert counters.query(q("3h"), q("3h", "sum"), q("3h", "distinct")) == [
        expected_count,
        expected_sum,
        4,
    ]
    earlier = T - timedelta(hours=2)  # answers as of an earlier moment ignore later events
    # (T-3h, T-2h] holds the events 120 to 180 minutes before T, 180 excluded
    assert counters.query(q("1h"), at=earlier) == [sum(1 for i in range(40) if 120 <= i * 7 < 180)]


def test_concurrent_writers_lose_nothing(counters: Harness) -> None:
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for i in range(200):
                counters.record(obs(f"w{worker}-{i}", (i % 50) * 0.1))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert counters.query(q("1h")) == [800]


def test_sql_prune_drops_only_observations_past_retention(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'prune.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    with unit_of_work(sessions) as session:
        SqlCounterStore(session).record([obs("old", 60 * 24 * 500), obs("new", 1)])
    with unit_of_work(sessions) as session:
        assert SqlCounterStore(session).prune(T - timedelta(days=400)) == 1
    with unit_of_work(sessions) as session:
        assert SqlCounterStore(session).query([q("366d")], T) == [1]
