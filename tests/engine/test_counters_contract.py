"""One contract for every counter store: SQL on SQLite and PostgreSQL, Redis, and memory.

Each case goes through :class:`Harness`, which opens a store per unit of work the way the
engine does (SQL: a session of its own, committed afterwards; Redis: a client of its own), so
the same assertions hold for all three and concurrency tests really use separate connections.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from tradeguard.db.migrate import upgrade
from tradeguard.db.session import engine_for, make_engine, session_factory, unit_of_work
from tradeguard.engine.counters import (
    Aggregate,
    CounterKey,
    CounterQuery,
    CounterStore,
    CounterUnavailable,
    MemoryCounterStore,
    Observation,
    RedisCounterStore,
    SqlCounterStore,
    parse_window,
)
from tradeguard.engine.tables import CounterObservation

T = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
KEY = CounterKey("login.failure", "account", "a-1")
US = timedelta(microseconds=1)


class Harness:
    """Records and queries through a fresh store per call, as one unit of work each."""

    def __init__(self, opener: Callable[[], AbstractContextManager[CounterStore]]) -> None:
        self._open = opener

    def record(self, *observations: Observation) -> None:
        with self._open() as store:
            store.record(list(observations))

    def query(self, *queries: CounterQuery, at: datetime = T) -> list[float]:
        with self._open() as store:
            return store.query(list(queries), at)


def _sqlite_sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'counters.db'}")
    upgrade(engine)
    return session_factory(engine)


def _postgres_sessions(request: pytest.FixtureRequest) -> sessionmaker[Session]:
    engine: Engine = engine_for(request.getfixturevalue("postgres_migrated"))
    with engine.begin() as conn:  # the database lives for the whole test session
        conn.execute(delete(CounterObservation))
    return session_factory(engine)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_sessions(request: pytest.FixtureRequest, tmp_path: Path) -> sessionmaker[Session]:
    """A migrated, empty counter table on SQLite or PostgreSQL."""
    if request.param == "postgres":
        return _postgres_sessions(request)
    return _sqlite_sessions(tmp_path)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
        "memory",
    ]
)
def counters(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "memory":
        store = MemoryCounterStore()

        @contextmanager
        def open_memory() -> Iterator[CounterStore]:
            yield store

        return Harness(open_memory)
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_url")
        prefix: str = request.getfixturevalue("redis_prefix")

        @contextmanager
        def open_redis() -> Iterator[CounterStore]:
            client = redis.Redis.from_url(url)
            try:
                yield RedisCounterStore(client, prefix=prefix)
            finally:
                client.close()

        return Harness(open_redis)

    if request.param == "postgres":
        sessions = _postgres_sessions(request)
    else:
        sessions = _sqlite_sessions(tmp_path)

    @contextmanager
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


def q(window: str, aggregate: Aggregate = "count", key: CounterKey = KEY) -> CounterQuery:
    return CounterQuery(key, parse_window(window), aggregate)


def all_three(window: str, key: CounterKey = KEY) -> list[CounterQuery]:
    return [q(window, "count", key), q(window, "sum", key), q(window, "distinct", key)]


def test_empty_key_is_zero_everywhere(counters: Harness) -> None:
    assert counters.query(*all_three("1h"), *all_three("30d")) == [0, 0, 0, 0, 0, 0]


def test_no_queries_no_answers_and_no_observations_no_op(counters: Harness) -> None:
    counters.record()
    assert counters.query() == []


def test_standard_and_custom_windows(counters: Harness) -> None:
    counters.record(
        obs("e1", 1, 10, "ip1"),
        obs("e2", 30, 20, "ip2"),
        obs("e3", 60 * 5, 30, "ip1"),
        obs("e4", 60 * 24 * 3, 40, "ip3"),
        obs("e5", 60 * 24 * 40, 50, "ip4"),
        obs("e6", 60 * 12, 5),  # no distinct value: counted and summed, not distinct-counted
    )
    expected = {
        "10m": [1, 10, 1],
        "1h": [2, 30, 2],
        "24h": [4, 65, 2],
        "30d": [5, 105, 3],
        "90m": [2, 30, 2],
        "1d12h": [4, 65, 2],
    }
    for window, (count, total, distinct) in expected.items():
        assert counters.query(*all_three(window)) == [count, total, distinct], window
    # Mixed in one call, in any order, the answers come back in the order asked.
    asked = [q("30d", "distinct"), q("10m"), q("24h", "sum"), q("10m"), q("90m", "sum")]
    assert counters.query(*asked) == [3, 1, 65, 1, 30]


def test_age_is_seconds_since_the_oldest_observation_in_the_window(counters: Harness) -> None:
    assert counters.query(q("30d", "age")) == [0]  # nothing yet: no age
    counters.record(obs("e1", 60 * 24 * 40), obs("e2", 90, 5, "x"), obs("e3", 0.5))
    assert counters.query(q("30d", "age"), q("1h", "age"), q("30d")) == [5400, 30, 2]
    assert counters.query(q("30d", "age"), q("30d", "sum")) == [5400, 6]
    assert counters.query(q("90d", "age")) == [40 * 86400]
    assert counters.query(q("10m", "age"), at=T + timedelta(minutes=1)) == [90]


def test_window_is_open_at_the_start_and_closed_at_the_end(counters: Harness) -> None:
    start = T - timedelta(minutes=10)
    counters.record(
        Observation(KEY, "at-start", start, 1, "a"),  # exactly at - window: out
        Observation(KEY, "just-inside", start + US, 2, "b"),
        Observation(KEY, "at-end", T, 4, "c"),  # exactly at: in
        Observation(KEY, "just-after", T + US, 8, "d"),
    )
    assert counters.query(*all_three("10m")) == [2, 6, 2]
    assert counters.query(*all_three("10m"), at=T + US) == [2, 12, 2]  # the window slid 1 µs


def test_keys_are_isolated(counters: Harness) -> None:
    other = CounterKey("login.failure", "account", "a-2")
    ip_key = CounterKey("login.failure", "ip", "a-1")
    metric = CounterKey("login.success", "account", "a-1")
    counters.record(
        obs("e1", 1, 1),
        obs("e1", 1, 2, key=other),  # the same event id under another key is its own row
        obs("e9", 1, 4, key=ip_key),
        obs("e9", 1, 8, key=metric),
        obs("e8", 1, 16, key=metric),
    )
    sums = counters.query(q("1h", "sum"), *(q("1h", "sum", k) for k in (other, ip_key, metric)))
    assert sums == [1, 2, 4, 24]


def test_recording_an_event_twice_counts_it_once(counters: Harness) -> None:
    counters.record(obs("e1", 1, 5, "x"), obs("e1", 1, 5, "x"))  # same batch
    counters.record(obs("e1", 1, 5, "x"))  # a later batch
    counters.record(obs("e1", 1, 5, "x"), obs("e2", 2, 7, "y"))  # a mixed batch
    assert counters.query(*all_three("1h")) == [2, 12, 2]


def test_a_replay_keeps_the_time_first_recorded(counters: Harness) -> None:
    counters.record(obs("e1", 30))
    counters.record(obs("e1", 1))  # the same event claiming a later time is still ignored
    assert counters.query(q("10m"), q("1h")) == [0, 1]


def test_out_of_order_arrival_gives_the_same_answers(counters: Harness) -> None:
    items = [obs(f"e{i}", i * 7.0, i, f"d{i % 4}") for i in range(40)]
    random.Random(3).shuffle(items)
    for item in items:
        counters.record(item)
    inside = [i for i in range(40) if i * 7.0 < 60 * 3]
    assert counters.query(*all_three("3h")) == [len(inside), sum(inside), 4]
    earlier = T - timedelta(hours=2)  # answers as of an earlier moment ignore later events
    # (T-3h, T-2h] holds the events 120 to 180 minutes before T, 180 excluded
    assert counters.query(q("1h"), at=earlier) == [sum(1 for i in range(40) if 120 <= i * 7 < 180)]


def _run_writers(counters: Harness, make: Callable[[int, int], Observation]) -> None:
    """Four threads record 200 observations each, one unit of work per observation."""
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(worker: int) -> None:
        try:
            start.wait()
            for i in range(200):
                counters.record(make(worker, i))
        except BaseException as exc:  # re-raised in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def test_concurrent_writers_lose_nothing(counters: Harness) -> None:
    def fresh(worker: int, i: int) -> Observation:
        return obs(f"w{worker}-{i}", (i % 50) * 0.1, 1, f"d{worker}")

    _run_writers(counters, fresh)
    assert counters.query(*all_three("1h")) == [800, 800, 4]


def test_concurrent_replays_count_each_event_once(counters: Harness) -> None:
    def replayed(_worker: int, i: int) -> Observation:  # every worker sends the same 200
        return obs(f"e{i}", (i % 50) * 0.1, 1, f"d{i % 4}")

    _run_writers(counters, replayed)
    assert counters.query(*all_three("1h")) == [200, 200, 4]


@pytest.mark.parametrize("amount", [math.nan, math.inf, -math.inf])
def test_non_finite_amounts_are_refused(counters: Harness, amount: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        counters.record(obs("bad", 1, amount))
    assert counters.query(q("1h"), q("1h", "sum")) == [0, 0]


def test_sql_store_leaves_the_commit_to_the_caller(sql_sessions: sessionmaker[Session]) -> None:
    with sql_sessions() as session:
        SqlCounterStore(session).record([obs("e1", 1)])
        assert SqlCounterStore(session).query([q("1h")], T) == [1]  # visible inside
        session.rollback()
    with unit_of_work(sql_sessions) as session:
        assert SqlCounterStore(session).query([q("1h")], T) == [0]


def test_sql_prune_drops_only_observations_past_retention(
    sql_sessions: sessionmaker[Session],
) -> None:
    cut = T - timedelta(days=400)
    with unit_of_work(sql_sessions) as session:
        SqlCounterStore(session).record(
            [
                obs("old", 60 * 24 * 500),
                Observation(KEY, "at-cut", cut),  # not older than the cut-off: kept
                obs("new", 1),
            ]
        )
    with unit_of_work(sql_sessions) as session:
        assert SqlCounterStore(session).prune(cut) == 1
    with unit_of_work(sql_sessions) as session:
        assert session.scalar(select(func.count()).select_from(CounterObservation)) == 2
        assert SqlCounterStore(session).query([q("366d")], T) == [1]


@pytest.mark.redis
def test_redis_trims_past_retention_and_sets_a_ttl(redis_url: str, redis_prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    store = RedisCounterStore(client, redis_prefix, retention=timedelta(days=1))
    store.record([obs("old", 60 * 24 * 2), obs("edge", 60 * 24)])
    store.record([obs("new", 0)])  # trims relative to the newest time: "old" goes
    name = redis_prefix + KEY.encode()
    assert client.zcard(name) == 2
    assert 0 < client.pttl(name) <= 86_400_000
    assert store.query([q("30d")], T) == [2]
    client.close()


def _dead_redis() -> redis.Redis:
    return redis.Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))


def test_redis_connection_loss_is_counter_unavailable() -> None:
    store = RedisCounterStore(_dead_redis())
    with pytest.raises(CounterUnavailable, match="unavailable") as caught:
        store.query([q("1h")], T)
    assert isinstance(caught.value.__cause__, redis.ConnectionError)
    with pytest.raises(CounterUnavailable):
        store.record([obs("e1", 1)])


def test_sql_connection_loss_is_counter_unavailable() -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    sessions = session_factory(engine)
    try:
        with sessions() as session, pytest.raises(CounterUnavailable, match="unavailable"):
            SqlCounterStore(session).query([q("1h")], T)
        with sessions() as session, pytest.raises(CounterUnavailable):
            SqlCounterStore(session).record([obs("e1", 1)])
    finally:
        engine.dispose()
