"""Property tests: window parsing, and sliding-window arithmetic against a brute-force oracle."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from tradeguard.db.migrate import upgrade
from tradeguard.db.session import make_engine, session_factory, unit_of_work
from tradeguard.engine.counters import (
    Aggregate,
    CounterKey,
    CounterQuery,
    Observation,
    SqlCounterStore,
    WindowError,
    parse_window,
)
from tradeguard.engine.counters.base import MAX_WINDOW

T0 = datetime(2026, 1, 1, tzinfo=UTC)
AGGREGATES: tuple[Aggregate, ...] = ("count", "sum", "distinct")
_keys = itertools.count()

# --- parse_window -------------------------------------------------------------------------

# Each unit is left out (None) or written, zero included ("1d0h" is a valid spelling).
_part = st.none() | st.integers(0, 400)


@given(days=_part, hours=_part, minutes=_part, seconds=_part)
def test_window_specs_round_trip(
    days: int | None, hours: int | None, minutes: int | None, seconds: int | None
) -> None:
    parts = zip((days, hours, minutes, seconds), "dhms", strict=True)
    spec = "".join(f"{n}{unit}" for n, unit in parts if n is not None)
    expected = timedelta(
        days=days or 0, hours=hours or 0, minutes=minutes or 0, seconds=seconds or 0
    )
    if timedelta(0) < expected <= MAX_WINDOW:
        assert parse_window(spec) == expected
    else:  # nothing written, all zeros, or longer than the maximum
        with pytest.raises(WindowError):
            parse_window(spec)


@given(st.text(max_size=12).filter(lambda s: not any(c.isdecimal() for c in s)))
def test_specs_without_a_number_are_refused(spec: str) -> None:
    with pytest.raises(WindowError):
        parse_window(spec)


_junk_char = st.characters().filter(
    lambda c: c not in "dhms" and not c.isdecimal() and not c.isspace()
)


@given(st.sampled_from(["90s", "10m", "1h", "24h", "30d", "1d12h"]), _junk_char, st.data())
def test_a_stray_character_anywhere_spoils_a_spec(
    spec: str, junk: str, data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, len(spec)))
    with pytest.raises(WindowError):
        parse_window(spec[:at] + junk + spec[at:])


@given(st.integers(MAX_WINDOW.days * 86400 + 1, 10**9))
def test_windows_over_the_maximum_are_refused(seconds: int) -> None:
    with pytest.raises(WindowError):
        parse_window(f"{seconds}s")


@pytest.mark.parametrize(
    "spec",
    [
        "0m",
        "0d0h0m0s",
        "10x",
        "m10",
        "1h1d",
        "1h1h",
        "1h 30m",
        "-5m",
        "367d",
        "1.5h",
        "",
        " ",
        "\u0663m",
    ],
)
def test_specific_bad_windows(spec: str) -> None:
    with pytest.raises(WindowError):
        parse_window(spec)


# --- the SQL store against a brute-force oracle ------------------------------------------


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> sessionmaker[Session]:
    """One SQLite file for the module; each example writes under a key of its own."""
    engine = make_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('windows')) / 'w.db'}")
    upgrade(engine)
    return session_factory(engine)


@dataclass(frozen=True)
class Scenario:
    """Times are whole multiples of ``unit`` so observations often sit exactly on an edge."""

    unit: timedelta
    batches: list[list[tuple[int, int, int, str | None]]]  # (event no., time, cents, value)
    at: int
    windows: list[int]


_observation = st.tuples(
    st.integers(0, 30),  # event number: repeats are replays, possibly with other fields
    st.integers(0, 200),  # time in units after T0
    st.integers(0, 1000),  # amount in cents
    st.sampled_from(["a", "b", "c", None]),  # distinct value
)
scenarios = st.builds(
    Scenario,
    unit=st.sampled_from(
        [timedelta(microseconds=1), timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)]
    ),
    batches=st.lists(st.lists(_observation, max_size=20), max_size=4),
    at=st.integers(0, 250),
    windows=st.lists(st.integers(1, 220), min_size=1, max_size=4),
)


def oracle(
    stored: dict[str, tuple[datetime, float, str | None]], at: datetime, window: timedelta
) -> list[float]:
    inside = [v for v in stored.values() if at - window < v[0] <= at]
    return [
        len(inside),
        sum(v[1] for v in inside),
        len({v[2] for v in inside if v[2] is not None}),
    ]


@settings(max_examples=60, deadline=None)
@given(scenario=scenarios)
def test_sql_store_matches_a_brute_force_oracle(
    sessions: sessionmaker[Session], scenario: Scenario
) -> None:
    key = CounterKey("m", "account", f"k{next(_keys)}")
    stored: dict[str, tuple[datetime, float, str | None]] = {}
    for batch in scenario.batches:
        observations = []
        for number, time, cents, value in batch:
            at = T0 + time * scenario.unit
            observations.append(Observation(key, f"e{number}", at, cents / 100, value))
            stored.setdefault(f"e{number}", (at, cents / 100, value))  # the first one stays
        with unit_of_work(sessions) as session:
            SqlCounterStore(session).record(observations)

    at = T0 + scenario.at * scenario.unit
    windows = [n * scenario.unit for n in scenario.windows]
    queries = [CounterQuery(key, w, a) for w in windows for a in AGGREGATES]
    with unit_of_work(sessions) as session:
        got = SqlCounterStore(session).query(queries, at)

    expected = [value for w in windows for value in oracle(stored, at, w)]
    assert got == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(
    items=st.lists(_observation, max_size=40),
    at=st.integers(0, 250),
    windows=st.lists(st.integers(1, 220), min_size=2, max_size=5, unique=True),
)
def test_a_larger_window_never_gives_less(
    sessions: sessionmaker[Session],
    items: list[tuple[int, int, int, str | None]],
    at: int,
    windows: list[int],
) -> None:
    key = CounterKey("m", "account", f"k{next(_keys)}")
    unit = timedelta(minutes=1)
    with unit_of_work(sessions) as session:
        SqlCounterStore(session).record(
            [Observation(key, f"e{n}", T0 + t * unit, c / 100, v) for n, t, c, v in items]
        )
    ordered = sorted(windows)
    queries = [CounterQuery(key, w * unit, a) for w in ordered for a in AGGREGATES]
    with unit_of_work(sessions) as session:
        got = SqlCounterStore(session).query(queries, T0 + at * unit)
    rows = [got[i : i + 3] for i in range(0, len(got), 3)]
    for smaller, larger in itertools.pairwise(rows):
        assert all(s <= b for s, b in zip(smaller, larger, strict=True))  # amounts are >= 0
