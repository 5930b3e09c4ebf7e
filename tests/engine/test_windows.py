"""Property tests: window parsing and sliding-window arithmetic against a brute-force oracle."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeguard.db.migrate import upgrade
from tradeguard.db.session import make_engine, session_factory, unit_of_work
from tradeguard.engine.counters import (
    CounterKey,
    CounterQuery,
    Observation,
    SqlCounterStore,
    WindowError,
    parse_window,
)
from tradeguard.engine.counters.base import MAX_WINDOW

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_keys = itertools.count()


@given(st.integers(0, 366), st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
def test_window_specs_round_trip(days: int, hours: int, minutes: int, seconds: int) -> None:
    spec = "".join(
        f"{n}{u}" for n, u in zip((days, hours, minutes, seconds), "dhms", strict=True) if n
    )
    expected = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if not spec or expected > MAX_WINDOW:
        with pytest.raises(WindowError):
            parse_window(spec)
    else:
        assert parse_window(spec) == expected


@given(st.text(max_size=12).filter(lambda s: not any(c in "0123456789" for c in s) or " " in s))
def test_junk_window_specs_are_refused(spec: str) -> None:
    with pytest.raises(WindowError):
        parse_window(spec)


@pytest.mark.parametrize("spec", ["0m", "10x", "m10", "1h1d", "-5m", "367d", "1.5h", ""])
def test_specific_bad_windows(spec: str) -> None:
    with pytest.raises(WindowError):
        parse_window(spec)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('w')) / 'w.db'}")
    upgrade(engine)
    return session_factory(engine)


observation = st.tuples(
    st.integers(0, 40),  # event number (repeats are replays)
    st.integers(0, 3 * 86400),  # seconds after T0
    st.integers(0, 1000),  # amount in cents
    st.sampled_from(["a", "b", "c", None]),  # distinct value
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    items=st.lists(observation, max_size=60),
    at_seconds=st.integers(0, 4 * 86400),
    window_seconds=st.integers(1, 2 * 86400),
)
def test_sql_store_matches_a_brute_force_oracle(
    sessions,
    items: list[tuple[int, int, int, str | None]],
    at_seconds: int,  # type: ignore[no-untyped-def]
    window_seconds: int,
) -> None:
    key = CounterKey("m", "account", f"k{next(_keys)}")
    by_event: dict[str, tuple[datetime, float, str | None]] = {}
    observations = []
    for number, seconds, cents, distinct in items:
        event_id = f"e{number}"
        at = T0 + timedelta(seconds=seconds)
        if event_id in by_event:  # a replayed id keeps what was stored first
            at, amount, distinct = by_event[event_id]
        else:
            amount = cents / 100
            by_event[event_id] = (at, amount, distinct)
        observations.append(Observation(key, event_id, at, amount, distinct))
    with unit_of_work(sessions) as session:
        SqlCounterStore(session).record(observations)
    at = T0 + timedelta(seconds=at_seconds)
    window = timedelta(seconds=window_seconds)
    inside = [v for v in by_event.values() if at - window < v[0] <= at]
    expected = [
        len(inside),
        pytest.approx(sum(v[1] for v in inside)),
        len({v[2] for v in inside if v[2] is not None}),
    ]
    wider = CounterQuery(key, window * 2, "count")
    with unit_of_work(sessions) as session:
        got = SqlCounterStore(session).query(
            [CounterQuery(key, window, a) for a in ("count", "sum", "distinct")] + [wider], at
        )
    assert got[:3] == expected
    assert got[3] >= got[0]  # a wider window never counts less
