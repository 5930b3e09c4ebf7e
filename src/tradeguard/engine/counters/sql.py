"""Counters in the SQL store: append-only observations, aggregated at query time.

Append-only rows make concurrent writers safe without locks (nothing is read-modify-written),
and the unique (key, event id) pair makes a replayed event a no-op. The store joins the
caller's transaction, so counters commit or roll back together with the event and verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Insert, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tradeguard.db.base import to_micros
from tradeguard.engine.counters.base import CounterQuery, CounterUnavailable, Observation
from tradeguard.engine.tables import CounterObservation

_AGGREGATES = select(
    func.count(),
    func.coalesce(func.sum(CounterObservation.amount), 0.0),
    func.count(func.distinct(CounterObservation.distinct_value)),
)


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
            self.session.execute(self._insert().values(rows))
        except OperationalError as exc:
            raise CounterUnavailable(f"counter store unavailable: {exc.orig}") from exc

    def query(self, queries: Sequence[CounterQuery], at: datetime) -> list[float]:
        """One SELECT per distinct (key, window), answering count, sum and distinct at once."""
        hi = to_micros(at)
        answers: dict[tuple[str, int], tuple[float, float, float]] = {}
        for q in queries:
            key, lo = q.key.encode(), hi - to_micros_delta(q)
            if (key, lo) in answers:
                continue
            statement = _AGGREGATES.where(
                CounterObservation.key == key,
                CounterObservation.at_us > lo,
                CounterObservation.at_us <= hi,
            )
            try:
                count, total, distinct = self.session.execute(statement).one()
            except OperationalError as exc:
                raise CounterUnavailable(f"counter store unavailable: {exc.orig}") from exc
            answers[(key, lo)] = (float(count), float(total), float(distinct))
        index = {"count": 0, "sum": 1, "distinct": 2}
        return [
            answers[(q.key.encode(), hi - to_micros_delta(q))][index[q.aggregate]] for q in queries
        ]

    def prune(self, before: datetime) -> int:
        """Delete observations older than a retention cut-off; returns how many went."""
        result = self.session.execute(
            delete(CounterObservation).where(CounterObservation.at_us <= to_micros(before))
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def to_micros_delta(query: CounterQuery) -> int:
    return int(query.window.total_seconds() * 1_000_000)
