"""Counters in the SQL store: append-only observations, aggregated at query time.

Append-only rows make concurrent writers safe without locks (nothing is read-modify-written),
and the unique (key, event id) pair makes a replayed event a no-op. The store joins the
caller's transaction, so counters commit or roll back together with the event and verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Insert, TextClause, delete, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tradeguard.db.base import to_micros
from tradeguard.engine.counters.base import CounterQuery, CounterUnavailable, Observation
from tradeguard.engine.tables import CounterObservation


class SqlCounterStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self) -> Insert:
        conflict = ["key", "event_id"]
        if self.session.get_bind().dialect.name == "postgresql":
            return postgresql.insert(CounterObservation).on_conflict_do_nothing(
                index_elements=conflict
            )
        return sqlite.insert(CounterObservation).on_conflict_do_nothing(index_elements=conflict)

    def record(self, observations: Sequence[Observation]) -> None:
        if not observations:
            return
        rows = [
            {
                "key": o.key.encode(),
                "event_id": o.event_id,
                "at_us": to_micros(o.at),
                "amount": o.amount,
                "distinct_value": o.distinct,
            }
            for o in observations
        ]
        try:
            self.session.connection().execute(self._insert(), rows)
        except OperationalError as exc:
            raise CounterUnavailable(f"counter store unavailable: {exc.orig}") from exc

    def query(self, queries: Sequence[CounterQuery], at: datetime) -> list[float]:
        """Every distinct (key, window) in one round trip: a UNION ALL of indexed range scans."""
        hi = to_micros(at)
        ranges: dict[tuple[str, int], int] = {}
        for q in queries:
            ranges.setdefault((q.key.encode(), hi - _micros(q.window)), len(ranges))
        if not ranges:
            return []
        params: dict[str, object] = {"hi": hi}
        for (key, lo), i in ranges.items():
            params[f"k{i}"], params[f"lo{i}"] = key, lo
        try:
            rows = self.session.connection().execute(_union(len(ranges)), params).all()
        except OperationalError as exc:
            raise CounterUnavailable(f"counter store unavailable: {exc.orig}") from exc
        answers = {int(row[0]): row[1:] for row in rows}
        column = {"count": 0, "sum": 1, "distinct": 2}
        return [
            float(answers[ranges[(q.key.encode(), hi - _micros(q.window))]][column[q.aggregate]])
            for q in queries
        ]

    def prune(self, before: datetime) -> int:
        """Delete observations older than a retention cut-off; returns how many went."""
        result = self.session.execute(
            delete(CounterObservation).where(CounterObservation.at_us <= to_micros(before))
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _micros(window: timedelta) -> int:
    return window // timedelta(microseconds=1)


@lru_cache(maxsize=64)
def _union(n: int) -> TextClause:
    """The aggregate query for ``n`` ranges; built once per size, values always bound."""
    return text(  # only the integer i is formatted in; every value is a bound parameter
        " UNION ALL ".join(
            f"SELECT {i} AS i, count(*), coalesce(sum(amount), 0), count(DISTINCT distinct_value)"  # noqa: S608
            f" FROM counter_observations WHERE key = :k{i} AND at_us > :lo{i} AND at_us <= :hi"
            for i in range(n)
        )
    )
